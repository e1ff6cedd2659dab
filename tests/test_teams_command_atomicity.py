"""Teams commands are all or nothing: a command's delivery id is recorded in the savepoint of its
own turn, so a command whose turn fails (500) is carried out when Teams sends the activity again,
not dropped as a repeat. Failures are injected into the real ledger with SQLite triggers; the
activities go to the real server and its replies to the fake Bot Connector."""

from __future__ import annotations

from pathlib import Path

from tests.teams_support import ALICE, BOB, Harness, at, in_channel, installed, personal

RUNS = "SELECT count(*) FROM runs"
FAIL_RUNS = "CREATE TRIGGER boom BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"


async def test_a_start_in_a_personal_chat_whose_turn_failed_is_carried_out_when_sent_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        conn = h.services.db.conn
        conn.execute(FAIL_RUNS)
        act = personal(h.url, ALICE, "start post_meeting Weekly sync")
        assert (await h.post(act)).status == 500
        assert h.db("SELECT count(*) FROM deliveries") == [(0,)]  # the failed command left no id
        conn.execute("DROP TRIGGER boom")  # the passing fault is over
        await h.send(act)
        assert h.db(RUNS) == [(1,)]
        await h.send(act)  # a repeat of the stored command is dropped
        assert h.db(RUNS) == [(1,)]
        question = await h.next_post(0)
        assert question.conversation == "a:chat-with-29:1alice"


async def test_a_start_in_a_channel_whose_turn_failed_is_carried_out_when_sent_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        conn = h.services.db.conn
        conn.execute(FAIL_RUNS)
        act = in_channel(h.url, ALICE, "start post_meeting Launch review")
        assert (await h.post(act)).status == 500
        conn.execute("DROP TRIGGER boom")
        await h.send(act)
        assert h.db("SELECT status FROM runs") == [("active",)]
        await h.next_post(0)
        await h.settle()
        assert len(h.fake.posts()) == 1  # its first question, once


async def test_a_command_found_after_no_run_took_the_message_is_carried_out_when_sent_again(tmp_path: Path) -> None:
    """'cancel 1 please' from Bob in a personal chat is first offered to a run waiting on him
    (none), then carried out as a command (refused: he is a participant of Alice's run), both in one savepoint: the
    failed command leaves no delivery id, and its repeat is answered."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Launch review", BOB))
        await h.next_post(0)
        conn = h.services.db.conn
        conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN new.kind = 'error'"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        act = personal(h.url, BOB, "cancel 1 please")
        assert (await h.post(act)).status == 500
        conn.execute("DROP TRIGGER boom")
        await h.send(act)
        refused = await h.next_post(1)
        assert refused.conversation == "a:chat-with-29:1bob"
        assert refused.text.endswith("): Only the facilitator (Alice Example) can cancel the run.")
        await h.send(act)  # a repeat of the command carried out is dropped
        await h.settle()
        assert len(h.fake.posts()) == 2
