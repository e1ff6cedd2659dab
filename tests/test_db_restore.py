"""``decisionbot db restore COPY``: a backup put back in the ledger's place, refused while a process
(a running ``serve``) has the ledger open, since that server would go on writing to the ledger put
aside and lose what it stored. Real SQLite files, the real command in processes of its own (a
command run in-process keeps its ledger open), a real ``serve``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve_process import served

ROOT = Path(__file__).resolve().parents[1]
TRIGGER = ["trigger", "post_meeting", "--channel", "console", "-f", "alice", "--data", "title=Weekly"]


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", "--db", str(db), "--flows", str(ROOT / "flows"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def runs_in(db: Path) -> int:
    conn = sqlite3.connect(db)  # read-write: its -wal and -shm go as it closes
    try:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        conn.close()


def beside(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name != "backup.db")


@pytest.fixture
def ledger_and_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A ledger of 3 runs, and a backup taken when it had 2."""
    db, copy = tmp_path / "decisions.db", tmp_path / "backup.db"
    for _ in range(2):
        assert run(db, *TRIGGER).returncode == 0
    backed = run(db, "db", "backup", str(copy))
    assert backed.returncode == 0, backed.stderr
    assert run(db, *TRIGGER).returncode == 0
    os.chmod(db, 0o600)  # nobody in its group: the restored ledger keeps that
    return db, copy


def test_restore_puts_the_copy_back_and_keeps_the_ledger_it_replaced(ledger_and_copy: tuple[Path, Path]) -> None:
    db, copy = ledger_and_copy
    result = run(db, "db", "restore", str(copy))
    assert result.returncode == 0, result.stderr
    aside = [name for name in beside(db) if name.startswith("decisions.before-restore-")]
    assert len(aside) == 1
    assert beside(db) == sorted(["decisions.db", aside[0]])  # no -wal, no temporary file left
    assert runs_in(db) == 2 and runs_in(db.parent / aside[0]) == 3
    assert os.stat(db).st_mode & 0o777 == 0o600
    assert result.stdout.startswith(f"Restored {db} from {copy}: 2 runs, checked. The ledger it replaced is kept as ")


def test_restore_is_refused_while_serve_has_the_ledger_open(ledger_and_copy: tuple[Path, Path]) -> None:
    """Put in place by hand while the server ran, the copy was never seen by it, and every turn it
    took from then on went to the replaced file, lost at its next start."""
    db, copy = ledger_and_copy
    with served(db, {}):
        refused = run(db, "db", "restore", str(copy))
        assert refused.returncode == 1, refused.stdout
        assert refused.stderr.startswith(f"Error: Refusing to restore over {db}: a process has it open"), refused.stderr
        assert "nothing was changed" in refused.stderr
        assert runs_in(db) == 3
        assert not [name for name in beside(db) if "restor" in name]
    result = run(db, "db", "restore", str(copy))  # stopped: restored
    assert result.returncode == 0, result.stderr
    assert runs_in(db) == 2


def test_restore_refuses_a_copy_that_is_not_a_ledger(ledger_and_copy: tuple[Path, Path], tmp_path: Path) -> None:
    db, _copy = ledger_and_copy
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n")
    before = beside(db)
    refused = run(db, "db", "restore", str(junk))
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: ") and "is not a decisionbot ledger" in refused.stderr, refused.stderr
    assert (
        "Name a backup of the ledger as COPY" in refused.stderr and "Point --db" not in refused.stderr
    )  # COPY's fault
    assert beside(db) == before and runs_in(db) == 3
    itself = run(db, "db", "restore", str(db))
    assert itself.returncode == 1 and "is the ledger itself" in itself.stderr
    assert beside(db) == before


def test_a_wal_a_crash_left_is_folded_into_the_ledger_put_aside(ledger_and_copy: tuple[Path, Path]) -> None:
    """A server killed (kill -9, a power cut) leaves its -wal with committed turns: the restore
    is not refused for it, and the ledger put aside holds those turns."""
    db, copy = ledger_and_copy
    crash = (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
        " c.execute('PRAGMA journal_mode=WAL'); c.execute(\"UPDATE runs SET state = 'crashed' WHERE id = 3\");"
        " os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True, timeout=60)
    assert Path(f"{db}-wal").stat().st_size > 0
    result = run(db, "db", "restore", str(copy))
    assert result.returncode == 0, result.stderr
    (aside,) = [p for p in db.parent.iterdir() if p.name.startswith("decisions.before-restore-") and p.suffix == ".db"]
    assert not Path(f"{db}-wal").exists()
    conn = sqlite3.connect(aside)
    try:
        assert conn.execute("SELECT state FROM runs WHERE id = 3").fetchone() == ("crashed",)
    finally:
        conn.close()
    assert runs_in(db) == 2


def test_a_restore_on_a_new_machine_makes_the_ledger_and_its_folder(
    ledger_and_copy: tuple[Path, Path], tmp_path: Path
) -> None:
    """Before, the ledger's folder missing was 'No such file or directory: .../decisions.db.restoring'."""
    _db, copy = ledger_and_copy
    new = tmp_path / "srv" / "data" / "decisions.db"
    result = run(new, "db", "restore", str(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Restored {new} from {copy}: 2 runs, checked. Start the server again.\n"
    assert runs_in(new) == 2 and os.stat(new).st_mode & 0o777 == 0o640
