"""``decisionbot db backup FILE``: a consistent copy of a ledger that is being written to, one
self-contained file, written all or nothing and never over the ledger; real SQLite files, the
real CLI (click's runner) and a writer in another thread as the server would be."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
TRIGGER = ["trigger", "post_meeting", "--channel", "console", "-f", "alice", "--data", "title=Weekly"]


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args])


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.db"
    for _ in range(3):
        assert run(db, *TRIGGER).exit_code == 0
    return db


def test_a_backup_is_one_checked_file_with_every_run(ledger: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backups" / "ledger-copy.db"
    result = run(ledger, "db", "backup", str(copy))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up {ledger} to {copy}: 3 runs, ")
    assert result.output.rstrip().endswith("MB, checked.")
    assert not Path(f"{copy}-wal").exists() and not list(copy.parent.glob(".*.tmp"))
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall() == [(i, "active") for i in (1, 2, 3)]
    conn.close()
    listed = run(copy, "runs", "list", "--json")  # the copy is a ledger the CLI reads as it is
    assert listed.exit_code == 0 and '"flow": "post_meeting"' in listed.output


def test_a_backup_taken_while_another_connection_writes_holds_whole_transactions(ledger: Path, tmp_path: Path) -> None:
    """Each transaction of the writer adds two rows: a copy holding an odd count would hold half
    of one. The writer does not stop for the backup, and the backup does not wait for it."""
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        conn = sqlite3.connect(ledger, isolation_level=None, timeout=30)
        try:
            while not stop.is_set():
                k = written[0]
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', ?, 'x'), ('t', ?, 'x')",
                    (f"{k}-a", f"{k}-b"),
                )
                conn.execute("COMMIT")
                written[0] += 1
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 50:
            threading.Event().wait(0.01)
        copies = [tmp_path / f"copy-{i}.db" for i in range(3)]
        for copy in copies:
            assert run(ledger, "db", "backup", str(copy)).exit_code == 0
    finally:
        stop.set()
        thread.join()
    counts = [sqlite3.connect(c).execute("SELECT count(*) FROM deliveries").fetchone()[0] for c in copies]
    assert all(n % 2 == 0 and n >= 100 for n in counts), counts
    assert counts == sorted(counts) and written[0] * 2 >= counts[-1]


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_the_ledger_itself_is_never_the_backup(ledger: Path, suffix: str) -> None:
    target = Path(f"{ledger}{suffix}")
    server = sqlite3.connect(ledger)  # a server has it open: its -wal and -shm are there
    try:
        server.execute("SELECT count(*) FROM runs").fetchone()
        before = target.read_bytes()
        result = run(ledger, "db", "backup", str(target))
        assert result.exit_code == 1
        assert f"Refusing to write {target}: it is the ledger {ledger} (or its journal)" in result.output
        assert target.read_bytes() == before
    finally:
        server.close()
    assert sqlite3.connect(ledger).execute("SELECT count(*) FROM runs").fetchone() == (3,)


def test_a_failed_backup_leaves_an_existing_file_as_it_was(tmp_path: Path) -> None:
    not_a_ledger = tmp_path / "notes.db"
    not_a_ledger.write_text("these are my notes, not SQLite\n" * 100)
    old = tmp_path / "last-week.db"
    old.write_bytes(b"last week's backup")
    result = run(not_a_ledger, "db", "backup", str(old))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert old.read_bytes() == b"last week's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last-week.db", "notes.db"]


def test_no_ledger_no_backup_file(tmp_path: Path) -> None:
    result = run(tmp_path / "missing.db", "db", "backup", str(tmp_path / "copy.db"))
    assert result.exit_code == 1
    assert "DECISIONBOT_DB" in result.output  # where the server's ledger is said to be
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "missing.db").exists()


def test_a_pipe_or_device_is_refused(ledger: Path) -> None:
    result = run(ledger, "db", "backup", "/dev/null")
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "a backup goes to a file (SQLite writes it page by page), not a pipe or a device."
    )


CRASH = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.execute("UPDATE runs SET status = 'cancelled'")
os._exit(0)  # the server dies: its -wal stays beside the ledger
"""


