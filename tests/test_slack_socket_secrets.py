"""Socket Mode and what the operator sees: no log line, at any level, carries an envelope's payload
(its verification token, response_url, what people wrote) or a connection's one-time ticket; and
/healthz lists Slack as failing once the connection has stayed down, since no event, command or
click can arrive while it is."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.channels import slack as slack_channel
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness, wait_for
from tests.test_slack_socket_life import INBOUND, SOCKET, acked, said, started

TOKEN = "VERIFTOKEN_abc123"


async def test_debug_lines_of_the_socket_carry_no_payload_nor_ticket(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        envelope = said("env-2", thread, "We ship the secret plan")
        envelope["payload"]["token"] = TOKEN
        await fake.send_envelope(envelope)
        await wait_for(lambda: acked(fake, "env-2"))
        await wait_for(lambda: slack.rows(INBOUND) == [(1,)])
        fake.fail_upgrades = 1  # the next handshake fails: slack_sdk logs its URL, ticket and all
        await fake.drop()
        await wait_for(lambda: fake.connections == 2, timeout=20)
        await fake.wait_connected()
    finally:
        await slack.client.close()
    lines = [r.getMessage() for r in caplog.records] + [caplog.text]
    assert not [line for line in lines if TOKEN in line or "secret plan" in line or "response_url" in line]
    assert not [line for line in lines if "ticket=" in line and "ticket=(left out)" not in line]
    received = [m for m in lines if m.startswith("Received message (type: TEXT")]
    assert received and all(m.endswith(", its payload left out of the log)") for m in received)  # still said
    assert any("ticket=(left out)" in line for line in lines)  # the failed handshake was logged, without it


async def test_healthz_lists_slack_while_its_socket_stays_down(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_channel, "DOWN_SHOWN", 1.0)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await started(slack)
        assert (await (await slack.client.get("/healthz")).json()).get("channels_failing") is None
        fake.refuse_websockets = True  # a proxy letting HTTPS through but not wss: the Web API still works
        await fake.drop()

        async def failing() -> dict[str, str] | None:
            return (await (await slack.client.get("/healthz")).json()).get("channels_failing")

        told = None
        for _ in range(100):
            told = await failing()
            if told:
                break
            await asyncio.sleep(0.2)
        assert told is not None, "never listed as failing"
        assert "Socket Mode connection has been down for" in str(told) and "no events, commands or clicks" in str(told)
        fake.refuse_websockets = False
        await fake.wait_connected(timeout=20)
        await wait_for(lambda: slack.channel.failing() is None, timeout=10)
        assert await failing() is None
    finally:
        await slack.client.close()
