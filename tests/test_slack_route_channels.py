"""A route naming a Slack channel the bot cannot post in is said at ``serve``'s start-up, not at
its first alert: each route's channel is asked once of Slack (``conversations.info``) in the
background, and each bad route is one warning naming the route, the channel and the fix."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.store import open_db
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import harness, wait_for

ROUTES = """\
routes:
  - {name: checkout, match: {source: grafana}, flow: metric_breach, channel: slack:C0OK}
  - {name: payments, match: {source: alertmanager}, flow: metric_breach, channel: slack:C0OUT}
  - {name: payments-bis, match: {kind: payments}, flow: metric_breach, channel: "slack:C0OUT/1700000000.000100"}
  - {name: legacy, match: {kind: legacy}, flow: metric_breach, channel: slack:C0OLD}
  - {name: gone, match: {kind: gone}, flow: metric_breach, channel: slack:C0GONE}
  - {name: model-drift, match: {source: generic}, flow: metric_breach, channel: console}
"""


def flows_routed(tmp_path: Path) -> Path:
    folder = shipped_flows(tmp_path / "flows")
    (folder / "routes.yaml").write_text(ROUTES)
    return folder


def warned(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "cannot post" in r.getMessage()]


async def test_routes_whose_slack_channel_refuses_the_bot_are_each_said_at_start_up(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot not in C0OUT (two routes, and the default channel), C0OLD archived, C0GONE not found:
    one warning per route with the fix, none for C0OK or the console; each channel asked once;
    ``/healthz`` lists them."""
    caplog.set_level(logging.INFO)
    fake.shut_out("C0OUT")
    fake.shut_out("C0OLD", "is_archived")
    fake.shut_out("C0GONE", "channel_not_found")
    env = {"DECISIONBOT_DEFAULT_CHANNEL": "slack:C0OUT"}
    slack = await harness(tmp_path, fake, env=env, flows=flows_routed(tmp_path))
    try:
        said = await wait_for(lambda: len(warned(caplog)) >= 5 and warned(caplog))
        assert len(said) == 5, said
        assert said[0] == (
            "The route 'payments' sends its runs to slack:C0OUT, where the bot cannot post: the bot is not in the"
            " channel (not_in_channel). Its alerts would start runs nobody there sees. Fix: Invite the bot to that"
            " channel (/invite @decisionbot), or name another channel in routes.yaml."
        )
        assert said[1].startswith("The route 'payments-bis' sends its runs to slack:C0OUT/1700000000.000100")
        assert "the channel is archived (is_archived)" in said[2] and "Fix: Unarchive the channel" in said[2]
        assert said[3].startswith("The route 'gone'") and "(channel_not_found)" in said[3]
        assert said[4].startswith("The DECISIONBOT_DEFAULT_CHANNEL sends its runs to slack:C0OUT")
        assert "set it to another channel" in said[4]
        asked = sorted(c.args["channel"] for c in fake.of("conversations.info"))
        assert asked == ["C0GONE", "C0OK", "C0OLD", "C0OUT"]  # once each
        health = await (await slack.client.get("/healthz")).json()
        assert health["status"] == "ok"
        assert sorted(health["routes_refused"]) == ["default", "gone", "legacy", "payments", "payments-bis"]
        assert health["routes_refused"]["legacy"] == "slack:C0OLD: the channel is archived (is_archived)"
    finally:
        await slack.client.close()


async def test_the_check_does_not_hold_up_the_start(tmp_path: Path, fake: FakeSlack) -> None:
    """Slack slow to answer ``conversations.info`` (3 s): the server serves at once, and says what
    it learnt when Slack answers."""
    fake.slow_down("conversations.info", 3.0)
    fake.shut_out("C0OUT")
    began = time.monotonic()
    slack = await harness(tmp_path, fake, flows=flows_routed(tmp_path))
    try:
        health = await (await slack.client.get("/healthz")).json()
        assert time.monotonic() - began < 2.0 and "routes_refused" not in health
        await wait_for(lambda: fake.of("conversations.info"))
        await wait_for(lambda: slack.services.extra.get("routes_refused"), timeout=20)
        health = await (await slack.client.get("/healthz")).json()
        assert sorted(health["routes_refused"]) == ["payments", "payments-bis"]
    finally:
        await slack.client.close()


async def test_a_missing_scope_is_one_info_line_and_nothing_more_asked(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """An app installed before the manifest asked for channels:read: Slack answers
    ``missing_scope``; one info line says the check did not run and why, no warning, no other call."""
    caplog.set_level(logging.INFO)
    fake.refuse("conversations.info", times=10, error="missing_scope")
    slack = await harness(tmp_path, fake, flows=flows_routed(tmp_path))
    try:
        await wait_for(lambda: [r for r in caplog.records if "not checked at start-up" in r.getMessage()])
        [line] = [r for r in caplog.records if "not checked at start-up" in r.getMessage()]
        assert line.levelno == logging.INFO and "missing_scope" in line.getMessage()
        assert line.getMessage().startswith("The slack channels that routes name were not checked at start-up")
        assert len(fake.of("conversations.info")) == 1 and warned(caplog) == []
        health = await (await slack.client.get("/healthz")).json()
        assert "routes_refused" not in health
    finally:
        await slack.client.close()


async def test_a_channel_name_the_ledger_will_not_take_does_not_cost_the_check(tmp_path: Path, fake: FakeSlack) -> None:
    """What Slack says of a route's channel gives its name to the ledger too (for analysts); that
    write refused (here by a trigger: as a full disk, or a lock held past the busy timeout, would)
    loses the name alone. Before, it failed the whole check: no route listed in ``/healthz``."""
    ledger = open_db(tmp_path / "slack.db")
    ledger.execute(
        "CREATE TRIGGER refuse_names BEFORE INSERT ON conversation_names BEGIN SELECT RAISE(ABORT, 'full'); END"
    )
    ledger.conn.close()
    fake.describe("C0OK", "checkout")
    fake.shut_out("C0OUT")
    slack = await harness(tmp_path, fake, flows=flows_routed(tmp_path))
    try:

        async def refused() -> list[str]:
            return sorted((await (await slack.client.get("/healthz")).json()).get("routes_refused") or [])

        listed: list[str] = []
        for _ in range(50):
            listed = await refused()
            if listed:
                break
            await asyncio.sleep(0.1)
        assert listed == ["payments", "payments-bis"]
    finally:
        await slack.client.close()
