"""The server's app as built, without the recording channel of tests/test_server.py: an app
without channels, a start refused when a Slack variable lacks the bot token, and housekeeping
forgetting delivery ids after a week."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.control import run_command
from bot.errors import ConfigError
from bot.server import CHANNELS, SERVICES, create_app
from tests.test_server import ALICE, CONV, ROOT, wait_for


def test_an_app_without_channels_still_serves_health(tmp_path: Path) -> None:
    app = create_app(tmp_path / "x.db", ROOT / "flows", env={})
    assert isinstance(app, web.Application)
    assert app[CHANNELS] == {}


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SLACK_SIGNING_SECRET": "s3cret"}, "SLACK_SIGNING_SECRET is set"),
        ({"SLACK_APP_TOKEN": "xapp-s3cret"}, "SLACK_APP_TOKEN is set"),
        (
            {"SLACK_SIGNING_SECRET": "s3cret", "SLACK_APP_TOKEN": "xapp-s3cret"},
            "SLACK_SIGNING_SECRET and SLACK_APP_TOKEN are set",
        ),
    ],
)
def test_a_slack_variable_without_the_bot_token_stops_the_start_naming_it(
    tmp_path: Path, env: dict[str, str], said: str
) -> None:
    """The issue: a missing secret fails at start-up, naming the variable; only without any Slack
    variable is Slack simply off. (It used to warn and serve with no channel.)"""
    with pytest.raises(ConfigError) as refused:
        create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    assert str(refused.value).startswith(f"SLACK_BOT_TOKEN is required: {said}, so Slack is meant to be on.")
    assert "s3cret" not in str(refused.value)


async def test_delivery_ids_are_forgotten_after_a_week_not_before(tmp_path: Path) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    app = create_app(tmp_path / "d.db", ROOT / "flows", env={}, clock=lambda: now)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        services = app[SERVICES]
        stamps = {
            "old": "2026-11-20T11:59:59.000Z",
            "edge": "2026-11-21T12:00:00.000Z",
            "new": "2026-11-28T11:00:00.000Z",
        }
        services.db.conn.executemany(
            "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('slack', ?, ?)", stamps.items()
        )
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting")  # a turn: housekeeping has work
        kept = lambda: {r[0] for r in services.db.conn.execute("SELECT delivery_id FROM deliveries")}  # noqa: E731
        await wait_for(lambda: "old" not in kept(), timeout=5.0)
        assert kept() == {"edge", "new"}  # exactly a week old is still remembered
    finally:
        await client.close()
