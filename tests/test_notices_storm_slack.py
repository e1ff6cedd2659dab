"""An alert storm in a Slack channel that refuses the bot, the route naming its facilitator: she is
told once per channel and reason within the hour, not once a run. Before, the route's backup was
told once across runs (an alert's run nobody has taken) but a named facilitator got one direct
message per run: ten alerts, ten messages with the same fix. The real server against the fake Web
API, the hook called as Alertmanager calls it, one alert after the other. (Reviewer of Teams,
wave 2: "Notices across runs".)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, harness, wait_for
from tests.test_slack_trigger_people import NOW, TOKEN, alert, hook

ROUTES = """routes:
  - name: db
    match: {labels: {team: db}}
    channel: slack:C0DB
    facilitator: UA
  - name: ops
    channel: slack:C0OPS
    facilitator: UA
"""
FAILED = "SELECT run_id, last_error FROM messages WHERE failed_at IS NOT NULL AND kind != 'notice' ORDER BY id"
PENDING = "SELECT 1 FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def served(tmp_path: Path, fake: FakeSlack, clock: Clock) -> Harness:
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text(ROUTES)
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_TIMEZONE": "UTC"}
    return await harness(tmp_path, fake, env=env, clock=clock, flows=flows)


async def fire(slack: Harness, n: int, **labels: str) -> None:
    """Alert number ``n``, a run of its own (its own instance, its own fingerprint)."""
    body = alert(instance=f"web-{n}", **labels)
    body["alerts"][0]["fingerprint"] = f"fp{n}"
    assert len((await hook(slack, body))["started"]) == 1


def told(fake: FakeSlack) -> list[str]:
    """What Alice, the routes' facilitator, was told by direct message of a channel refusing the
    bot (its reason and fix), leaving out the one-line questions of the runs after the first."""
    return [p["text"] for p in fake.posted() if p["channel"] == "DUA" and "still cannot post" not in p["text"]]


def asked(fake: FakeSlack) -> list[str]:
    """The runs whose question for Alice reached her in a line, the channel's fix told already."""
    lines = [p["text"] for p in fake.posted() if p["channel"] == "DUA" and "still cannot post" in p["text"]]
    return [line.split(" (", 1)[0] for line in lines]


async def settled(slack: Harness, failed: int) -> list[tuple]:
    """Once ``failed`` replies were given up and the outbox is empty: the replies given up."""
    await wait_for(lambda: len(slack.rows(FAILED)) == failed and not slack.rows(PENDING))
    return slack.rows(FAILED)


async def test_a_storm_tells_the_routes_facilitator_once_per_channel_and_reason(
    tmp_path: Path, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await served(tmp_path, fake, clock)
    try:
        fake.shut_out("C0OPS", "not_in_channel")
        with caplog.at_level(logging.INFO, logger="bot.outbox"):
            for n in range(4):
                await fire(slack, n)
            failed = await settled(slack, 4)
        assert len(told(fake)) == 1, told(fake)
        assert asked(fake) == ["Run #2", "Run #3", "Run #4"]  # each run's question for her, in a line
        first = told(fake)[0]
        assert first.startswith("Run #1 ('Checkout error rate above 5%') cannot post in its conversation, slack:C0OPS")
        # nothing lost: each run's question stays given up with its error, for analysts
        assert [run for run, _ in failed] == [1, 2, 3, 4]
        assert all("not_in_channel" in error for _, error in failed), failed
        assert caplog.text.count("facilitator Alice is told directly") == 4  # the fix once, then the lines

        fake.shut_out("C0OPS", "is_archived")  # another reason, the same channel: told
        await fire(slack, 4)
        await settled(slack, 5)
        assert len(told(fake)) == 2 and "the channel is archived (is_archived)" in told(fake)[1]

        fake.shut_out("C0DB", "not_in_channel")  # another channel, the same reason: told
        await fire(slack, 5, team="db")
        await settled(slack, 6)
        assert len(told(fake)) == 3 and "slack:C0DB: the bot is not in the channel" in told(fake)[2]

        await fire(slack, 6, team="db")  # the same channel and reason again: not told
        await fire(slack, 7)
        await settled(slack, 8)
        assert len(told(fake)) == 3
    finally:
        await slack.client.close()


async def test_after_the_hour_the_storms_channel_is_told_again_once(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """An hour on, each run's reminder is refused too (metric_breach reminds after an hour): one
    more direct message for the channel, not one a run."""
    slack = await served(tmp_path, fake, clock)
    try:
        fake.shut_out("C0OPS", "not_in_channel")
        for n in range(3):
            await fire(slack, n)
        await settled(slack, 3)
        assert len(told(fake)) == 1
        clock.at(hours=1, minutes=1)
        failed = await settled(slack, 6)
        assert sorted(run for run, _ in failed[3:]) == [1, 2, 3]  # each run's reminder, given up
        assert len(told(fake)) == 2 and "slack:C0OPS: the bot is not in the channel" in told(fake)[1]
    finally:
        await slack.client.close()
