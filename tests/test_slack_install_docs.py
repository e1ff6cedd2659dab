"""What docs/slack.md's install steps quote of a start is what the server says: the errors of a
missing secret and of a refused token, the log line naming the installation, and the URL Slack
verifies. Before, the docs quoted ``SLACK_SIGNING_SECRET is required: ...``, which an admin
searching the journal for it never found (serve says ``... is required when SLACK_BOT_TOKEN is
set: ...``)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.errors import ConfigError
from bot.server import CHANNELS, SERVICES, create_app
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.slack_support import ROOT, SECRET, sign

DOCS = (ROOT / "docs" / "slack.md").read_text()
INSTALL = DOCS[DOCS.index("## Install the app in a workspace") : DOCS.index("## Using it")]


def quoted(text: str) -> list[str]:
    """What ``text`` quotes in backquotes (outside its code blocks), whitespace as one space."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return [re.sub(r"\s+", " ", q) for q in re.findall(r"`([^`]+)`", prose)]


def quotes_the_start_of(said: str) -> bool:
    """Whether the install steps quote the start of ``said``, to its first colon, then ``...``."""
    return f"{said[: said.index(':') + 1]} ..." in quoted(INSTALL)


@pytest.mark.parametrize(
    "env",
    [
        {"SLACK_BOT_TOKEN": "xoxb-test"},
        {"SLACK_SIGNING_SECRET": SECRET},
        {"SLACK_APP_TOKEN": "xapp-1"},
    ],
    ids=["bot token alone", "signing secret alone", "app token alone"],
)
def test_a_missing_secret_is_quoted_as_serve_says_it(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    said = str(refused.value)
    assert quotes_the_start_of(said), said


def test_slack_is_off_without_its_three_secrets(tmp_path: Path, fake: FakeSlack) -> None:
    """'Without SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_APP_TOKEN Slack is off', even with
    another SLACK_* variable set."""
    assert "Without `SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET` and `SLACK_APP_TOKEN` Slack is off" in re.sub(
        r"\s+", " ", INSTALL
    )
    app = create_app(tmp_path / "x.db", ROOT / "flows", env={"SLACK_API_URL": fake.url})
    assert "slack" not in app[CHANNELS]


async def test_a_refused_token_is_quoted_as_serve_says_it(tmp_path: Path, fake: FakeSlack) -> None:
    fake.refuse("auth.test", error="invalid_auth")
    env = {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    with pytest.raises(ConfigError) as refused:
        await TestServer(app).start_server()
    await app[SERVICES].http.close()
    assert "auth.test: invalid_auth" in quoted(INSTALL)
    assert "(auth.test: invalid_auth)" in str(refused.value)


async def test_the_installation_line_and_the_url_check(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The log names the workspace as the docs quote it (their T0123 for the fake's T111), and the
    URL Slack verifies answers its challenge (step 5)."""
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
    with caplog.at_level(logging.INFO, logger="decisionbot.slack"):
        client = TestClient(TestServer(create_app(tmp_path / "x.db", ROOT / "flows", env=env)))
        await client.start_server()
    try:
        said = [r.getMessage().replace(TEAM, "T0123") for r in caplog.records if r.name == "decisionbot.slack"]
        assert "Slack: the bot token is installed in workspace T0123..." in quoted(DOCS)
        assert any(line.startswith("Slack: the bot token is installed in workspace T0123") for line in said), said
        assert "https://<your address>/slack/events" in quoted(INSTALL)
        body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2r", "token": "x"}).encode()
        answered = await client.post(
            "/slack/events", data=body, headers={"Content-Type": "application/json", **sign(body)}
        )
        assert answered.status == 200 and (await answered.json()) == {"challenge": "3eZbrw1aBm2r"}
    finally:
        await client.close()
