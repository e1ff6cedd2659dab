"""A setting (not a secret) as an environment file hands it over: a stray space after the value
(`docker --env-file`, a Kubernetes ConfigMap, an `.env` file keep it), or a value of spaces. The
example environment file says a blank value is the same as leaving it out; surrounding
whitespace is not part of the value, as it is not for a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import config
from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


def test_a_ledger_path_with_a_trailing_space_is_the_ledger_not_a_new_file(tmp_path: Path, monkeypatch) -> None:
    """DECISIONBOT_DB='.../decisions.db ' made a second, empty ledger named 'decisions.db ' beside
    the real one (and `serve` wrote every turn there)."""
    ledger = tmp_path / "decisions.db"
    monkeypatch.setenv("DECISIONBOT_DB", f"{ledger} ")
    monkeypatch.setenv("DECISIONBOT_FLOWS", f" {FLOWS}\n")
    result = CliRunner().invoke(main, ["db", "migrate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ledger.is_file(), result.output
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(" ")], result.output
    listed = CliRunner().invoke(main, ["flows", "list"], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert "post_meeting" in listed.output


@pytest.mark.parametrize(
    ("env", "value", "read"),
    [
        ("DECISIONBOT_TIMEZONE", " ", "UTC"),  # blank: the default, as the env example says
        ("DECISIONBOT_TIMEZONE", "Europe/Paris \n", "Europe/Paris"),
        ("DECISIONBOT_SYNCHRONOUS", "FULL ", "FULL"),
        ("DECISIONBOT_SYNCHRONOUS", "  ", "NORMAL"),
        ("SLACK_API_URL", " ", "https://slack.com/api/"),
    ],
)
def test_settings_are_read_without_surrounding_whitespace(monkeypatch, env: str, value: str, read: str) -> None:
    monkeypatch.setenv(env, value)
    assert config.get(config.BY_ENV[env].name) == read
    assert str(config.timezone()) == (read if env == "DECISIONBOT_TIMEZONE" else "UTC")
    assert config.synchronous() == (read if env == "DECISIONBOT_SYNCHRONOUS" else "NORMAL")


def test_a_log_level_or_port_with_a_trailing_space_starts_serve(monkeypatch, tmp_path: Path) -> None:
    """'info ' and ' 3978' from the environment were usage errors (exit 2) naming the variable."""
    monkeypatch.setenv("DECISIONBOT_LOG_LEVEL", "warning ")
    monkeypatch.setenv("DECISIONBOT_PORT", " 1")
    monkeypatch.setenv("DECISIONBOT_HOST", "127.0.0.1 ")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")  # refused before the port: the options were read
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "--flows", FLOWS, "serve"])
    assert result.exit_code == 1, result.output
    assert "SLACK_SIGNING_SECRET is required" in result.output
    assert not (tmp_path / "s.db").exists()


def test_environment_strips_every_setting_and_drops_blank_ones() -> None:
    env = {"MicrosoftAppType": " SingleTenant\n", "DECISIONBOT_DEFAULT_CHANNEL": "  ", "OTHER": " kept "}
    assert config.environment(env) == {"MicrosoftAppType": "SingleTenant", "OTHER": " kept "}
