"""A ledger the CLI cannot have as it wants: locked by another process that is writing to it (one
line naming the ledger, exit 1, never a traceback; nothing of the command written); a copy on
read-only storage (read with --immutable; otherwise one line saying so)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import bot.store
from bot.analytics import explore
from bot.cli import main
from bot.errors import ConfigError
from tests.analytics.history import build

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
    monkeypatch.setattr(bot.store.opening, "BUSY_TIMEOUT_MS", 200)
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


# --- a copy of the ledger on read-only storage ---------------------------------------------------

EXPLORE = """import asyncio, sys
from bot.analytics import explore
ds = explore.build(sys.argv[1], immutable=True)
async def main():
    people = (await ds.client.get("/ledger/participation.json?_shape=array")).json()
    print(len(people), "people")
asyncio.run(main())
"""


def _copy(tmp_path: Path) -> Path:
    """A ledger (WAL mode) copied after the bot stopped: the file alone, no -wal, no -shm."""
    live, folder = tmp_path / "live.db", tmp_path / "copy"
    build(live).conn.close()
    conn = sqlite3.connect(live)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    folder.mkdir()
    shutil.copy(live, folder / "ledger.db")
    return folder / "ledger.db"


def _in_read_only_mount(folder: Path, mount: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` run where ``folder`` is mounted read-only at ``mount``: in a mount namespace of its
    own (``unshare -m``), so the mount goes with the process and nothing is left to clean up."""
    script = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), str(mount), *argv],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_a_copy_on_read_only_storage_is_explored_with_immutable_and_otherwise_said_so(tmp_path: Path) -> None:
    """A real read-only mount (where this machine lets a test make one in a namespace of its own)."""
    ledger = _copy(tmp_path)
    mount = tmp_path / "mnt"
    mount.mkdir()
    if _in_read_only_mount(ledger.parent, mount, "touch", str(mount / "x")).stderr.find("Read-only") < 0:
        pytest.skip("cannot mount a folder read-only here (needs unshare -m and mount)")
    explored = _in_read_only_mount(ledger.parent, mount, sys.executable, "-c", EXPLORE, str(mount / ledger.name))
    assert explored.returncode == 0 and explored.stdout.endswith(" people\n"), explored.stderr
    assert int(explored.stdout.split()[0]) > 3
    cli = [sys.executable, "-m", "bot", "--db", str(mount / ledger.name)]
    reported = _in_read_only_mount(ledger.parent, mount, *cli, "report")
    assert reported.returncode == 1 and reported.stdout == "", reported.stderr
    said = reported.stderr.splitlines()
    assert len(said) == 1 and said[0].startswith(
        f"Error: Cannot read the ledger {mount / ledger.name} where it is: its folder is read-only here (read-only"
        " storage, or no permission to write it), and a ledger in WAL mode is read with a shared-memory file (-shm)"
        " beside it, there only while a decisionbot process has it open. Read it while the server runs, copy it to"
        " a folder you can write, or, for a copy nobody writes to any more, open it with: "
    )
    assert said[0].endswith(f" -m bot --db {mount / ledger.name} explore --immutable.")  # as run here
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["ledger.db"]


async def test_explore_immutable_needs_no_shared_memory_file(tmp_path: Path) -> None:
    """Where no read-only mount can be made: a -shm that cannot be created (a link to a folder that
    does not exist in its place) stands in for read-only storage."""
    ledger = _copy(tmp_path)
    ledger.with_name("ledger.db-shm").symlink_to(tmp_path / "nowhere" / "ledger.db-shm")
    with pytest.raises(ConfigError, match="unable to open database file"):
        explore.build(ledger)
    ds = explore.build(ledger, immutable=True)
    people = (await ds.client.get("/ledger/participation.json?_shape=array")).json()
    assert len(people) > 3


# --- a ledger whose folder the analyst may not write ---------------------------------------------


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """The bot's ledger, stopped (no -wal, no -shm), in a folder an analyst may read but not write,
    and how to run a command as that analyst: the ``nobody`` account when the tests run as root
    (``setpriv``), else the tests' own user, the folder made read-only."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot run a command as someone else")
    folder = Path(tempfile.mkdtemp(prefix="ledger-"))  # not under tmp_path: its parents are private
    shutil.copy(_copy(tmp_path), folder / "ledger.db")
    (folder / "ledger.db").chmod(0o644)
    folder.chmod(0o755 if os.geteuid() == 0 else 0o555)
    root = os.geteuid() == 0
    yield folder / "ledger.db", (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if root else [])
    folder.chmod(0o755)
    shutil.rmtree(folder)


def test_a_stopped_ledger_in_a_folder_the_analyst_may_not_write_is_said_so_not_called_foreign(
    unwritable: tuple[Path, list[str]],
) -> None:
    ledger, as_analyst = unwritable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in (["report"], ["export", "runs"], ["transcripts", "search", "plan"]):
        argv = [*as_analyst, sys.executable, "-m", "bot", "--db", str(ledger), *command]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", timeout=120)
        assert done.returncode == 1 and done.stdout == "", done.stderr
        said = done.stderr.splitlines()
        assert len(said) == 1 and said[0].startswith(
            f"Error: Cannot read the ledger {ledger} where it is: its folder is read-only here (read-only storage,"
            " or no permission to write it)"
        ), said
        assert "not a decisionbot ledger" not in said[0]
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["ledger.db"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_explore_refuses_to_serve_the_ledger_beyond_this_machine_unless_told_public(tmp_path: Path, host: str) -> None:
    """Datasette has no login: `explore --host 0.0.0.0` served every run, private answers
    included, to anyone who could reach the port, without a word."""
    ledger = tmp_path / "d.db"
    cli = [sys.executable, "-m", "bot", "--db", str(ledger)]
    subprocess.run([*cli, "db", "migrate"], check=True, capture_output=True)
    done = subprocess.run([*cli, "explore", "--host", host], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"Refusing to serve the ledger on {host}" in done.stderr and "--public" in done.stderr
