"""Slack tokens refused while the server runs (the app uninstalled, a token revoked), with the real
slack-sdk against the fake Web API and its Socket Mode endpoint: the bot token's refusals keep the
replies (none given up) until a working token is in place, the app token's make Socket Mode ask
again slowly instead of every 5 s; either is one log line of ours naming the variable, and
``/healthz`` says the Slack channel is failing until Slack takes the token again."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.model import Actor, ConversationKey, Trigger
from bot.server import SENDERS
from bot.store import utc_now
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for
from tests.test_slack_socket_life import SOCKET, acked, said, started

OUT = "SELECT delivered_at IS NOT NULL, failed_at, last_error FROM messages WHERE direction = 'out' AND kind != 'root' ORDER BY id"


async def health(slack: Harness) -> dict[str, Any]:
    resp = await slack.client.get("/healthz")
    assert resp.status == 200  # the server serves: only the Slack channel is failing
    return dict(await resp.json())


def ours(caplog: pytest.LogCaptureFixture, variable: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "decisionbot.slack" and variable in r.getMessage()]


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth", "account_inactive"])
async def test_replies_while_the_bot_token_is_refused_are_kept_and_go_out_after_a_restart_with_a_working_token(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    caplog.set_level(logging.INFO)
    first = await harness(tmp_path, fake)
    try:
        await first.slash("UA", "start post_meeting Weekly")
        thread = (await first.posts(2))[0]["ts"]
        fake.refuse("chat.postMessage", times=1000, error=error)  # the app is uninstalled
        await first.event(message("UA", "We ship", thread_ts=thread))
        await first.event(message("UA", "Draft the plan", thread_ts=thread))
        await wait_for(lambda: len(fake.of("chat.postMessage")) >= 3)
        await asyncio.sleep(1.0)  # neither the refused reply nor the next one is tried again soon
        assert len(fake.of("chat.postMessage")) == 3
        refused, waiting = first.rows(OUT)[1:]  # kept, not given up; the next one says why too once queued
        assert refused == (0, None, f"retry: {error}") and waiting in ((0, None, None), refused)
        (line,) = ours(caplog, "SLACK_BOT_TOKEN")
        assert f"Slack refused SLACK_BOT_TOKEN while serving ({error})" in line
        assert "Replies wait in the outbox, none is given up" in line and "restart" in line
        assert not [r for r in caplog.records if r.name == "bot.outbox" and "given up" in r.getMessage()]
        body = await health(first)
        assert body["status"] == "ok" and body["channels"] == ["slack"]
        assert f"Slack refuses SLACK_BOT_TOKEN ({error})" in body["channels_failing"]["slack"]
    finally:
        await first.client.close()
    fake.refusals.clear()  # a working token, and a restart
    second = await harness(tmp_path, fake)
    try:
        posted = await second.posts(4)
        assert [(p["thread_ts"], p["text"]) for p in posted[2:]] == [
            (thread, "<@UA> Action 1: What is the action?"),
            (thread, "<@UA> Action 1: Who owns 'Draft the plan'?"),
        ]
        assert "channels_failing" not in await health(second)
    finally:
        await second.client.close()


async def test_a_bot_token_refused_for_a_while_is_tried_slowly_one_reply_at_a_time_and_everything_goes_out(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sender = slack.client.server.app[SENDERS]["slack"]
    sender.down_first = 0.3  # (a minute in production, then longer)
    fake.refuse("chat.postMessage", times=5, error="invalid_auth")  # Slack having an auth hiccup
    dispatcher = slack.services.dispatcher
    for channel in ("C1", "C2", "C3"):
        dispatcher.start(
            Trigger("post_meeting", facilitator=Actor("slack:UA", "Alice")), ConversationKey("slack", channel)
        )
    slack.services.notify("slack")
    await wait_for(lambda: len(fake.of("chat.postMessage")) >= 3)  # the first pass: each conversation tries once
    assert "channels_failing" in await health(slack)
    posted = await slack.posts(3, timeout=10)
    assert sorted(p["channel"] for p in posted) == ["C1", "C2", "C3"]
    refused = [c for c in fake.of("chat.postMessage") if not c.result["ok"]]
    assert len(refused) == 5  # each conversation once, then one reply at a time, each time later
    assert refused[3].at - refused[2].at >= 0.25 and refused[4].at - refused[3].at >= 0.5
    assert slack.rows("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(0,)]
    assert "channels_failing" not in await health(slack)
    assert len(ours(caplog, "SLACK_BOT_TOKEN")) == 2  # refused (once), accepted again
    assert (
        ours(caplog, "SLACK_BOT_TOKEN")[1]
        == "Slack accepts SLACK_BOT_TOKEN again: the replies waiting in the outbox go out."
    )


async def test_a_revoked_app_token_is_asked_about_slowly_named_in_the_log_and_healthz(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await fake.wait_connected()
        fake.refuse("apps.connections.open", times=1000, error="token_revoked")
        await fake.drop()  # Slack closes the connection; the new one is refused
        deadline = asyncio.get_running_loop().time() + 5
        while "channels_failing" not in (body := await health(slack)):
            assert asyncio.get_running_loop().time() < deadline, f"/healthz still says {body}"
            await asyncio.sleep(0.05)
        assert body["channels_failing"]["slack"].startswith("Slack refuses SLACK_APP_TOKEN (token_revoked) since ")
        await asyncio.sleep(6)  # slack_sdk alone asks again every 5 s
        assert len(fake.of("apps.connections.open")) == 2  # at start-up, and once after the drop
        (line,) = ours(caplog, "SLACK_APP_TOKEN")
        assert "Slack refused SLACK_APP_TOKEN while serving (apps.connections.open: token_revoked)" in line
        assert "It asks again in 1 min, then every 10 min at most" in line
        assert not [r for r in caplog.records if r.name.startswith("slack_sdk") and r.levelno >= logging.ERROR]
    finally:
        await slack.client.close()


async def test_socket_mode_connects_again_once_slack_takes_the_app_token_again(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        assert slack.channel.socket is not None
        slack.channel.socket.retry_first = 0.3  # (a minute in production, then longer)
        fake.refuse("apps.connections.open", times=2, error="invalid_auth")
        await fake.drop()
        await wait_for(lambda: len(fake.of("apps.connections.open")) == 4)  # refused twice, then taken
        await fake.wait_connected()
        assert "channels_failing" not in await health(slack)
        assert ours(caplog, "SLACK_APP_TOKEN")[-1] == "Slack accepts SLACK_APP_TOKEN again: Socket Mode is connected."
        await fake.send_envelope(said("env-back", thread, "We ship"))  # serving again
        await wait_for(lambda: acked(fake, "env-back"))
    finally:
        await slack.client.close()


async def test_a_slack_hiccup_while_the_app_token_is_refused_does_not_stop_socket_mode_for_good(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        assert slack.channel.socket is not None
        slack.channel.socket.retry_first = 0.3
        fake.refuse("apps.connections.open", times=1, error="token_revoked")  # revoked ...
        fake.refuse("apps.connections.open", times=1, status=503)  # ... then one hiccup of Slack's, then taken
        await fake.drop()
        await fake.wait_connected(timeout=20)  # slack_sdk's own reconnecting takes over after the hiccup
        assert "channels_failing" not in await health(slack)
        assert ours(caplog, "SLACK_APP_TOKEN")[-1] == "Slack accepts SLACK_APP_TOKEN again: Socket Mode is connected."
        await fake.send_envelope(said("env-back", thread, "We ship"))
        await wait_for(lambda: acked(fake, "env-back"))
    finally:
        await slack.client.close()


async def test_replies_kept_over_a_weekend_outage_get_their_day_of_retries_after_it(
    tmp_path: Path, fake: FakeSlack
) -> None:
    first = await harness(tmp_path, fake)
    try:
        await first.slash("UA", "start post_meeting Weekly")
        thread = (await first.posts(2))[0]["ts"]
        fake.refuse("chat.postMessage", times=1000, error="token_revoked")  # Friday evening: the app uninstalled
        await first.event(message("UA", "We ship", thread_ts=thread))
        await wait_for(lambda: first.rows(OUT)[-1][2] == "retry: token_revoked")
    finally:
        await first.client.close()
    fake.refusals.clear()  # Monday: a working token, a restart ...
    fake.refuse("chat.postMessage", times=1, status=429, retry_after="0")  # ... and one 429 in the burst
    second = await harness(tmp_path, fake, clock=lambda: utc_now() + timedelta(hours=60))
    try:
        await wait_for(lambda: all(r[0] or r[1] for r in second.rows(OUT)))  # each delivered or given up
        assert [r[:2] for r in second.rows(OUT)] == [(1, None)] * len(second.rows(OUT))  # none too old
    finally:
        await second.client.close()
