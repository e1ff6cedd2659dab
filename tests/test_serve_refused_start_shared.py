"""A ``serve`` refused at start removes a ledger it created only while that ledger is still as it
made it: nothing written to it, no other process holding it. Another ``serve``, cron's ``jobs
run-due`` or an operator may open the ledger while this start waits for its platform (Slack's
``auth.test``); a ledger they hold or wrote is kept. Real processes on a real file: this start
waits on a Slack Web API that holds the call until the test lets it fail."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import open_db

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HeldWebApi:
    """A Slack Web API that takes the call and holds it; ``refuse()`` then drops it unanswered."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/"
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()

    def _hold(self) -> None:
        conn, _ = self.sock.accept()
        self.release.wait(60)
        conn.close()

    def refuse(self) -> None:
        self.release.set()
        self.thread.join(10)
        self.sock.close()


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    return {**env, **extra}


def start(db: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "bot", "--db", str(db), "--flows", FLOWS, "serve", "--port", str(free_port())]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def held_start(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str], HeldWebApi]]:
    """A ``serve`` that created the ledger and waits on Slack's auth.test."""
    api = HeldWebApi()
    db = tmp_path / "data" / "decisions.db"
    env = environment(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SLACK_API_URL=api.url)
    proc = start(db, env)
    wait_for(lambda: db.exists() and not api.release.is_set() and _migrated(db), "the ledger made")
    yield db, proc, api
    api.refuse()
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def _migrated(db: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0])
    except sqlite3.Error:
        return False


def refused(proc: subprocess.Popen[str], api: HeldWebApi) -> None:
    api.refuse()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Slack's Web API at " in err, err


def test_a_ledger_another_serve_opened_meanwhile_is_kept(
    held_start: tuple[Path, subprocess.Popen[str], HeldWebApi],
) -> None:
    db, proc, api = held_start
    other = start(db, environment())  # no channel: serves the hooks on the same ledger
    try:
        wait_for(lambda: _inode_held_by(other.pid, db), "the other server on the ledger")
        refused(proc, api)
        assert db.exists()  # the other server's ledger, not a file it writes after it was unlinked
        assert os.stat(db).st_ino == _inode_held_by(other.pid, db)
        assert other.poll() is None
    finally:
        other.terminate()
        other.wait(30)


def _inode_held_by(pid: int, db: Path) -> int:
    """The inode of the ledger process ``pid`` has open (0: none)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) == str(db):
                return os.stat(fd).st_ino
        except FileNotFoundError:  # closed as it was looked at
            continue
    return 0


def test_a_ledger_another_process_wrote_meanwhile_is_kept(
    held_start: tuple[Path, subprocess.Popen[str], HeldWebApi],
) -> None:
    db, proc, api = held_start
    demo = [sys.executable, "-m", "bot", "--db", str(db), "--flows", FLOWS, "demo-data", "--runs", "3"]
    subprocess.run(demo, check=True, timeout=120, env=environment(), capture_output=True)
    runs = open_db(db).execute("SELECT count(*) FROM runs").fetchone()[0]
    assert runs >= 3
    refused(proc, api)
    assert db.exists()
    assert open_db(db).execute("SELECT count(*) FROM runs").fetchone()[0] == runs


def test_a_ledger_this_start_wrote_turns_to_before_it_was_refused_is_kept(tmp_path: Path) -> None:
    """A channel that took turns (Socket Mode's events) before another refused the start: the
    turns are kept, with the ledger; one refused with nothing written goes."""
    from bot.analytics import demo
    from bot.serve_start import nothing_left_if_refused

    for wrote, path in ((True, tmp_path / "turns" / "l.db"), (False, tmp_path / "none" / "l.db")):
        with pytest.raises(OSError), nothing_left_if_refused(str(path)) as start:
            db = open_db(path)
            start.close_ledger = db.close
            if wrote:
                demo.fill(db, ROOT / "flows", runs=2, seed=1)
            raise OSError("Teams refused")
        assert path.exists() is wrote
    assert open_db(tmp_path / "turns" / "l.db").execute("SELECT count(*) FROM runs").fetchone()[0] >= 2
    assert not (tmp_path / "none").exists()


def test_a_ledger_reached_through_a_link_is_not_unlinked(tmp_path: Path) -> None:
    """--db a symbolic link to where the ledger is to be (a volume not yet holding one): a refused
    start leaves the link, and what it made through it goes (the file at the link's target)."""
    from bot.serve_start import nothing_left_if_refused

    target = tmp_path / "volume" / "decisions.db"
    target.parent.mkdir()
    link = tmp_path / "decisions.db"
    link.symlink_to(target)
    with pytest.raises(OSError), nothing_left_if_refused(str(link)) as start:
        start.close_ledger = open_db(link).close
        raise OSError("Slack refused")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert not target.exists()
