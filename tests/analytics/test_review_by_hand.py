"""A review held before its date, started by hand (``decisionbot trigger decision_review --data
decision_id=N``, ``chat decision_review``, ``start decision_review`` in a chat), is a review like the
one its date starts: its event's kind is ``review``, so trigger quality's ``(all)`` (the triggers of
decisions) leaves it out, as it leaves the scheduled ones out. Before, it was a ``manual`` trigger
there that seldom "decided" (a review that keeps a decision writes none)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.analytics import report
from bot.analytics.measures import Params
from bot.dispatch import Dispatcher
from bot.model import Message, Trigger
from bot.store import open_readonly
from tests.actions.support import ALICE, BOB, ROOM, START, decide, dispatcher, rows
from tests.clock import Clock


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, Clock(START))


def test_a_review_started_by_hand_is_a_review_not_a_manual_trigger(bot: Dispatcher, tmp_path: Path) -> None:
    decision_id, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-18")])
    review = Trigger(flow="decision_review", source="cli", data={"decision_id": decision_id}, facilitator=ALICE)
    run_id = bot.start(review, ROOM).run_id
    for who, text in ((BOB, "yes"), (ALICE, "keep"), (ALICE, "ok")):
        bot.handle(Message(ROOM, who, text), run_id=run_id)
    assert rows(bot, "SELECT held_at IS NOT NULL, outcome FROM reviews WHERE run_id = ?", run_id) == [(1, "kept")]
    assert rows(
        bot, "SELECT e.source, e.kind FROM events e JOIN runs r ON r.event_id = e.id WHERE r.id = ?", run_id
    ) == [("cli", "review")]
    conn = open_readonly(tmp_path / "ledger.db").conn
    quality = {(r["source"], r["kind"]): r for r in report.build(conn, Params())["trigger_quality"]}
    conn.close()
    assert quality[("(all)", "(not review)")]["events"] == 1  # the meeting only
    assert quality[("(all)", "(not review)")]["share_decided"] == 1.0
    assert quality[("cli", "review")]["events"] == 1 and quality[("cli", "manual")]["events"] == 1  # the meeting
