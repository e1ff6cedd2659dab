"""Running decisionbot as a service: the systemd unit in deploy/ starts `serve` as written (its
ExecStart, WorkingDirectory and environment file, with the paths moved to a temporary folder),
serves, writes its ledger where the unit lets it, and stops cleanly on the unit's KillSignal within
its TimeoutStopSec; the environment file names every setting and nothing else. And a variable
meant for decisionbot that names no setting is said, never its value."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot import config
from tests.binaries import require
from tests.rasa_support import free_port

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "decisionbot.service"
ENV_EXAMPLE = ROOT / "deploy" / "decisionbot.env.example"
CLI = Path(sys.executable).with_name("decisionbot")
HOME = "/srv/decisionbot"  # where the unit expects the checkout
ASSIGNMENT = re.compile(r"^#?\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)  # systemd repeats keys (SystemCallFilter)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd's keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def example_lines() -> list[tuple[str, str, bool]]:
    """(name, value, active) of each NAME=value line of the environment file, commented out or not."""
    found = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line.strip())
        if match:
            found.append((match[1], match[2], not line.startswith("#")))
    return found


def test_the_environment_file_names_every_setting_once_and_nothing_else() -> None:
    names = [name for name, _value, _active in example_lines()]
    assert sorted(names) == sorted(config.BY_ENV), "deploy/decisionbot.env.example and bot/config.py differ"
    for name, value, active in example_lines():
        assert "#" not in value, f"{name}: systemd would take the comment as part of the value"
        assert not active, f"{name} is set in the example: every setting there is commented out"
    assert config.misnamed(dict.fromkeys(names, "x")) == []


def test_systemd_takes_the_unit_without_a_warning(tmp_path: Path) -> None:
    """``systemd-analyze verify``: every section and key known, the command found (the unit's paths
    moved to a temporary checkout with this venv's decisionbot)."""
    analyze = require("systemd-analyze", "deploy.sh")
    (tmp_path / "data").mkdir()
    text = UNIT.read_text().replace(f"{HOME}/.venv/bin/decisionbot", str(CLI)).replace(HOME, str(tmp_path))
    moved = tmp_path / "decisionbot.service"
    moved.write_text(text)
    done = subprocess.run([analyze, "verify", str(moved)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    rated = subprocess.run(
        [analyze, "security", "--offline=yes", str(moved)], capture_output=True, text=True, timeout=60
    )
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", rated.stdout + rated.stderr)
    assert exposure is not None, rated.stdout + rated.stderr
    assert float(exposure[1]) <= 2.0, "the unit lost some of its hardening: " + rated.stdout  # 1.4 as shipped


def test_the_unit_starts_serve_writes_its_ledger_in_data_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    service = unit()["Service"]
    home = tmp_path / "srv"
    (home / "data").mkdir(parents=True)
    (home / "flows").symlink_to(ROOT / "flows")
    assert service["WorkingDirectory"] == HOME
    assert service["ReadWritePaths"].split() == [f"{HOME}/data"]  # the ledger's folder, nothing else
    assert service["Restart"] == "on-failure"  # a clean stop (exit 0) stays stopped
    assert service["SuccessExitStatus"] == "143"  # a start stopped by SIGTERM: clean too (README)
    assert unit()["Unit"]["StartLimitIntervalSec"] == "0"  # a network late at boot never leaves it stopped
    command = shlex.split(service["ExecStart"])
    assert command[0] == f"{HOME}/.venv/bin/decisionbot"
    assert service["EnvironmentFile"] == "/etc/decisionbot/env"
    port = free_port()
    env = {"PATH": os.environ["PATH"], "DECISIONBOT_PORT": str(port)}  # the example as shipped sets nothing
    env |= {name: value for name, value, active in example_lines() if active}
    log = tmp_path / "journal.log"
    with log.open("wb") as out:
        umask = int(service["UMask"], 8)  # the unit's, as systemd sets it
        proc = subprocess.Popen(
            [str(CLI), *command[1:]], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT, umask=umask
        )
        try:
            health = wait_healthy(port, proc)
            assert health["status"] == "ok"
            ledger = home / "data" / "decisions.db"
            # README: its owner writes it, its group (analysts) reads it, other users do not
            assert stat.S_IMODE(ledger.stat().st_mode) == 0o640
            assert getattr(signal, service["KillSignal"]) == signal.SIGTERM
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=float(service["TimeoutStopSec"]))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    journal = log.read_text()
    assert code == 0, journal
    assert f"Ledger {home / 'data' / 'decisions.db'}" in journal
    assert "decisionbot stopped" in journal
    assert "Warning:" not in journal  # nothing misnamed


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                return dict(json.loads(resp.read()))
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("MICROSOFT_APP_ID", "MicrosoftAppId"),
        ("MicrosoftAppPasword", "MicrosoftAppPassword"),
        ("MICROSOFTAPPTENANTID", "MicrosoftAppTenantId"),
        ("SLACK_TOKEN", "SLACK_BOT_TOKEN"),
        ("SLACK_SIGNING_SECRETS", "SLACK_SIGNING_SECRET"),
        ("DECISIONBOT_HOOK_TOKN", "DECISIONBOT_HOOK_TOKEN"),
        ("decisionbot_db", "DECISIONBOT_DB"),
        ("DECISIONBOT_WEBHOOK", None),
    ],
)
def test_a_variable_meant_for_a_setting_is_named_with_the_setting_it_meant(name: str, meant: str | None) -> None:
    assert config.misnamed({name: "x", "PATH": "/bin"}) == [(name, meant)]


def test_other_programs_variables_and_the_settings_themselves_are_not_named() -> None:
    others = [
        "PATH",
        "HOME",
        "CI",
        "TZ",
        "SLACK_WEBHOOK_URL",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_USER_TOKEN",
    ]
    others += ["AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"]  # other tools of the same host
    assert config.misnamed(dict.fromkeys([*others, *config.BY_ENV], "x")) == []


def test_every_command_says_a_misnamed_variable_on_stderr_never_its_value(tmp_path: Path) -> None:
    ledger = tmp_path / "d.db"
    subprocess.run([str(CLI), "--db", str(ledger), "db", "migrate"], check=True, capture_output=True)
    env = os.environ | {"MICROSOFT_APP_ID": "s3cret-app-id", "SLACK_TOKEN": "xoxb-s3cret"}
    done = subprocess.run(
        [str(CLI), "--db", str(ledger), "runs", "list", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []  # standard output stays the command's
    assert done.stderr.splitlines() == [
        "Warning: MICROSOFT_APP_ID is set, but decisionbot has no setting of that name: it is ignored. "
        "Did you mean MicrosoftAppId?",
        "Warning: SLACK_TOKEN is set, but decisionbot has no setting of that name: it is ignored. "
        "Did you mean SLACK_BOT_TOKEN?",
    ]
    assert "s3cret" not in done.stderr
