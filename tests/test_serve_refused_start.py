"""A ``serve`` refused at start leaves nothing behind. Before, the ledger (``data/decisions.db`` or
``DECISIONBOT_DB``) was created, empty, before the start was refused over a missing Slack secret, a
busy port or a default channel that is none, and the log said "new, created now" of it. Now the
environment is checked and the port bound before the ledger is made, and a ledger made for a start
refused later (a platform out of reach as the channels start) is removed, with the folders made
for it; a ledger that was there stays as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.store import open_db
from tests.rasa_support import free_port

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")
#: A Slack Web API nobody answers at: the channel's start (auth.test) is refused.
NOBODY = "http://127.0.0.1:1/api/"


def serve(db: Path, *options: str, **env: str) -> Result:
    clean = {k: None for k in os.environ if k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    return CliRunner().invoke(main, ["--db", str(db), "--flows", FLOWS, "serve", *options], env={**clean, **env})


def refused(result: Result, starts: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.splitlines()[-1].startswith(f"Error: {starts}"), result.output


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"MicrosoftAppId": "11111111-2222-3333-4444-555555555555"}, "MicrosoftAppPassword"),
        ({"DECISIONBOT_TEAMS": "maybe"}, "DECISIONBOT_TEAMS"),
        ({"DECISIONBOT_DEFAULT_CHANNEL": "bogus"}, "DECISIONBOT_DEFAULT_CHANNEL"),
        ({"DECISIONBOT_TIMEZONE": "Mars/Olympus"}, ""),
        ({"DECISIONBOT_SYNCHRONOUS": "sometimes"}, ""),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else "",
)
def test_a_start_refused_over_the_environment_makes_no_ledger(tmp_path: Path, env: dict[str, str], error: str) -> None:
    db = tmp_path / "data" / "decisions.db"
    refused(serve(db, "--port", str(free_port()), **env), error)
    assert list(tmp_path.iterdir()) == []  # neither the ledger nor its folder


def test_a_start_refused_over_a_busy_port_makes_no_ledger(tmp_path: Path, taken_port: int) -> None:
    db = tmp_path / "data" / "decisions.db"
    refused(serve(db, "--port", str(taken_port)), f"Cannot listen on 127.0.0.1:{taken_port}: Address already in use")
    assert list(tmp_path.iterdir()) == []


def test_a_ledger_made_for_a_start_refused_as_the_channels_start_is_removed(tmp_path: Path) -> None:
    db = tmp_path / "srv" / "data" / "decisions.db"
    secrets = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": NOBODY}
    refused(serve(db, "--port", str(free_port()), **secrets), "Slack's Web API at ")
    assert list(tmp_path.iterdir()) == []  # the ledger, its -wal and -shm, and the folders made for it


def test_a_ledger_made_for_a_start_refused_because_no_flow_file_loads_is_removed(tmp_path: Path) -> None:
    """The flows' catalog refused the start before serve could close the ledger it had made: it stayed."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "x.yaml").write_text('id: x\ntitle: X\nsteps:\n  - {id: a, ask: "A?", type: text, not_befor: today}\n')
    db = tmp_path / "new" / "sub" / "d.db"
    clean = {k: None for k in os.environ if k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    result = CliRunner().invoke(
        main, ["--db", str(db), "--flows", str(flows), "serve", "--port", str(free_port())], env=clean
    )
    refused(result, "")
    assert "not_befor" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows"]  # neither the ledger nor the folders made for it


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [("routes.yaml", "route: []\n", "flows/routes.yaml"), ("checks.yaml", "check: []\n", "flows/checks.yaml")],
)
def test_a_ledger_made_for_a_start_a_broken_routes_or_checks_file_refused_is_removed(
    tmp_path: Path, name: str, text: str, said: str
) -> None:
    """The hooks' mount read the file and refused before serve could close the ledger it had made:
    it stayed, and the next start no longer warned of a ledger new there."""
    import shutil

    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    (flows / name).write_text(text)
    db = tmp_path / "new" / "d.db"
    clean = {k: None for k in os.environ if k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    result = CliRunner().invoke(
        main, ["--db", str(db), "--flows", str(flows), "serve", "--port", str(free_port())], env=clean
    )
    refused(result, "")
    assert name in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows"]


def test_a_ledger_that_was_there_is_kept_as_it_was_by_a_refused_start(tmp_path: Path, taken_port: int) -> None:
    db = tmp_path / "decisions.db"
    open_db(db).conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    secrets = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": NOBODY}
    refused(serve(db, "--port", str(free_port()), **secrets), "Slack's Web API at ")
    refused(serve(db, "--port", str(taken_port)), "Cannot listen on")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.db"]


def test_the_log_of_a_refused_start_claims_no_ledger_created(tmp_path: Path) -> None:
    """The log said "Ledger ...: new, created now" before the refusal; the ledger is said once the
    channels have started (a start that serves), with its open runs."""
    args = [sys.executable, "-m", "bot", "--db", str(tmp_path / "l.db"), "--flows", FLOWS, "serve"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    env.update(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SLACK_API_URL=NOBODY)
    out = subprocess.run([*args, "--port", str(free_port())], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 1 and "Slack's Web API at " in out.stderr, out.stderr
    assert "Ledger " not in out.stderr and "created now" not in out.stderr, out.stderr
    assert not (tmp_path / "l.db").exists()
