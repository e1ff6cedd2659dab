"""A damaged ledger (a bad disk block, a copy taken mid-write, a file cut short): every command
that opens it says it is damaged and names the way back, ``db restore`` with the newest backup found,
and ``db restore`` over it sets it aside (with its ``-wal`` and ``-shm``) and restores, still
refused while a process holds it. Before, the restore ended in a traceback (SQLite's
"database disk image is malformed" from its probe), and the commands called the ledger "not a
decisionbot ledger". A file that is not SQLite at all is still called that. Real SQLite files,
the real command in processes of its own (a command run in-process keeps its ledger open)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.rasa_support import free_port
from tests.serve_process import served
from tests.test_db_restore import TRIGGER, run, runs_in  # the restore tests' own, shared


def garble_page_one(db: Path) -> None:
    """The schema's page garbled past the file's header (a bad block): SQLite says "malformed"."""
    with db.open("r+b") as file:
        file.seek(100)
        file.write(b"garbage!" * 400)


def cut_short(db: Path) -> None:
    with db.open("r+b") as file:
        file.truncate(db.stat().st_size // 3)


def garble_header(db: Path) -> None:
    """The file's first bytes overwritten: SQLite says "file is not a database"."""
    with db.open("r+b") as file:
        file.write(b"X" * 40)


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Path, Path]:
    """A ledger of 3 runs in data/, and the backup cron's line took into data/backups when it had 2."""
    db = tmp_path / "data" / "decisions.db"
    for _ in range(2):
        assert run(db, *TRIGGER).returncode == 0
    taken = run(db, "db", "backup", "--into", str(db.parent / "backups"))
    assert taken.returncode == 0, taken.stderr
    assert run(db, *TRIGGER).returncode == 0
    (copy,) = (db.parent / "backups").iterdir()
    return db, copy


@pytest.mark.parametrize("damage", [garble_page_one, cut_short, garble_header], ids=lambda f: f.__name__)
def test_a_restore_over_a_damaged_ledger_sets_it_aside_and_restores(
    ledger: tuple[Path, Path], damage: Callable[[Path], None]
) -> None:
    db, copy = ledger
    Path(f"{db}-shm").write_bytes(b"\0" * 32768)  # as a crashed server leaves it beside the ledger
    damage(db)
    result = run(db, "db", "restore", str(copy))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (said,) = result.stdout.splitlines()  # one line
    (aside,) = [p for p in db.parent.iterdir() if p.name.startswith("decisions.before-restore-") and p.suffix == ".db"]
    assert said.startswith(f"Restored {db} from {copy}: 2 runs, checked.")
    assert "The ledger it replaced, which SQLite could not read (" in said
    assert f"is kept as {aside}, with its -shm." in said
    assert sorted(p.name for p in db.parent.iterdir()) == sorted(
        ["backups", "decisions.db", aside.name, f"{aside.name}-shm"]
    )
    assert runs_in(db) == 2


def test_a_restore_over_a_damaged_ledger_a_server_holds_is_refused(ledger: tuple[Path, Path]) -> None:
    """SQLite cannot read the file to ask whether it is held: its file locks are asked instead."""
    db, copy = ledger
    with served(db, {}):
        garble_header(db)
        refused = run(db, "db", "restore", str(copy))
        assert refused.returncode == 1, refused.stdout
        assert refused.stderr.startswith(f"Error: Refusing to restore over {db}: a process has it open"), refused.stderr
        assert not [p for p in db.parent.iterdir() if "restor" in p.name]


def test_a_damaged_ledger_held_without_a_wal_is_refused_too(ledger: tuple[Path, Path]) -> None:
    """No -wal beside it (a ledger in rollback mode, a -wal removed): SQLite opens it without asking
    for the lock the probe is refused, and fails on the garbled header; the file's locks say it is held."""
    db, copy = ledger
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    hold = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN');"
    hold += " c.execute('SELECT count(*) FROM runs').fetchone(); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        garble_header(db)
        refused = run(db, "db", "restore", str(copy))
    finally:
        holder.communicate("", timeout=30)
    assert refused.returncode == 1, refused.stdout
    assert refused.stderr.startswith(f"Error: Refusing to restore over {db}: a process has it open"), refused.stderr
    assert run(db, "db", "restore", str(copy)).returncode == 0  # let go: restored


@pytest.mark.parametrize(
    "command",
    [["runs", "list"], ["report"], ["db", "backup", "copy.db"], ["db", "migrate"], ["serve", "--port", "0"]],
    ids=" ".join,
)
def test_a_command_on_a_damaged_ledger_names_the_restore(ledger: tuple[Path, Path], command: list[str]) -> None:
    db, copy = ledger
    garble_page_one(db)
    if command[0] == "serve":
        command = ["serve", "--port", str(free_port())]
    result = run(db, *command)
    assert result.returncode == 1, result.stdout
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(
        f"Error: The ledger {db} is damaged: SQLite cannot read it (database disk image is malformed)"
    )
    assert f"--db {db} db restore {copy} (the newest backup found is {copy})." in error
    assert "not a decisionbot ledger" not in error and "Traceback" not in result.stderr


def test_a_damaged_ledger_without_backups_names_where_they_would_be(tmp_path: Path) -> None:
    db = tmp_path / "decisions.db"
    assert run(db, *TRIGGER).returncode == 0
    garble_page_one(db)
    result = run(db, "runs", "list")
    assert result.returncode == 1
    assert (
        "db restore BACKUP (a copy db backup made: the README's cron line keeps them in data/backups/" in result.stderr
    )


def test_a_file_that_is_not_sqlite_is_still_not_a_ledger(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes, not a database\n" * 20)
    result = run(notes, "runs", "list")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {notes} is not a decisionbot ledger (file is not a database)")


def test_a_damaged_copy_is_refused_as_the_copy(ledger: tuple[Path, Path]) -> None:
    db, copy = ledger
    garble_page_one(copy)
    refused = run(db, "db", "restore", str(copy))
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"Error: Refusing to restore: {copy} is damaged"), refused.stderr
    assert "Name another backup of the ledger as COPY; nothing was changed." in refused.stderr
    assert runs_in(db) == 3
