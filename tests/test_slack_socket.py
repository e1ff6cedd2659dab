"""Socket Mode: with SLACK_APP_TOKEN the bot opens a websocket (apps.connections.open, then the
URL it returns, served by the fake), takes envelopes from it, does the turn and acknowledges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import event_body, harness, message, unlinked, wait_for


async def test_events_and_slash_commands_over_socket_mode(tmp_path: Path, fake: FakeSlack) -> None:
    env = {"SLACK_APP_TOKEN": "xapp-test", "SLACK_SIGNING_SECRET": ""}
    slack = await harness(tmp_path, fake, env=env)
    try:
        opened = fake.of("apps.connections.open")
        assert len(opened) == 1 and opened[0].token == "xapp-test"
        await fake.wait_connected()
        assert (await slack.client.post("/slack/events", data=b"{}")).status in (404, 405)  # no HTTP route

        slash = {"user_id": "UA", "channel_id": "C1", "text": "start post_meeting <@UB> Sync", "trigger_id": "9.9.z",
                 "team_id": "T111", "api_app_id": "A111", "command": "/decision"}  # fmt: skip
        await fake.send_envelope({"envelope_id": "env-1", "type": "slash_commands", "payload": slash,
                                  "accepts_response_payload": True})  # fmt: skip
        ack = await wait_for(lambda: fake.acks)
        assert ack[0]["payload"]["text"].startswith("Started run #1 (post_meeting): 'Sync', with ")  # Bob, by name
        assert ack == [
            {
                "envelope_id": "env-1",
                "payload": {"response_type": "ephemeral", "text": ack[0]["payload"]["text"]},
            }
        ]
        root, first = await slack.posts(2)
        assert first["thread_ts"] == root["ts"] and first["text"] == "<@UA> What was decided in Sync?"

        event = json.loads(event_body(message("UA", "We ship", thread_ts=root["ts"])))
        envelope = {"envelope_id": "env-2", "type": "events_api", "payload": event, "accepts_response_payload": False,
                    "retry_attempt": 0, "retry_reason": ""}  # fmt: skip
        await fake.send_envelope(envelope)
        await wait_for(lambda: len(fake.acks) == 2)
        assert fake.acks[1] == {"envelope_id": "env-2"}
        assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'") == [
            (1,)
        ]  # stored before the ack
        assert (await slack.posts(3))[2]["text"] == "<@UA> Action 1: What is the action?"

        await fake.send_envelope({**envelope, "envelope_id": "env-3", "retry_attempt": 1, "retry_reason": "timeout"})
        await wait_for(lambda: len(fake.acks) == 3)
        assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'") == [
            (1,)
        ]  # a retry: dropped

        mention = message("UA", f"<@{BOT_USER}> list", type="app_mention")
        await fake.send_envelope({"envelope_id": "env-4", "type": "events_api",
                                  "payload": json.loads(event_body(mention))})  # fmt: skip
        ephemeral = await wait_for(lambda: fake.of("chat.postEphemeral"))
        assert ephemeral[0].args["user"] == "UA" and "#1 post_meeting: Sync" in unlinked(ephemeral[0].args["text"])
    finally:
        await slack.client.close()


async def test_a_refused_app_token_stops_the_start(tmp_path: Path, fake: FakeSlack) -> None:
    from aiohttp.test_utils import TestServer

    from bot.errors import ConfigError
    from bot.server import SERVICES, create_app
    from tests.slack_support import ROOT

    fake.refuse("apps.connections.open", error="invalid_auth")
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-revoked", "SLACK_API_URL": fake.url}
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    with pytest.raises(
        ConfigError, match=r"Slack refused SLACK_APP_TOKEN at start-up \(apps.connections.open: invalid_auth\)"
    ):
        await TestServer(app).start_server()
    await app[SERVICES].http.close()
    assert len(fake.of("apps.connections.open")) == 1  # not retried: the start stops


async def test_an_app_token_of_another_app_stops_the_start_naming_both(tmp_path: Path, fake: FakeSlack) -> None:
    """SLACK_APP_TOKEN copied from the staging app, SLACK_BOT_TOKEN from production's: Slack
    opens the staging app's socket. Before, the server started ("channels: slack") and refused
    every envelope the staging app received, one warning each (``unknown app A0STAGING``), while
    nothing of production's arrived. Now the start stops, naming both apps and the fix."""
    from aiohttp.test_utils import TestServer

    from bot.errors import ConfigError
    from bot.server import SERVICES, create_app
    from tests.slack_support import ROOT

    fake.socket_app = "A0STAGING"
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-staging", "SLACK_API_URL": fake.url}
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    with pytest.raises(ConfigError) as refused:
        await TestServer(app).start_server()
    await app[SERVICES].http.close()
    assert str(refused.value) == (
        "SLACK_APP_TOKEN is an app-level token of app A0STAGING, but SLACK_BOT_TOKEN is the bot token of"
        " app A111: Slack would send this server the other app's events. Set SLACK_APP_TOKEN to the"
        " app-level token of app A111 (https://api.slack.com/apps, Basic Information, App-Level Tokens)."
    )
    assert fake.connections == 0  # no socket opened


@pytest.mark.parametrize("how", [{"status": 429, "retry_after": "0"}, {"status": 503}, {"error": "internal_error"}])
async def test_slacks_passing_failure_at_start_up_is_asked_again_not_blamed_on_the_app_token(
    tmp_path: Path, fake: FakeSlack, how: dict[str, Any]
) -> None:
    """apps.connections.open answered 429 (rate limited) or 5xx as the server starts: asked again
    (after Retry-After), and the server connects; it used to stop the start with "Slack refused
    SLACK_APP_TOKEN ... Check the app-level token"."""
    fake.refuse("apps.connections.open", **how)
    slack = await harness(tmp_path, fake, env={"SLACK_APP_TOKEN": "xapp-test", "SLACK_SIGNING_SECRET": ""})
    try:
        await fake.wait_connected()
        assert [c.result["ok"] for c in fake.of("apps.connections.open")] == [False, True]
    finally:
        await slack.client.close()


async def test_slack_failing_all_through_the_start_stops_it_saying_so(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiohttp.test_utils import TestServer

    from bot.channels import slack as slack_channel
    from bot.errors import ConfigError
    from bot.server import SERVICES, create_app
    from tests.slack_support import ROOT

    monkeypatch.setattr(slack_channel, "SOCKET_START_TIMEOUT", 3.0)  # (10 s)
    fake.refuse("apps.connections.open", times=100, status=503)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_URL": fake.url}
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    with pytest.raises(ConfigError) as raised:
        await TestServer(app).start_server()
    await app[SERVICES].http.close()
    assert str(raised.value).startswith(
        "Slack did not open a Socket Mode connection at start-up (apps.connections.open: service_unavailable,"
        " still after 3 s): a failure on Slack's side or the network's, not a refused SLACK_APP_TOKEN."
    )
    assert len(fake.of("apps.connections.open")) == 2  # at once, and 2 s later (5xx)
