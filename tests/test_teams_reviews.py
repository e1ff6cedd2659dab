"""A decision's life after the meeting in a Teams channel, through the real server and the fake
Bot Connector: its owner's ``done``/``due``/``drop`` told in the meeting's reply chain, and its
review started on its date in a reply chain of its own, where an owner who never answers is
handed to the facilitator by the escalation."""

from __future__ import annotations

from pathlib import Path

from bot.scheduler import Scheduler
from tests.dates import JAN15, JAN20
from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, at, in_channel, installed, personal, submit

THREAD = f"{CHANNEL};messageid="


async def decided(h: Harness) -> str:
    """Alice's post_meeting in the channel: two actions of Bob's, accepted in his personal chat;
    the meeting's root message id."""
    await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    root = (await h.next_post(0)).answer_id
    assert root is not None
    answers = ["We ship in March", "Draft the plan", at(BOB), JAN15, "Book the venue", at(BOB), JAN20]
    for n, text in enumerate([*answers, "done"], start=1):
        await h.send(in_channel(h.url, ALICE, text, *([BOB] if text == at(BOB) else []), root=root))
        await h.next_post(n)
    for n in (9, 10):
        await h.send(personal(h.url, BOB, "yes"))
        await h.next_post(n)
    await h.send(in_channel(h.url, ALICE, "ok", root=root))
    await h.next_post(11)
    await h.settle()
    assert h.db("SELECT id, status FROM actions") == [(1, "open"), (2, "open")]
    return root


async def fire(h: Harness, kind: str) -> None:
    """The job of ``kind`` is due now (a review date come, three days of silence ...)."""
    with h.services.db.conn:
        h.services.db.conn.execute(
            "UPDATE jobs SET due_at = '2000-01-01T00:00:00.000Z' WHERE kind = ? AND done_at IS NULL", (kind,)
        )
    assert [o for _, o in await Scheduler(h.services.dispatcher, {}).run_due(kinds=(kind,))] == [
        "done: run 2" if kind == "start_flow" else "done"
    ]
    h.services.notify("teams")
    await h.settle()


async def test_an_owner_who_never_answers_the_review_has_all_his_questions_handed_to_the_facilitator(
    tmp_path: Path,
) -> None:
    """Bob owns two actions and never answers the review. Before, the escalation handed the
    facilitator his first question only, then asked Bob the second with no timer left but the
    expiry: the review stalled instead of being held without him."""
    async with Harness(tmp_path) as h:
        await decided(h)
        await fire(h, "start_flow")
        asked = h.fake.posts()[12:]
        private = [c.conversation for c in asked if c.conversation.startswith("a:")]
        assert private == ["a:chat-with-29:1bob"]  # his first question, in private
        opened = [c.text for c in asked if not c.conversation.startswith("a:")]  # and a new thread says so
        assert opened == [
            "The review of 'Weekly sync' has begun: Bob Builder is asked directly about their actions;"
            " whether the decision held is asked here."
        ]
        await fire(h, "remind")
        await fire(h, "escalate")
        (thread,) = h.db("SELECT root_id FROM teams_threads WHERE run_id = 2")
        review = THREAD + thread[0]
        after = h.fake.posts()[15:]
        cards = [c for c in after if c.card is not None]
        assert [c.conversation for c in cards] == [review]  # nothing more asked of Bob
        to_bob = [c.text for c in after if c.conversation == "a:chat-with-29:1bob"]
        assert to_bob == [
            "No answer came in time for run #2 ('Weekly sync'), so I've handed your 2 questions to Alice Example."
        ]
        assert "did Bob Builder do the action 'Draft the plan'" in cards[0].card["body"][1]["text"]
        for text in ["yes", "no", "keep", "ok"]:
            count = len(h.fake.posts())
            await h.send(in_channel(h.url, ALICE, text, root=thread[0]))
            said = await h.next_post(count)
            assert said.conversation == review
        assert said.text.startswith("Review recorded: Weekly sync - kept")
        assert "Draft the plan - Bob Builder: done (said by Alice Example)" in said.text
        assert "Book the venue - Bob Builder: not done (said by Alice Example)" in said.text
        assert h.db("SELECT outcome FROM reviews WHERE run_id = 2") == [("kept",)]
        assert h.db("SELECT step, item, raw, actor_id FROM answers WHERE run_id = 2 AND step = 'actions_done'") == [
            ("actions_done", 1, "yes", "teams:29:1alice"),
            ("actions_done", 2, "no", "teams:29:1alice"),
        ]


