"""Grafana's contact-point **Test** button, with its alerts routed to Slack: the SRE presses it to
check the whole path, and the route's channel shows a line saying the test came through (no run,
nothing stored), or, when the channel refuses the bot (not invited, archived), the hook's answer
and the log say so with the fix. Before, nothing was posted anywhere and the answer said the alerts
would go to the channel: a channel the bot was never invited to was found at the first real alert,
whose question nobody saw. (From the acceptance review rv-alerts.)"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ROOT, Harness, harness, wait_for

TOKEN = "hook-token"


def grafana_test_notification() -> dict:
    """What Grafana posts when its contact point's Test button is pressed (one alert, TestAlert)."""
    body = copy.deepcopy(json.loads((ROOT / "data/samples/grafana_firing.json").read_text()))
    alert = body["alerts"][0]
    alert["labels"] = {"alertname": "TestAlert", "instance": "Grafana"}
    alert["annotations"] = {"summary": "Notification test"}
    alert["fingerprint"] = "57e9c5d1d8bd2ec3"
    return body


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack):
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text(
        "routes:\n  - name: shop\n    match: {source: grafana}\n    channel: slack:C0SHOP\n"
    )
    h = await harness(tmp_path, fake, env={"DECISIONBOT_HOOK_TOKEN": TOKEN}, flows=flows)
    yield h
    await h.client.close()


async def press_test(slack: Harness) -> dict:
    resp = await slack.client.post(
        "/hooks/grafana", json=grafana_test_notification(), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_the_test_button_posts_a_line_in_the_routes_channel(slack: Harness, fake: FakeSlack) -> None:
    answer = await press_test(slack)
    assert answer == {
        "test": True,
        "received": 1,
        "route": "shop",
        "channel": "slack:C0SHOP",
        "flow": "metric_breach",
        "posted": True,
    }
    [posted] = await wait_for(lambda: fake.posted())
    assert posted["channel"] == "C0SHOP" and "thread_ts" not in posted
    assert posted["text"] == (
        "Grafana contact-point test received (route shop): its alerts start metric_breach here."
        " No run started for the test."
    )
    assert slack.rows("SELECT count(*) FROM events") == [(0,)]
    assert slack.rows("SELECT count(*) FROM messages") == [(0,)]


async def test_a_channel_that_refuses_the_bot_is_said_in_the_answer_and_the_log_with_the_fix(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.shut_out("C0SHOP")
    with caplog.at_level(logging.WARNING, logger="decisionbot.hooks"):
        answer = await press_test(slack)
    problem = (
        "slack:C0SHOP refused the test's message: the bot is not in the channel (not_in_channel)."
        " Invite the bot to that channel (/invite @decisionbot), or its alerts' questions will not be seen there"
    )
    assert answer["posted"] is False and answer["problem"] == problem
    assert [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks"] == [
        f"Grafana contact-point test received (route shop): its alerts start metric_breach in slack:C0SHOP,"
        f" but {problem}. No run started for the test."
    ]
    assert slack.rows("SELECT count(*) FROM events") == [(0,)]
