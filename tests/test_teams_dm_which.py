"""Two runs ask Bob the same question in his Teams personal chat (he owns an action from each
meeting): a typed "yes" named neither and went to the newer run. It now gets a re-prompt listing
both; ``#N yes`` answers run N; with one question waiting a typed "yes" still answers it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.fakes.bot_connector import Call
from tests.teams_support import (
    ALICE,
    BOB,
    BOT,
    TENANT,
    Harness,
    activity,
    at,
    in_channel,
    installed,
    mention,
    personal,
    submit,
    wait_for,
)

BOB_CHAT = "a:chat-with-29:1bob"
OWNER_ANSWERS = "SELECT run_id, raw FROM answers WHERE step = 'owner_accepts' ORDER BY id"


async def ask_bob(h: Harness, title: str, what: str) -> Call:
    """Alice's post_meeting ``title`` in the channel up to Bob's "Do you accept" card for ``what``."""
    due = (date.today() + timedelta(days=30)).isoformat()
    seen = len(h.fake.posts())
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} {title}", BOB))
    root = (await h.next_post(seen)).answer_id
    await h.send(in_channel(h.url, ALICE, "We ship", root=root))
    await h.send(in_channel(h.url, ALICE, what, root=root))
    owner = await h.next_post(seen + 2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(seen + 3)
    await h.send(submit(h.url, ALICE, when, {"answer": due}))
    more = await h.next_post(seen + 4)
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    confirm = await h.next_post(seen + 5)
    assert confirm.conversation == BOB_CHAT and what in str(confirm.card)
    return confirm


async def test_a_typed_yes_with_two_questions_waiting_is_asked_which_then_answers_by_number(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await ask_bob(h, "Weekly", "Draft the plan")
        await ask_bob(h, "Retro", "Book the room")
        seen = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "yes"))
        which = await h.next_post(seen)
        assert which.conversation == BOB_CHAT
        assert which.text.startswith("Two or more questions wait on you"), which.text
        assert "#1 Weekly: Alice Example assigned you an action from 'Weekly': 'Draft the plan'" in which.text
        assert "#2 Retro: Alice Example assigned you an action from 'Retro': 'Book the room'" in which.text
        assert "with its card" in which.text and "#1 yes" in which.text and "thread" not in which.text
        assert h.db(OWNER_ANSWERS) == []
        assert h.db("SELECT state FROM runs ORDER BY id") == [("owner_accepts",), ("owner_accepts",)]

        await h.send(personal(h.url, BOB, "#1 yes"))
        await wait_for(lambda: h.db(OWNER_ANSWERS) == [(1, "yes")])
        assert h.db("SELECT state FROM runs ORDER BY id") == [("review_at",), ("owner_accepts",)]

        await h.send(personal(h.url, BOB, "yes"))  # one question waits now: a typed yes answers it
        await wait_for(lambda: h.db(OWNER_ANSWERS) == [(1, "yes"), (2, "yes")])


async def test_with_two_questions_waiting_thanks_and_a_misspelt_command_are_answered_as_such(tmp_path: Path) -> None:
    """Neither is an answer: before, each got the list of the questions waiting, as a typed yes does."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await ask_bob(h, "Weekly", "Draft the plan")
        await ask_bob(h, "Retro", "Book the room")
        seen = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "thanks!"))
        thanked = await h.next_post(seen)
        await h.send(personal(h.url, BOB, "staus 1"))
        meant = await h.next_post(seen + 1)
        assert thanked.text.startswith("You're welcome"), thanked.text
        assert "Did you mean 'status 1'?" in meant.text, meant.text
        assert h.db(OWNER_ANSWERS) == []


async def test_a_number_of_a_run_that_does_not_wait_on_bob_is_refused(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await ask_bob(h, "Weekly", "Draft the plan")
        seen = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "#5 yes"))
        refused = await h.next_post(seen)
        assert refused.conversation == BOB_CHAT
        assert refused.text.startswith("Run #5 does not wait on you. Open question:"), refused.text
        assert "\n• #1 Weekly: Alice Example assigned you an action" in refused.text
        assert h.db(OWNER_ANSWERS) == []