def test_a_restore_as_the_readme_says_after_a_crash_reads_the_backup(ledger: Path, tmp_path: Path) -> None:
    """After a crash (the usual reason to restore) the ledger's -wal is still there: the README's
    steps move it aside with the -shm, else SQLite lays its pages over the restored copy."""
    copy = tmp_path / "copy.db"
    assert run(ledger, "db", "backup", str(copy)).exit_code == 0
    subprocess.run([sys.executable, "-c", CRASH, str(ledger)], check=True)
    assert Path(f"{ledger}-wal").stat().st_size > 0
    aside = tmp_path / "crashed"
    aside.mkdir()
    for suffix in ("-wal", "-shm"):
        if Path(f"{ledger}{suffix}").exists():
            shutil.move(f"{ledger}{suffix}", aside)
    shutil.move(copy, ledger)
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall() == [(i, "active") for i in (1, 2, 3)]
    conn.close()
    assert run(ledger, "runs", "list", "--json").exit_code == 0


def test_a_backup_of_a_private_ledger_is_private(ledger: Path, tmp_path: Path) -> None:
    """The operator keeps the ledger (every transcript) to themself (0600): so is the copy (it was
    0644, 0666 less the umask: anyone on the host could read it)."""
    ledger.chmod(0o600)
    copy = tmp_path / "backups" / "copy.db"
    assert run(ledger, "db", "backup", str(copy)).exit_code == 0
    assert oct(copy.stat().st_mode & 0o777) == oct(0o600)


def test_a_backup_replaces_an_earlier_copy_but_never_another_file_or_ledger(ledger: Path, tmp_path: Path) -> None:
    """FILE replaced when it is an earlier copy of this ledger (a nightly backup to one name);
    refused, nothing written, when it is notes, another application's database, another ledger (of
    any size: its first migration was made at another time), or this ledger's own with more runs
    than the copy (--db and FILE swapped: before, the older or other ledger silently replaced it)."""
    copy, old = tmp_path / "nightly.db", tmp_path / "old.db"
    assert run(ledger, "db", "backup", str(copy)).exit_code == 0
    assert run(ledger, "db", "backup", str(old)).exit_code == 0  # 3 runs, kept
    assert run(ledger, *TRIGGER).exit_code == 0  # a fourth run, then tonight's copy over last night's
    result = run(ledger, "db", "backup", str(copy))
    assert result.exit_code == 0 and ": 4 runs, " in result.output
    result = run(old, "db", "backup", str(ledger))  # the paths swapped: the old copy over the ledger
    assert result.exit_code == 1
    assert f"{ledger} is a ledger of 4 runs, more than the 3 of the ledger being copied" in result.output
    one, other = tmp_path / "one.db", tmp_path / "other.db"
    for each in (one, other):
        assert run(each, *TRIGGER).exit_code == 0  # two new ledgers of 1 run each
    for target, held in ((ledger, 4), (other, 1)):
        result = run(one, "db", "backup", str(target))
        assert result.exit_code == 1
        assert f"{target} is another decisionbot ledger ({held} runs), not a copy of this one" in result.output
    # each ledger as it was (read as SQLite: a connection closed meanwhile may checkpoint its -wal into the file)
    for target, held in ((ledger, 4), (other, 1), (one, 1)):
        with sqlite3.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM runs").fetchone() == (held,)
            assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    for target in (notes, shop):
        was = target.read_bytes()
        result = run(ledger, "db", "backup", str(target))
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"{target} is there and is not a decisionbot ledger" in result.output
        assert target.read_bytes() == was
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_backup_never_replaces_a_ledger_a_process_has_open(ledger: Path, tmp_path: Path) -> None:
    """--db and FILE swapped while the server runs, with the copy as new as the ledger (equal runs):
    the copy replaced the file the server wrote, which went on writing into the file unlinked, and
    every run it then acknowledged was lost (the ledger left corrupt: its -wal shared by two files)."""
    copy = tmp_path / "copy.db"
    assert run(ledger, "db", "backup", str(copy)).exit_code == 0  # as new as the ledger: 3 runs each
    server = sqlite3.connect(ledger)  # a server's connection: it holds the ledger open
    server.execute("PRAGMA journal_mode").fetchone()
    try:
        result = run(copy, "db", "backup", str(ledger))
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"{ledger} is a ledger a process has open" in result.output
        assert "are --db and FILE the other way round?" in result.output
        server.execute("INSERT INTO flow_versions (flow_id, version, title, path, text, first_loaded_at)"
                       " VALUES ('x', 'v', 't', 'p', 'y', '2026-01-01')")  # fmt: skip
        server.commit()
    finally:
        server.close()
    with sqlite3.connect(ledger) as conn:  # the server's write is in the ledger it wrote
        assert conn.execute("SELECT count(*) FROM flow_versions WHERE flow_id = 'x'").fetchone() == (1,)
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert run(ledger, "db", "backup", str(copy)).exit_code == 0  # tonight's copy over last night's: as before
