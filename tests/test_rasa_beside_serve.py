"""``decisionbot serve`` beside ``decisionbot rasa-actions`` on one ledger (docs/rasa.md: the
timers run by ``serve`` or by cron): a Rasa sender's questions wait in the outbox for their next
action call, which no server sends. ``serve``'s last line counted them as replies "another server
on this ledger sends within a second, else the next start does": an operator restarting it looked
for replies that were never its to send; and an alert routed to a Rasa sender was logged as
replies "that go out once the channel is on", which it never is in ``serve``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.control import run_command
from bot.model import Actor, ConversationKey
from bot.server import SERVICES, create_app
from tests.rasa_support import ROOT

ALICE = Actor("rasa:alice", "Alice")


async def test_a_rasa_senders_waiting_question_is_not_counted_as_a_reply_serve_leaves_unsent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot")
    client = TestClient(TestServer(create_app(tmp_path / "s.db", ROOT / "flows", env={})))
    await client.start_server()
    services = client.server.app[SERVICES]
    started = run_command(services.dispatcher, ALICE, ConversationKey("rasa", "alice"), "start post_meeting Sync")
    assert started.started is not None
    unread = services.db.execute("SELECT count(*) FROM messages WHERE channel = 'rasa' AND delivered_at IS NULL")
    assert unread.fetchone() == (1,)  # her first question, until she calls an action
    await client.close()
    stopped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("decisionbot stopped")]
    assert stopped == ["decisionbot stopped: no reply waits in the outbox."]


async def test_an_alert_routed_to_a_rasa_sender_says_the_question_waits_for_their_next_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot")
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"DECISIONBOT_HOOK_TOKEN": "hook-token-1"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        event = {"title": "Conversion dropped", "dedup_key": "conv-eu", "metric": "conversion", "value": 1.9}
        posted = await client.post(
            "/hooks/events",
            json={**event, "threshold": 2.5, "channel": "rasa:ops1", "facilitator": "ops1"},
            headers={"Authorization": "Bearer hook-token-1"},
        )
        assert posted.status == 200 and (await posted.json())["started"] == [1]
    finally:
        await client.close()
    said = [r.getMessage() for r in caplog.records if "wait in the outbox" in r.getMessage()]
    assert said == [
        "Replies for 'rasa' wait in the outbox for each Rasa sender's next call of a decisionbot action"
        " (decisionbot rasa-actions hands them over; no server sends them)."
    ]


async def test_metrics_leave_out_a_rasa_senders_waiting_question(tmp_path: Path) -> None:
    """README's alert on ``decisionbot_outbox_oldest_age_seconds > 300`` would fire for every Rasa
    sender who has not called an action for five minutes: their questions are read, not sent."""
    env = {"DECISIONBOT_METRICS_TOKEN": "metrics-token-1"}
    client = TestClient(TestServer(create_app(tmp_path / "s.db", ROOT / "flows", env=env)))
    await client.start_server()
    try:
        dispatcher = client.server.app[SERVICES].dispatcher
        assert run_command(dispatcher, ALICE, ConversationKey("rasa", "alice"), "start post_meeting Sync").started
        scraped = await client.get("/metrics", headers={"Authorization": "Bearer metrics-token-1"})
        text = await scraped.text()
    finally:
        await client.close()
    assert 'decisionbot_runs_open{status="active"} 1.0' in text  # the run is there
    assert 'channel="rasa"' not in text
