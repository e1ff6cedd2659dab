"""The WAL stays bounded: a checkpoint starts it over once it has grown past WAL_BOUND_BYTES,
also while turns keep writing (a passive checkpoint alone never finds it all copied before the
next write: it grew past a gigabyte a minute under load), and the next write cuts its file back
to that size. While another connection holds the write lock, starting over gives up soon, to
try at the next checkpoint."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

import bot.store
from bot.store import BUSY_TIMEOUT_MS, checkpoint, open_db

BOUND = 1024 * 1024  # the WAL's bound in these tests (open_db's wal_bound; WAL_BOUND_BYTES else)

Ledger = tuple[Path, sqlite3.Connection, Database]


def _write(conn: sqlite3.Connection, rows: int, pause: float = 0.0) -> None:
    """``rows`` commits of 4 KiB each, as turns make them (the ledger's connections leave
    checkpoints to :func:`checkpoint`)."""
    for _ in range(rows):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO filler VALUES (randomblob(4096))")
        conn.execute("COMMIT")
        time.sleep(pause)


def _wal_size(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


def _rows(path: Path) -> int:
    return int(sqlite3.connect(path).execute("SELECT count(*) FROM filler").fetchone()[0])


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """The ledger's file, the connection turns write on, and one that checkpoints (as the server has)."""
    path = tmp_path / "ledger.db"
    writer, copier = open_db(path, wal_bound=BOUND), open_db(path, migrate=False, wal_bound=BOUND)
    writer.conn.execute("CREATE TABLE filler (body BLOB)")
    copier.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the schema's pages: the WAL starts empty
    yield path, writer.conn, copier
    copier.conn.close()
    writer.conn.close()


def test_a_wal_written_to_without_pause_stays_bounded_and_keeps_every_row(ledger: Ledger) -> None:
    path, writer, copier = ledger
    turns = threading.Thread(target=_write, args=(writer, 1500, 0.0005))  # ~12 MB of WAL a second
    turns.start()
    largest = 0
    while turns.is_alive():
        checkpoint(copier)  # as the server's housekeeping does, here every 50 ms
        largest = max(largest, _wal_size(path))
        time.sleep(0.05)
    turns.join()
    assert largest < 6 * BOUND  # passive checkpoints alone: ~18 MB, one WAL from the first write on
    assert copier.conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    assert _rows(path) == 1500


def test_a_small_wal_is_copied_back_and_left_as_it_is(ledger: Ledger) -> None:
    path, writer, copier = ledger
    _write(writer, 20)
    size = _wal_size(path)
    checkpoint(copier)
    assert _wal_size(path) == size
    _busy, frames, copied = copier.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames == copied > 20


def test_after_a_burst_the_next_write_cuts_the_file_back(ledger: Ledger) -> None:
    path, writer, copier = ledger
    _write(writer, 400)  # about 5 MB of WAL
    checkpoint(copier)
    assert _wal_size(path) > 4 * BOUND
    _write(writer, 1)  # SQLite starts the WAL over
    assert 0 < _wal_size(path) <= BOUND
    assert _rows(path) == 401


def test_starting_over_gives_up_soon_while_another_connection_writes(ledger: Ledger) -> None:
    path, writer, copier = ledger
    _write(writer, 400)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO filler VALUES (x'00')")
    began = time.monotonic()
    checkpoint(copier)
    assert time.monotonic() - began < 2  # not the 30 s busy timeout
    assert _wal_size(path) > 4 * BOUND
    assert copier.conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    writer.execute("COMMIT")
    checkpoint(copier)  # the next one starts it over
    _write(writer, 1)
    assert _wal_size(path) <= BOUND
    assert _rows(path) == 402


def test_every_connection_cuts_the_file_back_when_the_wal_starts_over(tmp_path: Path) -> None:
    """Outside the server (a terminal chat, cron's jobs run-due) SQLite's own reset does it."""
    db = open_db(tmp_path / "ledger.db")
    assert db.conn.execute("PRAGMA journal_size_limit").fetchone()[0] == bot.store.WAL_BOUND_BYTES
