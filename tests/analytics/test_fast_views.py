"""The views ``run_latency``, ``latency_summary`` and ``participation`` read the summary tables, not every answer
and message, and show exactly the rows of their definitions (:data:`bot.analytics.sql.MEASURES`):
the same values, to the bit, in the same order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.analytics.sql import MEASURES, VIEWS, as_view
from bot.store import open_db
from tests.analytics.history import before_fast_views, build, renamed

FAST = (
    "run_latency",
    "latency_summary",
    "participation",
    "answer_times",
    "answer_time_by_person",
    "answer_time_by_step",
)


def assert_views_are_their_definitions(path: Path) -> int:
    """Every view's rows == its definition's over the raw tables; returns the rows compared."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    compared = 0
    for name, sql in MEASURES.items():
        view = conn.execute(f"SELECT * FROM {name}").fetchall()
        assert view == conn.execute(as_view(sql)).fetchall(), name
        compared += len(view)
    conn.close()
    return compared


TRANSCRIPT = {"messages", "answers", "transitions", "runs", "events", "decisions", "actions"}


def _tables_read(conn: sqlite3.Connection, sql: str) -> set[str]:
    """The raw tables ``sql`` reads, as SQLite's authorizer sees them when it prepares it."""
    read: set[str] = set()

    def note(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and table in TRANSCRIPT:
            read.add(table)
        return sqlite3.SQLITE_OK

    conn.set_authorizer(note)
    conn.execute(f"EXPLAIN {sql}").fetchall()
    conn.set_authorizer(None)
    return read


def test_the_fast_views_read_no_transcript(tmp_path: Path) -> None:
    db = open_db(tmp_path / "v.db")
    for name in FAST:
        assert _tables_read(db.conn, f"SELECT * FROM {name}") == set(), name
        assert _tables_read(db.conn, as_view(MEASURES[name])), name  # the definition does


def test_views_show_their_definitions_rows_on_the_hand_built_history(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    build(path).conn.close()
    renamed(path)
    assert assert_views_are_their_definitions(path) > 50


def test_a_ledger_of_the_previous_version_gets_the_fast_views(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    before_fast_views(conn)
    assert all(_tables_read(conn, f"SELECT * FROM {name}") for name in FAST)
    conn.close()
    migrated = open_db(path)  # applies m007: the views
    for name in FAST:
        assert _tables_read(migrated.conn, f"SELECT * FROM {name}") == set(), name
    migrated.conn.close()
    renamed(path)  # written after the migration
    assert assert_views_are_their_definitions(path) > 50


def test_every_view_is_its_definition_or_reads_the_summaries() -> None:
    assert set(VIEWS) == set(MEASURES)
    assert {name for name in VIEWS if VIEWS[name] != MEASURES[name]} == {*FAST, "step_dropoff"}
