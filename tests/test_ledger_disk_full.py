"""A first start on a disk without room: one error line, and the ledger it began removed with its
``-wal``, ``-shm`` and the folders made for it. Before, the migrations' ``sqlite3.OperationalError``
("database or disk is full") ended ``serve`` and ``db migrate`` in a traceback, and the half-made
ledger left behind was taken at the next start for one an older decisionbot made (an upgrade copy
taken of it). And a restore onto a disk without room for its copy says the restore failed.

Without root, the disk refuses writes past a file size limit (``RLIMIT_FSIZE``: SQLite's "disk I/O
error"); as root (CI), a tiny tmpfs fills up for real ("database or disk is full")."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rasa_support import free_port

ROOT = Path(__file__).resolve().parents[1]
#: decisionbot's command line, its files limited to this many bytes (SIGXFSZ ignored: a write past it fails).
LIMITED = (
    "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
    " resource.setrlimit(resource.RLIMIT_FSIZE, (150_007, 150_007)); sys.argv[0] = 'decisionbot';"
    " from bot.cli import main; main()"
)


def run(db: Path, *args: str, limited: bool = False, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    start = [sys.executable, "-c", LIMITED] if limited else [sys.executable, "-m", "bot"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    env["PYTHONPATH"] = str(ROOT)
    command = [*start, "--db", str(db), "--flows", str(ROOT / "flows"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    return line


@pytest.mark.parametrize("command", [["db", "migrate"], ["serve"]], ids=" ".join)
def test_a_first_start_the_disk_refuses_leaves_nothing_behind(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "data" / "ledgers" / "decisions.db"
    options = ["--port", str(free_port())] if command == ["serve"] else []
    for _ in range(2):  # the second start finds what the first found: nothing (before: a half-made ledger)
        line = one_error_line(run(db, *command, *options, limited=True))
        assert line.startswith(f"Error: Cannot make the ledger {db}: its disk refused the writes"), line
        assert "the ledger it began was removed, nothing is left behind" in line
        assert f"df -h {tmp_path}" in line
        assert list(tmp_path.iterdir()) == []  # neither the ledger, its -wal and -shm, nor its folders
    made = run(db, "db", "migrate")  # with room: a new ledger, not one "made by an older decisionbot"
    assert made.returncode == 0 and "older" not in made.stdout + made.stderr, made.stdout + made.stderr


@contextlib.contextmanager
def tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted for the test (root only: else the test is skipped)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)]).returncode
    ):
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """Too small for a new ledger's schema."""
    with tmpfs(tmp_path, "200k") as mount:
        yield mount


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """Room for a new ledger, not for a copy of 1.4 MB."""
    with tmpfs(tmp_path, "1200k") as mount:
        yield mount


@pytest.mark.parametrize("command", [["db", "migrate"], ["serve"]], ids=" ".join)
def test_a_first_start_on_a_full_disk_says_so_and_leaves_nothing(full_disk: Path, command: list[str]) -> None:
    options = ["--port", str(free_port())] if command == ["serve"] else []
    for _ in range(2):
        line = one_error_line(run(Path("data/decisions.db"), *command, *options, cwd=full_disk))
        assert line.startswith("Error: Cannot make the ledger data/decisions.db: its disk is full"), line
        assert "(database or disk is full); the ledger it began was removed" in line
        assert f"df -h {full_disk}" in line
        assert list(full_disk.iterdir()) == []


def test_a_restore_without_room_for_its_copy_says_the_restore_failed(small_disk: Path, tmp_path: Path) -> None:
    db = small_disk / "decisions.db"
    assert run(db, "db", "migrate").returncode == 0
    big = tmp_path / "big.db"
    assert run(big, "demo-data", "--runs", "40").returncode == 0
    copy = tmp_path / "copy.db"
    assert run(big, "db", "backup", str(copy)).returncode == 0
    line = one_error_line(run(db, "db", "restore", str(copy)))
    assert line.startswith("Error: The restore failed, so nothing was changed: database or disk is full."), line
    assert f"in the ledger's folder ({small_disk})" in line and "room there for a file as large as COPY" in line
    assert sorted(p.name for p in small_disk.iterdir()) == ["decisions.db"]
