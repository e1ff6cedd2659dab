"""A route's channel the bot could not post in, fixed in Slack while ``serve`` runs: the bot invited
(``member_joined_channel`` of the bot user), the channel unarchived (``channel_unarchive``), or a
post there going through. Before, ``/healthz``'s ``routes_refused`` kept listing the route until
routes.yaml or checks.yaml changed, or a restart; now its entry goes at once, the others stay. The
real server and slack-sdk against the fake Web API, events signed for real."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness, wait_for
from tests.test_slack_route_channels import flows_routed, warned
from tests.test_slack_route_channels_reload import refused


async def test_the_bot_invited_or_the_channel_unarchived_leaves_routes_refused(tmp_path: Path, fake: FakeSlack) -> None:
    """C0OUT (payments, payments-bis and the default) refuses the bot, C0OLD (legacy) is archived:
    the bot invited to C0OUT takes its three routes off /healthz at once; C0OLD unarchived, legacy."""
    fake.shut_out("C0OUT")
    fake.shut_out("C0OLD", "is_archived")
    env = {"DECISIONBOT_DEFAULT_CHANNEL": "slack:C0OUT"}
    slack = await harness(tmp_path, fake, env=env, flows=flows_routed(tmp_path))
    try:
        await wait_for(lambda: len(slack.services.extra.get("routes_refused") or {}) == 4)
        assert sorted(await refused(slack)) == ["default", "legacy", "payments", "payments-bis"]
        fake.let_in("C0OUT")
        joined = {"type": "member_joined_channel", "user": "UBOT", "channel": "C0OUT", "channel_type": "C"}
        assert (await slack.event({**joined, "team": "T111", "event_ts": "1800000100.1"})).status == 200
        await wait_for(lambda: "payments" not in (slack.services.extra.get("routes_refused") or {}))
        assert await refused(slack) == {"legacy": "slack:C0OLD: the channel is archived (is_archived)"}
        fake.let_in("C0OLD")
        unarchived = {"type": "channel_unarchive", "channel": "C0OLD", "user": "UA", "event_ts": "1800000100.2"}
        assert (await slack.event(unarchived)).status == 200
        await wait_for(lambda: not slack.services.extra.get("routes_refused"))
        assert await refused(slack) == {}
    finally:
        await slack.client.close()


async def test_a_post_going_through_leaves_routes_refused(tmp_path: Path, fake: FakeSlack) -> None:
    """The bot invited to C0OUT without Slack telling the app (the event not subscribed, or lost):
    the first run started there, its root posted, takes payments and payments-bis off /healthz."""
    fake.shut_out("C0OUT")
    slack = await harness(tmp_path, fake, flows=flows_routed(tmp_path))
    try:
        await wait_for(lambda: slack.services.extra.get("routes_refused"))
        assert sorted(await refused(slack)) == ["payments", "payments-bis"]
        fake.let_in("C0OUT")
        await slack.slash("UA", "start post_meeting Weekly sync", channel="C0OUT")
        await wait_for(lambda: [p for p in fake.posted() if p.get("channel") == "C0OUT"])
        await wait_for(lambda: not slack.services.extra.get("routes_refused"))
        assert await refused(slack) == {}
    finally:
        await slack.client.close()


async def test_the_bot_removed_or_the_channel_archived_shows_in_routes_refused_at_once(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Every route's channel takes the bot's posts at start-up; then the bot is removed from C0OUT
    and C0OLD is archived while ``serve`` runs. Before, ``/healthz`` listed nothing until
    routes.yaml changed or a restart; now each route naming them at once, with one warning a
    route and its fix; the bot invited back, they leave again."""
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, flows=flows_routed(tmp_path))
    try:
        await wait_for(lambda: "routes_refused" in slack.services.extra)  # (the start-up check done)
        assert await refused(slack) == {}
        fake.shut_out("C0OUT")
        left = {"type": "channel_left", "channel": "C0OUT", "actor_id": "UA", "event_ts": "1800000100.1"}
        assert (await slack.event(left)).status == 200
        await wait_for(lambda: len(slack.services.extra.get("routes_refused") or {}) == 2)
        assert await refused(slack) == {
            "payments": "slack:C0OUT: the bot is not in the channel (not_in_channel)",
            "payments-bis": "slack:C0OUT/1700000000.000100: the bot is not in the channel (not_in_channel)",
        }
        fake.shut_out("C0OLD", "is_archived")
        archived = {"type": "channel_archive", "channel": "C0OLD", "user": "UA", "event_ts": "1800000100.2"}
        assert (await slack.event(archived)).status == 200
        await wait_for(lambda: "legacy" in (slack.services.extra.get("routes_refused") or {}))
        assert (await refused(slack))["legacy"] == "slack:C0OLD: the channel is archived (is_archived)"
        said = [m for m in warned(caplog) if "'legacy'" in m]
        assert said == [
            "The route 'legacy' sends its runs to slack:C0OLD, where the bot cannot post: the channel is archived"
            " (is_archived). Its alerts would start runs nobody there sees. Fix: Unarchive the channel, or name"
            " another channel in routes.yaml."
        ]
        assert len(warned(caplog)) == 3  # payments, payments-bis, legacy: once each
        fake.let_in("C0OUT")
        joined = {"type": "member_joined_channel", "user": "UBOT", "channel": "C0OUT", "channel_type": "C"}
        assert (await slack.event({**joined, "event_ts": "1800000100.3"})).status == 200
        await wait_for(lambda: set(slack.services.extra.get("routes_refused") or {}) == {"legacy"})
    finally:
        await slack.client.close()
