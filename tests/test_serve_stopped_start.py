"""``serve`` stopped (SIGTERM, Ctrl+C's SIGINT) while it starts: Slack slow to answer auth.test.
Before, it exited 0 with no line saying so, and kept the ledger it had just created, empty. Now it
logs that the start was stopped before serving, exits 128 + the signal (143 for SIGTERM, 130 for
SIGINT: a shell's and systemd's reading of a process ended by that signal), and removes a ledger it
created and nobody touched, as a refused start does; a ledger that was there is kept."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from bot import texts
from bot.store import open_db
from tests.rasa_support import free_port
from tests.serve_process import CLI, ROOT


def stopped_while_slack_is_asked(db: Path, signum: int) -> subprocess.CompletedProcess[str]:
    """``serve`` with Slack on, its Web API a socket that takes auth.test and never answers; ``signum``
    sent once the request is there (the channel's start under way), and what the process did."""
    with socket.socket() as slack:
        slack.bind(("127.0.0.1", 0))
        slack.listen()
        slack.settimeout(60)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
        env.update(
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=f"http://127.0.0.1:{slack.getsockname()[1]}/api/",
        )
        command = [str(CLI), "--db", str(db), "--flows", str(ROOT / "flows"), "serve", "--port", str(free_port())]
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        asked, _ = slack.accept()  # auth.test on its way: the start waits for Slack
        with asked:
            server.send_signal(signum)
            out, err = server.communicate(timeout=60)
    return subprocess.CompletedProcess(command, server.returncode, out, err)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: signal.Signals(s).name)
def test_a_start_stopped_by_a_signal_says_so_exits_128_plus_it_and_removes_its_new_ledger(
    tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "data" / "decisions.db"
    done = stopped_while_slack_is_asked(db, signum)
    assert done.returncode == 128 + signum, done.stdout + done.stderr
    assert texts.start_stopped(signal.Signals(signum).name, 128 + signum) in done.stderr, done.stderr
    assert "serving on" not in done.stdout and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # the ledger, its -wal and -shm, and the folder made for it


def test_a_ledger_that_was_there_is_kept_by_a_stopped_start(tmp_path: Path) -> None:
    db = tmp_path / "decisions.db"
    open_db(db).conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    done = stopped_while_slack_is_asked(db, signal.SIGTERM)
    assert done.returncode == 143, done.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.db"]


def test_sighup_is_logged_and_ignored_while_starting_and_while_serving(tmp_path: Path) -> None:
    """``kill -HUP`` (a reload out of habit; the terminal closed) ended the server at once, exit 129,
    without a line, and systemd's Restart=on-failure left it stopped. Now it is said and ignored."""
    import time

    from tests.serve_process import served, status_of

    with socket.socket() as slack:  # starting: Slack's auth.test asked, not answered yet
        slack.bind(("127.0.0.1", 0))
        slack.listen()
        slack.settimeout(60)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
        env.update(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
        env["SLACK_API_URL"] = f"http://127.0.0.1:{slack.getsockname()[1]}/api/"
        command = [str(CLI), "--db", str(tmp_path / "a.db"), "--flows", str(ROOT / "flows"), "serve"]
        server = subprocess.Popen([*command, "--port", str(free_port())], env=env, stderr=subprocess.PIPE, text=True)
        asked, _ = slack.accept()
        with asked:
            server.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            assert server.poll() is None  # (before: ended, 129)
            server.send_signal(signal.SIGTERM)
            _, err = server.communicate(timeout=60)
    assert server.returncode == 143 and texts.hang_up_ignored() in err, err

    with served(tmp_path / "b.db", {}) as serving:
        serving.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert status_of(f"{serving.base}/healthz") == 200  # serving on
    assert serving.process.returncode == 0, serving.output
    assert texts.hang_up_ignored() in serving.output and "decisionbot stopped" in serving.output
