"""The lookups of a run's Slack questions that a move and a click on an old copy make find them by
the run, not by reading every question the bot ever posted (``slack_prompts`` grows by about five
rows a run; at 300,000 a click on an old copy spent 30-40 ms of the event loop)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import open_db
from bot.store.slack import supersede_prompts
from bot.store.slack_moves import answered_copy, left_at, still_behind

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

LOOKUPS: dict[str, Callable[[sqlite3.Connection], object]] = {
    "a click on an old copy (answered_copy)": lambda conn: answered_copy(conn, "C1", "1700000000.000100"),
    "a move again before the root (still_behind)": lambda conn: still_behind(
        conn, 1, "C1", "2026-11-30T11:00:00.000Z", NOW
    ),
    "a moved run's root posted (left_at)": lambda conn: left_at(conn, 1, "C1", "2026-11-30T11:00:00.000Z"),
    "a question posted (supersede_prompts)": lambda conn: supersede_prompts(
        conn, 1, "slack:UB", NOW, "slack:facilitator", ("C1", "1700000000.000100")
    ),
}


def plans(conn: sqlite3.Connection, lookup: Callable[[sqlite3.Connection], object]) -> list[str]:
    """How SQLite runs each statement ``lookup`` asks that reads slack_prompts."""
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    try:
        lookup(conn)
    finally:
        conn.set_trace_callback(None)
    return [
        row[3] for query in asked if "slack_prompts" in query for row in conn.execute(f"EXPLAIN QUERY PLAN {query}", ())
    ]


@pytest.mark.parametrize("ledger", ["new", "of commit 956d256"])
@pytest.mark.parametrize("lookup", list(LOOKUPS))
def test_a_runs_questions_are_found_by_its_run(lookup: str, ledger: str, tmp_path: Path, old_ledger: Path) -> None:
    db = open_db(old_ledger if ledger == "of commit 956d256" else tmp_path / "t.db")
    try:
        db.conn.execute("BEGIN")
        found = plans(db.conn, LOOKUPS[lookup])
        db.conn.execute("ROLLBACK")
        assert found, "no statement read slack_prompts"
        # each read of slack_prompts is by one question's key or by the run, not a scan of the
        # table or of a channel's every question (an alerts channel holds thousands of runs'); the
        # rows joined to it, by their primary key
        broad = [
            s
            for s in found
            if s.startswith(("SCAN", "SEARCH")) and not ("run_id=?" in s or "ts=?" in s or "rowid=?" in s)
        ]
        assert broad == [], found
    finally:
        db.conn.close()
