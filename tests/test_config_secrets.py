"""A secret as operators hand it over: from a secrets file or a Kubernetes secret, with the file's
trailing newline, or left blank. Its surrounding whitespace is not part of it, and a blank secret is
not set (the start says which variable is missing), as the hook token has always been read."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import SECRET, SlackPeople, harness, slash_body

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


@pytest.fixture
def slack_people() -> SlackPeople:
    return {}


async def test_slack_secrets_read_from_files_with_their_newline_work(tmp_path: Path, fake: FakeSlack) -> None:
    """SLACK_SIGNING_SECRET with a trailing newline refused every request from Slack (401: the
    newline was part of the HMAC key); the bot token went out as it is set in Slack."""
    env = {"SLACK_SIGNING_SECRET": f"{SECRET}\n", "SLACK_BOT_TOKEN": " xoxb-test\n"}
    slack = await harness(tmp_path, fake, env=env)
    try:
        resp = await slack.post(slash_body("UA", "help"), form=True)  # signed with the secret itself
        assert resp.status == 200
        assert fake.of("auth.test")[0].token == "xoxb-test"
    finally:
        await slack.client.close()


def test_a_blank_signing_secret_stops_the_start_naming_it(tmp_path: Path, monkeypatch) -> None:
    """A signing secret of spaces was a traceback from slack_sdk (ValueError: signing_secret must
    not be empty)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "  ")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "--flows", FLOWS, "serve", "--port", "1"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: SLACK_SIGNING_SECRET is required"), result.output


@pytest.mark.parametrize("variable", ["SLACK_BOT_TOKEN", "DECISIONBOT_HOOK_TOKEN"])
def test_a_secret_of_two_lines_stops_the_start_naming_it_not_its_value(tmp_path: Path, monkeypatch, variable) -> None:
    """Two lines pasted into an env file: the bot token's was a 94-line traceback from aiohttp
    ("Forbidden control character detected in headers"); a hook token's started, and every
    sender got 401 for good, since no header can carry a line break."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-111-222")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    monkeypatch.setenv(variable, "first-line-value\nsecond-line-value\n")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "--flows", FLOWS, "serve", "--port", "1"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {variable} has a line break or another control character inside it (two lines pasted into"
        f" the env file?): no request could carry it. Set {variable} to the one value, on one line."
    )
    assert "line-value" not in result.output and not (tmp_path / "s.db").exists()


def test_a_blank_rasa_token_does_not_open_the_action_server_to_the_network(tmp_path: Path) -> None:
    """A token of spaces counted as a token: rasa-actions listened on every interface."""
    args = [sys.executable, "-c", "from bot.cli import main; main()"]
    args += ["--db", str(tmp_path / "r.db"), "--flows", FLOWS, "rasa-actions", "--host", "0.0.0.0", "--port", "1"]
    env = {**os.environ, "DECISIONBOT_RASA_TOKEN": " \n"}
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 1, out.stderr
    assert "DECISIONBOT_RASA_TOKEN" in out.stderr and "Traceback" not in out.stderr


def serve_logs(tmp_path: Path, **env: str) -> str:
    """What ``decisionbot serve`` logs from its start to its stop (SIGTERM once it serves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [sys.executable, "-c", "from bot.cli import main; main()", "--db", str(tmp_path / "l.db")]
    args += ["--flows", FLOWS, "serve", "--port", str(port)]
    full = {**os.environ, "DECISIONBOT_HOOK_TOKEN": "s3cret-hook-token", **env}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "serving on" in banner, banner
        proc.send_signal(signal.SIGTERM)
        _, logs = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return logs


def test_the_log_level_is_set_by_option_or_environment(tmp_path: Path) -> None:
    """serve always logged at INFO: an operator could neither quiet it nor turn on DEBUG."""
    default = serve_logs(tmp_path)
    assert " INFO decisionbot.hooks: " in default and " INFO decisionbot.service: decisionbot stopped" in default
    quiet = serve_logs(tmp_path, DECISIONBOT_LOG_LEVEL="warning")
    said = [line for line in quiet.splitlines() if " INFO " in line]
    assert " WARNING " not in quiet  # nothing wrong, nothing said but the service's lines (the ledger, the stop)
    assert said and all(" INFO decisionbot.service: " in line for line in said), said
    verbose = serve_logs(tmp_path, DECISIONBOT_LOG_LEVEL="DEBUG")
    assert " DEBUG " in verbose and "s3cret-hook-token" not in verbose
    bad = CliRunner().invoke(main, ["--db", str(tmp_path / "b.db"), "serve", "--log-level", "loud"])
    assert bad.exit_code == 2 and "'loud' is not one of" in bad.output


@pytest.mark.parametrize(
    ("bot_token", "app_token", "named", "fix"),
    [
        ("xapp-1-A111-222-secretpart", None, "SLACK_BOT_TOKEN", "xoxb-"),
        ("xapp-1-A111-222-secretpart", "xoxb-111-222-secretpart", "SLACK_BOT_TOKEN", "xoxb-"),
        ("xoxb-111-222-secretpart", "xoxb-111-222-secretpart", "SLACK_APP_TOKEN", "xapp-"),
        ("xoxb-111-222-secretpart", "xoxp-111-222-secretpart", "SLACK_APP_TOKEN", "xapp-"),
    ],
)
def test_a_slack_token_in_the_other_tokens_variable_stops_the_start_naming_it(
    tmp_path: Path, monkeypatch, bot_token: str, app_token: str | None, named: str, fix: str
) -> None:
    """Slack's app-level token (xapp-, Socket Mode) pasted as SLACK_BOT_TOKEN, or a bot token as
    SLACK_APP_TOKEN, got as far as Slack refusing it ('not_allowed_token_type'); the start now says
    which variable holds which kind of token, without the token itself."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", bot_token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    if app_token is not None:
        monkeypatch.setenv("SLACK_APP_TOKEN", app_token)
    else:
        monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "--flows", FLOWS, "serve", "--port", "1"])
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: {named} holds"), result.output
    assert fix in last, last
    assert "secretpart" not in result.output
    assert not (tmp_path / "s.db").exists()  # refused before the ledger is made