async def test_in_a_group_chat_the_questions_waiting_are_not_listed(tmp_path: Path) -> None:
    """Bob's questions are his alone: mentioning the bot in a group chat with "yes" tells him where
    to answer, without what they ask."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await ask_bob(h, "Weekly", "Draft the plan")
        await ask_bob(h, "Retro", "Book the room")
        seen = len(h.fake.posts())
        chat = {"id": "19:group-b@thread.v2", "conversationType": "groupChat", "isGroup": True, "tenantId": TENANT}
        await h.send(activity(h.url, BOB, chat, f"{at(BOT)} yes", [mention(BOT)]))
        told = await h.next_post(seen)
        assert told.conversation == chat["id"]
        assert told.text.startswith("I could not tell which of your questions") and "Draft the plan" not in told.text
        assert "personal chat" in told.text
        assert h.db(OWNER_ANSWERS) == []


async def test_a_run_of_his_own_chat_and_anothers_question_there_are_asked_which(tmp_path: Path) -> None:
    """Bob started a run in his personal chat (it asks him what was decided); a channel run then
    asks him there to accept an action. His "yes" went to his own chat's run, as its decision,
    while the other waited on the acceptance (seen in the Agents Playground)."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        seen = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "start post_meeting Personal"))
        await h.next_post(seen)
        await ask_bob(h, "Weekly", "Draft the plan")
        seen = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "yes"))
        which = await h.next_post(seen)
        assert which.conversation == BOB_CHAT and which.text.startswith("Two or more questions wait on you"), which.text
        assert "#1 Personal: What was decided in Personal?" in which.text, which.text
        assert "#2 Weekly: Alice Example assigned you an action from 'Weekly'" in which.text, which.text
        assert h.db("SELECT count(*) FROM answers WHERE run_id = 1") == [(0,)]
        assert h.db(OWNER_ANSWERS) == []
        await h.send(personal(h.url, BOB, "#2 yes"))
        await wait_for(lambda: h.db(OWNER_ANSWERS) == [(2, "yes")])
        await h.send(personal(h.url, BOB, "We keep the plan"))  # one question waits on him there now
        await wait_for(lambda: h.db("SELECT raw FROM answers WHERE run_id = 1") == [("We keep the plan",)])


async def test_a_card_answered_in_a_turn_that_records_more_shows_its_own_answer(tmp_path: Path) -> None:
    """Two actions typed at once ("Draft the plan" and "Book the room"), then the first's due date
    on its card: the card was redrawn "answered: Book the room", the turn's last answer (the second
    action, taken from the list), not the date (seen in the Agents Playground)."""
    due = (date.today() + timedelta(days=30)).isoformat()
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "personal", (ALICE,)))
        seen = len(h.fake.posts())
        await h.send(personal(h.url, ALICE, "start post_meeting Listing"))
        await h.next_post(seen)
        await h.send(personal(h.url, ALICE, "We ship"))
        await h.next_post(seen + 1)
        await h.send(personal(h.url, ALICE, "1. Draft the plan\n2. Book the room"))

        def posted(words: str) -> Call | None:
            return next((p for p in h.fake.posts()[seen:] if words in str(p.card)), None)

        await wait_for(lambda: posted("Who owns") is not None)
        owner = posted("Who owns")
        assert owner is not None
        await h.send(submit(h.url, ALICE, owner, {"answer": "29:1alice"}))
        await wait_for(lambda: posted("By when") is not None)
        when = posted("By when")
        assert when is not None
        await h.send(submit(h.url, ALICE, when, {"answer": due}))
        await wait_for(lambda: any(u.activity_id == when.answer_id for u in h.fake.of("update")))
        redrawn = [u for u in h.fake.of("update") if u.activity_id == when.answer_id]
        assert redrawn[-1].card["body"][-1]["text"] == f"Alice Example answered: {due}", redrawn[-1].card["body"][-1]
