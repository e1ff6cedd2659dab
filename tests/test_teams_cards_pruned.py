"""``teams_cards`` was never pruned: about 7 rows and 10 kB a run (a third of a Teams ledger's
growth in bench/soak_teams.py). The cards of runs ended more than 30 days ago are now forgotten in
the server's housekeeping, beside the delivery ids (``runs.forget_cards``); a late click on one is
still told the truth: the run has ended (before, a card the bot did not know was told to type its
answer instead). Real SQLite, the real server and botbuilder against the fake Bot Connector."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.store import runs, transaction
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed, submit, wait_for

CLOSED = "This question is closed: the run was cancelled."


async def test_the_cards_of_runs_ended_over_30_days_ago_are_forgotten_and_a_late_click_told_the_run_ended(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Retro", BOB))
        second = await h.next_post(1)
        await h.send(in_channel(h.url, ALICE, "cancel 1", root=first.answer_id))
        await h.settle()
        assert h.db("SELECT run_id FROM teams_cards ORDER BY run_id") == [(1,), (2,)]
        now = h.services.dispatcher.clock()
        db = h.services.db
        with transaction(db) as conn:
            assert runs.forget_cards(conn, now + timedelta(days=29)) == 0  # ended 29 days ago: kept
        with transaction(db) as conn:
            assert runs.forget_cards(conn, now + timedelta(days=31)) == 1
        assert h.db("SELECT run_id FROM teams_cards") == [(2,)]  # run 2 goes on: its card kept
        assert h.db("SELECT count(*) FROM messages WHERE run_id = 1 AND kind = 'prompt'") == [
            (1,)
        ]  # the transcript too

        posted = len(h.fake.calls)
        await h.send(submit(h.url, ALICE, first, {"answer": "We ship in March"}))
        await h.settle()
        thread = f"{CHANNEL};messageid={first.answer_id}"
        assert [(c.method, c.conversation, c.text) for c in h.fake.calls[posted:]] == [
            ("reply", thread, f"{at(ALICE)} {CLOSED}")
        ]
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        assert second.card is not None


async def test_forgetting_goes_by_batches_oldest_first(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        roots = []
        for n, title in enumerate(["One", "Two", "Three"]):
            await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} {title}", BOB))
            roots.append((await h.next_post(n)).answer_id)
        for run_id, root in enumerate(roots, start=1):
            await h.send(in_channel(h.url, ALICE, f"cancel {run_id}", root=root))
        await h.settle()
        later = h.services.dispatcher.clock() + timedelta(days=31)
        with transaction(h.services.db) as conn:
            assert runs.forget_cards(conn, later, batch=2) == 2
        assert h.db("SELECT run_id FROM teams_cards") == [(3,)]
        with transaction(h.services.db) as conn:
            assert runs.forget_cards(conn, later, batch=2) == 1
            assert runs.forget_cards(conn, later, batch=2) == 0


async def test_serves_housekeeping_forgets_them(tmp_path: Path) -> None:
    """No command: ``serve`` itself forgets them, beside the delivery ids, once turns were taken."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        await h.send(in_channel(h.url, ALICE, "cancel 1", root=root))
        await h.settle()
        assert h.db("SELECT count(*) FROM teams_cards") == [(1,)]
        dispatcher = h.services.dispatcher
        clock = dispatcher.clock
        dispatcher.clock = lambda: clock() + timedelta(days=31)
        await h.send(in_channel(h.url, ALICE, "list"))  # a turn: housekeeping's next round is due
        await wait_for(lambda: h.db("SELECT count(*) FROM teams_cards") == [(0,)], timeout=15)
