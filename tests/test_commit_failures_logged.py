"""Commits that keep failing (the ledger's disk full: every turn, timer and lease renewal of the
server fails its COMMIT, thousands a minute) are one error line a minute in the journal, not one
each, and the first commit that goes through again says so. Driven on a real SQLite file whose
COMMIT fails for real (a deferred foreign key, checked at COMMIT, as SQLite's "database or disk is
full" is met there)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.store import open_db, transaction
from bot.store.group import GroupCommit

ADD = "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', ?, 'now')"


async def write(db: Database, group: GroupCommit, delivery: str) -> bool:
    """One request's write in the open group; whether its commit went through."""
    with transaction(db) as conn:
        conn.execute(ADD, (delivery,))
    try:
        await group.settled()
    except sqlite3.Error:
        return False
    return True


async def test_commits_that_keep_failing_are_one_line_and_their_end_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot.store")
    db = open_db(tmp_path / "full.db")
    group = GroupCommit.install(db.conn)
    try:
        db.conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
        db.conn.execute("CREATE TRIGGER doom AFTER INSERT ON deliveries BEGIN INSERT INTO doomed VALUES (4242); END")
        results = [await write(db, group, f"failing {n}") for n in range(50)]
        assert results == [False] * 50
        assert db.conn.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)  # nothing kept
        assert caplog.text.count("A commit failed") == 1  # not 50: the journal keeps the other lines
        db.conn.execute("DROP TRIGGER doom")  # the disk has room again
        assert await write(db, group, "stored")
        assert "Commits go through again, after 50 failed in a row" in caplog.text
        caplog.clear()
        db.conn.execute("CREATE TRIGGER doom AFTER INSERT ON deliveries BEGIN INSERT INTO doomed VALUES (4242); END")
        assert not await write(db, group, "failing again")
        assert caplog.text.count("A commit failed") == 1  # a new run of failures is told at once
        assert "more failed like it" not in caplog.text  # counting none of the run before
    finally:
        group.uninstall()
