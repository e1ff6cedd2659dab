"""Cards of a run that has ended (cancelled, or completed while a card was still open): Teams
showed them open, inputs and Send button, for good, and a submit of one went to the ended run,
which answered in the submitter's personal chat (opened for it when there was none) that the run
was cancelled. As Slack takes its widgets away when a run ends, the cards now say the question is
closed and why; a late submit is refused where it was made, kept as a refused widget."""

from __future__ import annotations

from pathlib import Path

from tests import dates
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed, submit, wait_for

CLOSED = "This question is closed: the run was cancelled."
REFUSED = "SELECT actor_id, text, json_extract(payload, '$.widget') FROM messages WHERE kind = 'refused'"


def closing_note(card: dict) -> str:
    return str(card["body"][-1]["text"])


async def test_a_cancelled_runs_open_card_in_its_thread_says_so_and_a_late_submit_is_refused_there(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)
        thread = f"{CHANNEL};messageid={first.answer_id}"
        await h.send(in_channel(h.url, ALICE, "cancel 1", root=first.answer_id))
        await h.next_post(1)  # Run cancelled by Alice Example ...
        await wait_for(lambda: len(h.fake.of("update")) == 1)
        update = h.fake.of("update")[0]
        assert update.activity_id == first.answer_id and update.conversation == thread
        assert closing_note(update.card) == CLOSED and update.card["actions"] == []
        assert update.card["body"][1]["text"].endswith("What was decided in Weekly sync?")  # the question stays

        posted = len(h.fake.calls)
        late = submit(h.url, ALICE, first, {"answer": "We ship in March"})
        await h.send(late)
        await h.send(late)  # Teams' retry: told once
        await h.settle()
        said = h.fake.calls[posted:]
        # in the thread, where others read it, named (the personal chat's note below is hers alone)
        assert [(c.method, c.conversation, c.text) for c in said] == [("reply", thread, f"{at(ALICE)} {CLOSED}")]
        assert h.db(REFUSED) == [("teams:29:1alice", "We ship in March", "closed")]
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        assert h.db("SELECT count(*) FROM teams_conversations WHERE conversation_type = 'personal'") == [(0,)]


async def test_an_owners_open_card_in_his_personal_chat_is_closed_when_the_run_is_cancelled(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        for n, typed in enumerate(["We ship in March", "Draft the plan", at(BOB), dates.JAN15], start=1):
            mentioned = (BOB,) if typed == at(BOB) else ()
            await h.send(in_channel(h.url, ALICE, typed, *mentioned, root=root))
            more = await h.next_post(n)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        confirm = await h.next_post(5)
        assert confirm.conversation == "a:chat-with-29:1bob" and confirm.card is not None
        await h.settle()
        updates = len(h.fake.of("update"))

        await h.send(in_channel(h.url, ALICE, "cancel 1", root=root))
        await wait_for(lambda: len(h.fake.of("update")) == updates + 1)
        update = h.fake.of("update")[-1]
        assert update.activity_id == confirm.answer_id and update.conversation == "a:chat-with-29:1bob"
        assert closing_note(update.card) == CLOSED and update.card["actions"] == []

        posted = len(h.fake.calls)
        await h.send(submit(h.url, BOB, confirm, {"answer": "yes"}))
        await h.settle()
        assert [(c.method, c.conversation, c.text) for c in h.fake.calls[posted:]] == [
            ("reply", "a:chat-with-29:1bob", CLOSED)
        ]
        assert h.db(REFUSED) == [("teams:29:1bob", "yes", "closed")]
        assert h.db("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]