async def test_the_old_owners_card_after_the_hand_over_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    """Bob's review question was handed to Alice by the escalation; his card (the reminder's)
    stayed in his personal chat. A late click on it is told the card is no longer his and changes
    nothing, before and after Alice answered (before, it was taken to the run: a 'refused' message,
    an error reply and, to Bob, 'This question is for Alice Example ...')."""
    async with Harness(tmp_path) as h:
        await decided(h)
        await fire(h, "start_flow")
        await fire(h, "remind")
        bobs_card = [c for c in h.fake.posts()[12:] if c.card is not None][-1]
        assert bobs_card.conversation == "a:chat-with-29:1bob"
        await fire(h, "escalate")
        await h.settle()
        redrawn = [c.card for c in h.fake.of("update") if c.conversation == bobs_card.conversation]
        assert redrawn and redrawn[-1] is not None and redrawn[-1]["actions"] == []  # closed when handed over
        assert "handed to Alice Example" in str(redrawn[-1])
        (thread,) = h.db("SELECT root_id FROM teams_threads WHERE run_id = 2")
        transcript = "SELECT count(*) FROM messages WHERE run_id = 2"
        for refusal, alice_says in (
            ("That card is no longer yours: its question was handed to Alice Example, who answers it now.", "yes"),
            # still his to know why: before, 'That card is no longer open. Type your answer instead'
            ("That card is no longer yours: its question was handed to Alice Example, who answers it now.", "no"),
        ):
            count, written = len(h.fake.posts()), h.db(transcript)
            await h.send(submit(h.url, BOB, bobs_card, {"answer": "yes"}))
            said = await h.next_post(count)
            await h.settle()
            assert (said.conversation, said.text) == ("a:chat-with-29:1bob", refusal)
            assert (len(h.fake.posts()), h.db(transcript)) == (count + 1, [(written[0][0] + 1,)])  # kept, refused
            assert h.db("SELECT kind, actor_id FROM messages WHERE run_id = 2 ORDER BY id DESC LIMIT 1") == [
                ("refused", "teams:29:1bob")
            ]
            await h.send(in_channel(h.url, ALICE, alice_says, root=thread[0]))
            await h.next_post(count + 1)
        assert h.db("SELECT item, raw, actor_id FROM answers WHERE run_id = 2") == [
            (1, "yes", "teams:29:1alice"),
            (2, "no", "teams:29:1alice"),
        ]


async def test_a_card_pressed_after_a_reminder_asked_again_is_closed_saying_so(tmp_path: Path) -> None:
    """The reminder's new card asks again; a press on the first was refused but the card was marked closed
    without being redrawn, so it kept its inputs for good (never updated when answered, nor when the run ended)."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        for n, text in enumerate(["We move the launch", "Draft the plan", at(BOB), JAN15, "done"], start=1):
            await h.send(in_channel(h.url, ALICE, text, *([BOB] if text == at(BOB) else []), root=root))
            first = await h.next_post(n)
        await fire(h, "remind")
        reminder = await h.next_post(6)
        assert reminder.card is not None and "Reminder" in reminder.card["body"][1]["text"]
        await h.send(submit(h.url, BOB, first, {"answer": "yes"}))  # the card he saw first
        told = await h.next_post(7)
        assert "I've asked you something newer since: answer my latest question" in told.text  # (was "no longer open")
        await h.settle()
        redrawn = [u for u in h.fake.of("update") if u.activity_id == first.answer_id]
        assert redrawn and redrawn[-1].card is not None and redrawn[-1].card["actions"] == []
        assert "something newer since" in redrawn[-1].card["body"][-1]["text"]
        await h.send(submit(h.url, BOB, reminder, {"answer": "yes"}))  # the reminder's card answers
        await h.next_post(8)
        assert h.db("SELECT value FROM answers WHERE step = 'owner_accepts'") == [("true",)]
