"""Slack out of reach while serving over Socket Mode (the fake's server stopped: connections
refused), with slack_sdk's real client: the log says so once when it starts, at most once a
repeat interval while it lasts, and once when the bot is connected again."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness, wait_for
from tests.test_slack_socket_life import INBOUND, SOCKET, acked, said, started


async def test_an_outage_is_one_warning_then_one_a_repeat_interval_and_one_line_when_it_ends(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, slack_sdk logged an ERROR (and an INFO "Reconnecting...") at every try, every 5 s
    for as long as the outage lasted. Tries every 0.5 s or more here, a warning at most every 3 s."""
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        socket = slack.channel.socket
        assert socket is not None
        socket.ping_interval = 0.5
        began = len(caplog.records)
        port = fake.port
        await fake.stop()  # Slack out of reach: every try is refused by the network
        # the first warning, before its repeat interval is shortened (a fixed 1.5 s was too short
        # under load: the drop was noticed later, and the warning named the shortened interval)
        await wait_for(lambda: [r for r in caplog.records[began:] if r.levelno == logging.WARNING], timeout=15)
        assert not [r for r in caplog.records[began:] if r.levelno >= logging.ERROR]
        socket.outage.repeat = 3.0
        await asyncio.sleep(7.5)
        during = caplog.records[began:]
        assert not [r for r in during if r.levelno >= logging.ERROR]
        sdk = [r.getMessage() for r in during if r.name.startswith("slack_sdk")]
        assert len(sdk) <= 1 and all("Received CLOSE event" in m for m in sdk)  # the drop itself, once
        warned = [r for r in during if r.levelno == logging.WARNING]
        assert warned[0].getMessage().startswith("Slack is out of reach: its Socket Mode connection is down (")
        assert "Trying again every 0.5 s; said again at most every 1 min" in warned[0].getMessage()
        assert [r.getMessage().startswith("Slack is still out of reach after ") for r in warned[1:]] == [True] * (
            len(warned) - 1
        )
        assert 2 <= len(warned) <= min(3, socket.outage.tries)  # at 0 s, then 3 s apart at least
        assert all(b.created - a.created >= 2.9 for a, b in zip(warned, warned[1:], strict=False))

        ended = len(caplog.records)
        await fake.start(port=port)
        await fake.wait_connected(timeout=20)
        again = await wait_for(lambda: [r for r in caplog.records[ended:] if "reachable again" in r.getMessage()])
        assert [r.levelno for r in again] == [logging.INFO]
        assert again[0].getMessage().startswith("Slack is reachable again: Socket Mode connected after ")
        await fake.send_envelope(said("env-2", thread, "We ship"))  # the run carries on
        await wait_for(lambda: acked(fake, "env-2"))
        assert slack.rows(INBOUND) == [(1,)]
        assert not [r for r in caplog.records[began:] if r.levelno >= logging.ERROR]
    finally:
        await slack.client.close()
