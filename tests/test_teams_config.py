"""Teams settings at start-up: half a configuration is said out loud, a switch value the bot does
not know stops the start (never read as off)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.server import CHANNELS, create_app
from tests.teams_support import ROOT

APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"MicrosoftAppPassword": "pw-secret-777"}, "MicrosoftAppPassword is set"),
        ({"MicrosoftAppTenantId": "72f988bf-0000-0000-0000-000000000001"}, "MicrosoftAppTenantId is set"),
        (
            {"MicrosoftAppPassword": "pw-secret-777", "MicrosoftAppType": "SingleTenant", "DECISIONBOT_TEAMS": "off"},
            "MicrosoftAppPassword and MicrosoftAppType are set",
        ),
    ],
)
def test_teams_left_off_for_want_of_its_app_id_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, env: dict[str, str], said: str
) -> None:
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    assert app[CHANNELS] == {}
    assert [r.getMessage() for r in caplog.records if r.name == "decisionbot"] == [
        f"Teams is off: {said} but MicrosoftAppId is not. Set MicrosoftAppId (the bot's Microsoft App ID) to turn"
        " Teams on."
    ]
    assert "pw-secret-777" not in caplog.text


def test_nothing_is_said_when_teams_is_on_or_wholly_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for env in ({}, {"DECISIONBOT_TEAMS": "off"}, {"DECISIONBOT_TEAMS": "on", "MicrosoftAppType": "MultiTenant"}):
        create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    assert "Teams is off" not in caplog.text


@pytest.mark.parametrize("value", ["yes", "enabled", "of"])
def test_a_switch_value_it_does_not_know_stops_the_start(tmp_path: Path, value: str) -> None:
    for env in ({"DECISIONBOT_TEAMS": value}, {"DECISIONBOT_TEAMS": value, "MicrosoftAppId": APP_ID}):
        with pytest.raises(ConfigError) as refused:
            create_app(tmp_path / "x.db", ROOT / "flows", env={**env, "MicrosoftAppPassword": "pw"})
        assert str(refused.value) == (
            f"DECISIONBOT_TEAMS must be on, 1, true (Teams on) or off, 0, false (off), not '{value}'."
        )
    for on in ("on", "ON", "1", "true", " True "):
        assert create_app(tmp_path / "x.db", ROOT / "flows", env={"DECISIONBOT_TEAMS": on})[CHANNELS]


@pytest.mark.parametrize("app_type", ["SingleTenant", "UserAssignedMSI"])
def test_an_app_type_that_needs_an_app_id_without_one_stops_the_start(tmp_path: Path, app_type: str) -> None:
    env = {"DECISIONBOT_TEAMS": "on", "MicrosoftAppType": app_type, "MicrosoftAppTenantId": "t-1"}
    with pytest.raises(ConfigError) as refused:  # before: botbuilder's "Property 'APP_ID' is expected", a traceback
        create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    assert str(refused.value).startswith(f"MicrosoftAppType={app_type} needs MicrosoftAppId")


def test_serve_refuses_a_switch_value_it_does_not_know_in_one_line(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "DECISIONBOT_"))},
        "DECISIONBOT_TEAMS": "yes",
    }
    out = subprocess.run(
        [str(Path(sys.executable).with_name("decisionbot")), "--db", str(tmp_path / "x.db"), "serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1, out
    last = out.stderr.strip().splitlines()[-1]
    assert last.endswith("DECISIONBOT_TEAMS must be on, 1, true (Teams on) or off, 0, false (off), not 'yes'.")


#: Loaded first by the interpreter (PYTHONPATH): botbuilder cannot be imported, as after a plain
#: `pip install decisionbot` without the 'teams' extra.
NO_BOTBUILDER = """\
import sys


class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("botbuilder", "botframework"):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)


sys.meta_path.insert(0, Missing())
"""


@pytest.mark.parametrize(
    ("turned_on", "setting"),
    [
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "pw", "DECISIONBOT_TEAMS": "off"}, "MicrosoftAppId"),
        ({"DECISIONBOT_TEAMS": "on"}, "DECISIONBOT_TEAMS"),
    ],
)
def test_serve_asked_for_teams_without_botbuilder_names_the_extra(
    tmp_path: Path, turned_on: dict[str, str], setting: str
) -> None:
    (tmp_path / "sitecustomize.py").write_text(NO_BOTBUILDER)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "DECISIONBOT_"))},
        **turned_on,
        "PYTHONPATH": str(tmp_path),
    }
    out = subprocess.run(
        [str(Path(sys.executable).with_name("decisionbot")), "--db", str(tmp_path / "x.db"), "serve", "--port", "3998"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # before: served with no channel at all, exit 0 at the first signal
    assert out.returncode == 1, out
    assert out.stderr.strip().splitlines()[-1] == (
        f"Error: The teams channel is on ({setting} is set), but botbuilder is not installed."
        f" Install it with: pip install 'decisionbot[teams]', or unset {setting}."
    )


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "DECISIONBOT_"))}
    command = [str(Path(sys.executable).with_name("decisionbot")), "--db", str(tmp_path / "x.db"), "serve", *args]
    return subprocess.Popen(
        command, env={**clean, **env}, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "decisionbot.internal"])
def test_teams_without_authentication_is_served_on_a_loopback_address_only(tmp_path: Path, host: str) -> None:
    """DECISIONBOT_TEAMS=on with MicrosoftAppId empty (a secret store that lost it) on a reachable
    address took any activity from the network: anyone spoke as any Teams user, and the bot posted
    its replies to whatever serviceUrl they named (a request to an internal address)."""
    proc = _serve(tmp_path, "--host", host, "--port", "39751", DECISIONBOT_TEAMS="on")
    try:
        _, err = proc.communicate(timeout=60)
    finally:  # before the fix it served, until stopped
        proc.kill()
    assert proc.returncode == 1, err
    assert err.strip().splitlines()[-1] == (
        f"Error: Refusing to serve Teams on {host} without authentication (DECISIONBOT_TEAMS=on, MicrosoftAppId"
        " empty): anyone who can reach it could speak as any Teams user, and have the bot post to any URL they"
        " name. Set MicrosoftAppId and MicrosoftAppPassword, or use --host 127.0.0.1."
    )
    assert not (tmp_path / "x.db").exists()  # refused before the ledger is opened


def test_teams_without_authentication_is_served_on_loopback(tmp_path: Path) -> None:
    from tests.rasa_support import free_port

    port = free_port()
    proc = _serve(tmp_path, "--port", str(port), DECISIONBOT_TEAMS="on")  # the default host: 127.0.0.1
    try:
        out = proc.stdout.readline() if proc.stdout else ""
        assert out.startswith(f"decisionbot serving on http://127.0.0.1:{port} - channels: teams"), out
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
