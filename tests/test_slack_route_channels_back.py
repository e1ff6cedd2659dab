"""A route's channel the bot could not post in, fixed in Slack while ``serve`` runs: the bot invited
(``member_joined_channel`` of the bot user), the channel unarchived (``channel_unarchive``), or a
post there going through. Before, ``/healthz``'s ``routes_refused`` kept listing the route until
routes.yaml or checks.yaml changed, or a restart; now its entry goes at once, the others stay. The
real server and slack-sdk against the fake Web API, events signed for real."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness, wait_for
from tests.test_slack_route_channels import flows_routed
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
