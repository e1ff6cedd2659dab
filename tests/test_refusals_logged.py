"""Requests anyone can send, refused at the edge (a Slack signature or a Teams token that does not
verify), are logged at most once a minute per kind: a line each let one client flood the journal
(500 forged requests in a tenth of a second were 500 warnings; journald then drops the service's
lines, real errors among them). The next line counts those left out."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot import refusals
from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import event_body, harness, message
from tests.teams_support import ALICE, Harness, personal
from tests.test_teams_auth import APP_ID, ENV

FORGED = 200
#: What the operator reads when Slack's own requests are refused (the secret of another app, or
#: its Client Secret or Verification Token copied instead; a clock off): the setting to check.
HINT = (
    " If every Slack request is refused, SLACK_SIGNING_SECRET is not this app's Signing Secret"
    " (https://api.slack.com/apps, Basic Information, App Credentials: not its Client Secret nor its"
    " Verification Token), or this machine's clock is more than 5 minutes off."
)


def lines(caplog: pytest.LogCaptureFixture, logger: str, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and words in r.getMessage()]


async def test_forged_slack_requests_are_one_warning_a_minute(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = await harness(tmp_path, fake)
    caplog.set_level(logging.INFO)
    body = event_body(message("UA", "hello"))
    forged = {"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": str(int(time.time()))}
    try:
        for _ in range(FORGED):
            assert (await slack.post(body, forged)).status == 401
        assert lines(caplog, "decisionbot.slack", "refused") == [
            "Slack request from 127.0.0.1 refused: bad or stale signature." + HINT
        ]
        monkeypatch.setattr(refusals, "TOLD_EVERY", 0.0)  # a minute later
        assert (await slack.post(body, forged)).status == 401
        assert lines(caplog, "decisionbot.slack", "refused")[-1].endswith(
            f"{HINT} ({FORGED - 1} more refused like it in the last minute, not logged)"
        )
        assert (await slack.post(body)).status == 200  # a signed request is served as ever
    finally:
        await slack.client.close()


async def test_a_signing_secret_that_is_not_the_apps_is_named_in_the_log(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The admin pasted the app's Verification Token as SLACK_SIGNING_SECRET: every request Slack
    signs is refused. Before, the log said only "bad or stale signature", which reads as someone
    else's forgery; now it names the setting to check and where to find its value."""
    slack = await harness(tmp_path, fake, env={"SLACK_SIGNING_SECRET": "the-verification-token"})
    caplog.set_level(logging.INFO)
    try:
        assert (await slack.post(event_body(message("UA", "hello")))).status == 401  # signed by Slack
        [line] = lines(caplog, "decisionbot.slack", "refused")
        assert line.endswith(HINT)
    finally:
        await slack.client.close()


async def test_a_bot_token_of_another_app_than_the_signing_secrets_is_named_in_the_log(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """SLACK_SIGNING_SECRET from production's app, SLACK_BOT_TOKEN from staging's (A111): every
    request of production's app verifies, and is refused as another app's. Before, a warning each
    ("Slack payload refused: unknown app A0PROD."), saying neither why nor what to set; now one
    line a minute naming both apps and the fix."""
    slack = await harness(tmp_path, fake)
    caplog.set_level(logging.INFO)
    try:
        for _ in range(3):
            assert (await slack.post(event_body(message("UA", "hello"), app="A0PROD"))).status == 400
        assert lines(caplog, "decisionbot.slack", "refused") == [
            "Slack request of app A0PROD refused: SLACK_SIGNING_SECRET verified it, so it is that app's signing"
            " secret, but SLACK_BOT_TOKEN is the bot token of app A111. Set both from one app"
            " (https://api.slack.com/apps: Basic Information, App Credentials, for the Signing Secret; OAuth &"
            " Permissions for the Bot User OAuth Token)."
        ]
    finally:
        await slack.client.close()


async def test_requests_of_another_workspace_the_app_is_installed_in_are_named_in_the_log(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The app installed in a second workspace too, whose events this server (one workspace's bot
    token) refuses. Before, a warning each ("Slack payload refused: unknown team T0OTHER."), as
    many as that workspace's events; now one line a minute saying why and what to do."""
    slack = await harness(tmp_path, fake)
    caplog.set_level(logging.INFO)
    try:
        for _ in range(3):
            assert (await slack.post(event_body(message("UA", "hello"), team="T0OTHER"))).status == 400
        assert lines(caplog, "decisionbot.slack", "refused") == [
            "Slack request of workspace T0OTHER refused: this server serves workspace T111 only (SLACK_BOT_TOKEN's),"
            " and the app is installed in T0OTHER too. Uninstall it there, or serve that workspace with a"
            " decisionbot of its own (its own app and tokens)."
        ]
    finally:
        await slack.client.close()


async def test_teams_requests_whose_token_does_not_verify_are_one_line_a_minute_per_kind(
    tmp_path: Path,
    openid: OpenIdServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, ENV) as h:
        body = personal(h.url, ALICE, "start post_meeting Weekly sync")
        wrong_audience = {"Authorization": f"Bearer {openid.token('someone-else', h.url)}"}
        for _ in range(FORGED):
            assert (await h.post(body, {"Authorization": "Bearer garbage"})).status == 401
            assert (await h.post(body, wrong_audience)).status == 401
        told = lines(caplog, "decisionbot.teams", "refused a request")
        assert len(told) == 2, told  # one per kind: a token that is no JWT, one for another audience
        monkeypatch.setattr(refusals, "TOLD_EVERY", 0.0)
        assert (await h.post(body, {"Authorization": "Bearer garbage"})).status == 401
        last = lines(caplog, "decisionbot.teams", "refused a request")[-1]
        assert last.endswith(f"({FORGED - 1} more refused like it in the last minute, not logged)")
        good = {"Authorization": f"Bearer {openid.token(APP_ID, h.url)}"}
        assert (await h.post(body, good)).status == 201
