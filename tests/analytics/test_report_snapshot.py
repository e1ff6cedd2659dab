"""``decisionbot report`` reads one snapshot of the ledger: every figure agrees with the others while
a server writes. A real ledger file in WAL mode, the real dispatcher writing on its own connection,
and the report's read-only connection; the write lands between the report's queries (SQLite's trace
callback on the report's connection, at its second query)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.analytics import report
from bot.analytics.measures import Params
from bot.dispatch import Dispatcher
from bot.model import Message, Trigger
from tests.actions.support import ALICE, BOB, ROOM, START, decide, dispatcher
from tests.clock import Clock

PARAMS = Params(as_of=datetime(2026, 12, 10, tzinfo=UTC))


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, Clock(START))


def figures(conn: Any) -> dict[str, Any]:
    built = report.build(conn, PARAMS)
    built.pop("generated_at")
    return built


def test_a_write_between_the_reports_queries_is_not_half_seen(bot: Dispatcher, tmp_path: Path) -> None:
    """Before, the runs' pass and the other measures each read in their own transactions (the runs'
    pass on a second connection): a run completed meanwhile was counted active by one and its
    decision and actions counted by the others."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    second = bot.start(Trigger(flow="post_meeting", title="Retro", facilitator=ALICE, participants=[BOB]), ROOM)
    for text in ("We keep the retro", "Book the room", "@bob", "2026-12-04", "done"):
        bot.handle(Message(ROOM, ALICE, text, mentions={"@bob": BOB}), run_id=second.run_id)
    bot.handle(Message(ROOM, BOB, "yes"), run_id=second.run_id)  # the run waits for alice's "ok"
    path = tmp_path / "ledger.db"
    before = figures(report.connect(path))

    conn = report.connect(path)
    queries: list[tuple[str, bool]] = []

    def traced(sql: str) -> None:
        queries.append((sql.split()[0].upper(), conn.in_transaction))
        if sum(q == "SELECT" for q, _ in queries) == 2:  # the server's turn, between two of the report's reads
            bot.handle(Message(ROOM, ALICE, "ok"), run_id=second.run_id)

    conn.set_trace_callback(traced)
    during = figures(conn)
    conn.set_trace_callback(None)
    after = figures(report.connect(path))
    assert after["totals"]["decisions"] == 2 and after != before  # the write landed
    assert during == before  # and the report saw none of it: one snapshot, taken before it
    assert queries[0] == ("BEGIN", False) and queries[-1][0] == "COMMIT"
    assert all(inside for _, inside in queries[1:-1])  # every query inside that one transaction
