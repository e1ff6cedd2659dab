"""A ledger the CLI cannot have as it wants: locked by another process that is writing to it (one
line naming the ledger, exit 1, never a traceback; nothing of the command written)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import bot.store
from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args])


TRIGGER = ["trigger", "post_meeting", "--channel", "console", "-f", "alice", "--data", "title=Weekly"]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.db"
    assert run(db, *TRIGGER).exit_code == 0  # run 1, waiting for alice
    return db


@pytest.fixture
def locked(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Another process in the middle of a write (``BEGIN IMMEDIATE``, as a turn takes it); the
    CLI waits 0.2 s for it, not 30."""
    monkeypatch.setattr(bot.store, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(ledger, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield ledger
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize(
    "command",
    [
        ["runs", "cancel", "1"],
        TRIGGER,
        ["jobs", "run-due"],
    ],
    ids=" ".join,
)
def test_a_ledger_another_process_is_writing_to_is_one_line_and_nothing_is_written(
    locked: Path, command: list[str]
) -> None:
    before = _state(locked)
    result = run(locked, *command)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.output.splitlines() == [
        f"Error: The ledger {locked} is locked: another process is writing to it and did not finish within 0.2 s."
        " Try again in a moment."
    ]
    assert _state(locked) == before


def _state(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT id, status FROM runs UNION ALL SELECT count(*), 'messages' FROM messages"
        ).fetchall()
    finally:
        conn.close()
