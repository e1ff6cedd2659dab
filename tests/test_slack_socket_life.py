"""Socket Mode over time, against the fake's websocket with slack_sdk's real client: Slack's 3 s
to acknowledge (slow Slack, a write lock held elsewhere, a lost commit), redeliveries, dropped
connections and Slack's disconnect messages, a websocket that cannot be opened at start-up, and
the stop (SIGTERM) with turns in flight."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.errors import ConfigError
from bot.server import SERVICES, create_app
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import ROOT, Harness, committed, event_body, harness, message, wait_for

SOCKET = {"SLACK_APP_TOKEN": "xapp-test", "SLACK_SIGNING_SECRET": ""}
INBOUND = "SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'"
CLI = Path(sys.executable).with_name("decisionbot")


def slash_envelope(envelope_id: str, text: str = "start post_meeting <@UB> Sync") -> dict[str, Any]:
    slash = {"user_id": "UA", "channel_id": "C1", "text": text, "trigger_id": f"{envelope_id}.1.z",
             "team_id": "T111", "api_app_id": "A111", "command": "/decision"}  # fmt: skip
    return {"envelope_id": envelope_id, "type": "slash_commands", "payload": slash, "accepts_response_payload": True}


def said(envelope_id: str, thread: str, text: str) -> dict[str, Any]:
    """A thread reply as Slack sends it over the socket; a redelivery is the same with another
    envelope id and ``retry_attempt``."""
    event = json.loads(event_body(message("UA", text, thread_ts=thread)))
    return {"envelope_id": envelope_id, "type": "events_api", "payload": event, "accepts_response_payload": False,
            "retry_attempt": 0, "retry_reason": ""}  # fmt: skip


def redelivered(envelope: dict[str, Any], envelope_id: str) -> dict[str, Any]:
    return {**envelope, "envelope_id": envelope_id, "retry_attempt": 1, "retry_reason": "timeout"}


def acked(fake: FakeSlack, envelope_id: str) -> bool:
    return any(a.get("envelope_id") == envelope_id for a in fake.acks)


@contextlib.asynccontextmanager
async def serving(db: Path, fake: FakeSlack) -> AsyncIterator[asyncio.subprocess.Process]:
    """``decisionbot serve`` in Socket Mode against ``fake``, as a process of its own, connected."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test", SLACK_API_URL=fake.url, PYTHONPATH=str(ROOT))
    server = await asyncio.create_subprocess_exec(
        str(CLI), "--db", str(db), "--flows", str(ROOT / "flows"), "serve", "--port", str(free_port()), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_connected(timeout=30)  # the server started (its port is free, its flows load)
        yield server
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


async def started_by(fake: FakeSlack) -> str:
    """A post_meeting run started over the socket; its thread."""
    await fake.send_envelope(slash_envelope("env-start"))
    await wait_for(lambda: acked(fake, "env-start"))
    return str((await wait_for(lambda: len(fake.posted()) >= 2 and fake.posted()))[0]["ts"])


async def started(slack: Harness) -> str:
    """A post_meeting run started over the socket of the server in this process; its thread."""
    await slack.fake.wait_connected()
    return await started_by(slack.fake)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- (a) acknowledging within Slack's 3 s, and only what is stored -------------------------------


async def test_a_slow_slack_still_gets_its_acknowledgement_within_3_s(tmp_path: Path, fake: FakeSlack) -> None:
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        fake.slow_down("users.info", 3.0)  # a new person's name: given up after a second
        slack.channel.backlog.add(1000)  # replies piling up: new turns wait a second for room, no more
        began = time.monotonic()
        await fake.send_envelope(said("env-2", thread, "We ship with <@UNEW>"))
        await wait_for(lambda: acked(fake, "env-2"))
        assert time.monotonic() - began < 1.0  # kept and acknowledged: the turn runs after
        assert slack.rows("SELECT count(*) FROM slack_inbox") == [(1,)]
        await wait_for(lambda: slack.rows(INBOUND) == [(1,)], timeout=5)  # Slack slow, the turn done
        await slack.turned()
        assert slack.rows("SELECT count(*) FROM slack_inbox") == [(0,)]
    finally:
        await slack.client.close()


async def test_a_slash_command_whose_root_is_late_answers_in_time_and_takes_the_root_back(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await fake.wait_connected()
        fake.slow_down("chat.postMessage", 3.5)  # the thread's root lands after the command gave up
        began = time.monotonic()
        await fake.send_envelope(slash_envelope("env-1"))
        await wait_for(lambda: fake.acks)
        assert time.monotonic() - began < 2.8
        assert "nothing was started" in fake.acks[0]["payload"]["text"]
        deleted = await wait_for(lambda: fake.of("chat.delete"), timeout=8)
        root = fake.of("chat.postMessage")[0]
        assert root.result["ok"] and deleted[0].args == {"channel": "C1", "ts": root.result["ts"]}
        assert fake.posted() == [] and slack.rows("SELECT count(*) FROM runs") == [(0,)]
        assert "did not take the run's first message in time" in fake.acks[0]["payload"]["text"]
    finally:
        await slack.client.close()


async def test_a_turn_held_up_by_the_write_lock_is_left_to_slacks_redelivery_and_done_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Another process holds SQLite's write lock for 3 s: the turn waits for it 2 s (LOCK_WAIT)
    with the event loop serving, then gives up, unacknowledged, nothing stored; Slack's
    redelivery of the envelope, sent meanwhile, gets the lock once it is free, is stored and
    acknowledged, and the run moves on once. (The server runs as a process of its own.)"""
    db = tmp_path / "ledger.db"
    async with serving(db, fake) as _:
        thread = await started_by(fake)
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # held by this process
        envelope = said("env-2", thread, "We ship")
        await fake.send_envelope(envelope)
        await asyncio.sleep(2.5)
        await fake.send_envelope(redelivered(envelope, "env-2-again"))  # Slack's retry: no ack came
        await asyncio.sleep(0.5)
        assert not acked(fake, "env-2") and not acked(fake, "env-2-again")  # nothing stored yet
        other.execute("COMMIT")
        other.close()
        await wait_for(lambda: acked(fake, "env-2-again"))
        assert not acked(fake, "env-2")  # it gave up at 2 s: Slack's redelivery carried it
        assert committed(db, INBOUND) == [(1,)]
        await wait_for(lambda: len(fake.posted()) >= 3)
        await asyncio.sleep(0.3)
        assert [p["text"] for p in fake.posted()].count("<@UA> Action 1: What is the action?") == 1


async def test_a_turn_whose_commit_is_lost_is_run_again_from_the_kept_event(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The event is kept and acknowledged; its turn's commit fails (for real: a deferred foreign
    key), which takes the turn's writes and the kept event's removal with it: the turn is run
    again from the kept event until it is stored, once. Slack's redelivery is a repeat."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        conn = slack.services.db.conn
        # a deferred foreign key is checked at COMMIT: the group's commit itself fails, for real
        conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
        conn.execute(
            "CREATE TRIGGER doom AFTER INSERT ON messages WHEN new.text = 'We ship'"
            " BEGIN INSERT INTO doomed VALUES (999999); END"
        )
        envelope = said("env-2", thread, "We ship")
        await fake.send_envelope(envelope)
        await wait_for(lambda: acked(fake, "env-2"))  # kept: its turn comes after
        await wait_for(lambda: "A commit failed" in caplog.text)
        await asyncio.sleep(1.5)  # tried again, lost again
        assert slack.rows(INBOUND) == [(0,)] and slack.rows("SELECT count(*) FROM slack_inbox") == [(1,)]
        conn.execute("DROP TRIGGER doom")
        await wait_for(lambda: slack.rows(INBOUND) == [(1,)], timeout=5)
        await slack.turned()
        assert slack.rows("SELECT count(*) FROM slack_inbox") == [(0,)]
        await fake.send_envelope(redelivered(envelope, "env-2-again"))
        await wait_for(lambda: acked(fake, "env-2-again"))
        await slack.turned()
        assert slack.rows(INBOUND) == [(1,)]
        assert (await slack.posts(3))[2]["text"] == "<@UA> Action 1: What is the action?"
        await asyncio.sleep(0.3)
        assert len(fake.posted()) == 3
    finally:
        await slack.client.close()


# --- (b) the stop: turns in flight finished, committed and acknowledged, then the socket closed ---


async def test_the_stop_finishes_the_turns_in_flight_and_takes_no_new_envelope(tmp_path: Path, fake: FakeSlack) -> None:
    slack = await harness(tmp_path, fake, env=SOCKET)
    thread = await started(slack)
    fake.slow_down("users.info", 0.8)  # the turn is fetching a new person's name when the stop comes
    await fake.send_envelope(said("env-2", thread, "We ship with <@UNEW>"))
    await wait_for(lambda: fake.of("users.info") and fake.of("users.info")[-1].args.get("user") == "UNEW")
    stopping = asyncio.ensure_future(slack.client.close())
    await wait_for(lambda: slack.channel.stopping)
    await fake.send_envelope(said("env-3", thread, "Draft the plan"))  # arrives during the stop
    await stopping
    assert acked(fake, "env-2") and not acked(fake, "env-3")  # Slack sends env-3 again, elsewhere or later
    assert committed(tmp_path / "slack.db", "SELECT text FROM messages WHERE direction = 'in' AND kind != 'start'") == [
        ("We ship with @unew",)
    ]
    await wait_for(lambda: not fake._sockets)  # the connection closed once the turn was acknowledged


async def test_sigterm_while_connected_with_a_turn_in_flight(tmp_path: Path, fake: FakeSlack) -> None:
    """``decisionbot serve`` in Socket Mode: SIGTERM while a turn is in flight. The turn is
    committed and acknowledged, the socket closed, and the process exits at once."""
    db = tmp_path / "ledger.db"
    async with serving(db, fake) as server:
        thread = await started_by(fake)
        fake.slow_down("users.info", 0.8)
        await fake.send_envelope(said("env-2", thread, "We ship with <@UNEW>"))
        await wait_for(lambda: fake.of("users.info") and fake.of("users.info")[-1].args.get("user") == "UNEW")
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(server.communicate(), 15)
        assert time.monotonic() - began < 6, err.decode()
    assert server.returncode == 0, err.decode()
    assert acked(fake, "env-2")
    assert committed(db, "SELECT text FROM messages WHERE direction = 'in' AND kind != 'start'") == [
        ("We ship with @unew",)
    ]
    assert "Traceback" not in err.decode()
    await wait_for(lambda: not fake._sockets)


# --- (c) Slack drops the connection, or asks for a new one ------------------------------------


@pytest.mark.parametrize("how", ["dropped", "refresh_requested", "warning"])
async def test_the_bot_reconnects_and_a_turn_across_the_drop_is_done_once(
    tmp_path: Path, fake: FakeSlack, how: str
) -> None:
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        fake.slow_down("users.info", 0.5)  # a turn in flight while the connection changes
        across = said("env-2", thread, "We ship with <@UNEW>")
        await fake.send_envelope(across)
        await wait_for(lambda: fake.of("users.info") and fake.of("users.info")[-1].args.get("user") == "UNEW")
        if how == "dropped":
            await fake.drop()
        else:
            await fake.send_envelope({"type": "disconnect", "reason": how, "debug_info": {"host": "wss-1"}})
        await wait_for(lambda: len(fake.of("apps.connections.open")) == 2)  # a fresh URL for the new connection
        await fake.wait_connected()
        await wait_for(lambda: slack.rows(INBOUND) == [(1,)])
        if not acked(fake, "env-2"):  # its acknowledgement died with the old connection: Slack sends it again
            await fake.send_envelope(redelivered(across, "env-2-again"))
            await wait_for(lambda: acked(fake, "env-2-again"))
        await fake.send_envelope(said("env-3", thread, "Draft the plan"))  # the run carries on over the new one
        await wait_for(lambda: acked(fake, "env-3"))
        await slack.posts(4)
        await asyncio.sleep(0.3)
        texts = [p["text"] for p in fake.posted()]
        assert texts.count("<@UA> Action 1: What is the action?") == 1
        assert texts.count("<@UA> Action 1: Who owns 'Draft the plan'?") == 1
        assert slack.rows("SELECT text FROM messages WHERE direction = 'in' AND kind != 'start' ORDER BY id") == [
            ("We ship with @unew",), ("Draft the plan",)
        ]  # fmt: skip
        assert len(fake._sockets) == 1
    finally:
        await slack.client.close()


async def test_an_acknowledgement_the_cut_connection_cannot_carry_is_a_clear_warning(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The network cuts the connection while the event is being kept (another process holds the
    ledger's write lock): the event is stored, its acknowledgement cannot be sent. That is one
    warning saying what happens next (it was an error with a traceback from slack_sdk: "Failed to
    run a request listener"), and Slack's redelivery over the new connection is acknowledged and
    dropped."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        await slack.turned()
        other = sqlite3.connect(tmp_path / "slack.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the event waits for the lock (within 2 s)
        envelope = said("env-2", thread, "We ship with <@UNEW>")
        await fake.send_envelope(envelope)
        await asyncio.sleep(0.3)
        fake.abort()  # no close frame: the bot learns it when it writes
        await asyncio.sleep(0.2)
        other.execute("COMMIT")
        other.close()
        await wait_for(lambda: "its acknowledgement was not sent" in caplog.text)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        await wait_for(lambda: slack.rows(INBOUND) == [(1,)])
        assert not acked(fake, "env-2")
        await wait_for(lambda: fake.connections == 2)  # slack_sdk's monitor connects again (5 s)
        await fake.wait_connected()
        await fake.send_envelope(redelivered(envelope, "env-2-again"))
        await wait_for(lambda: acked(fake, "env-2-again"))
        await slack.turned()
        assert slack.rows(INBOUND) == [(1,)]
    finally:
        await slack.client.close()


LINK_DISABLED = {"type": "disconnect", "reason": "link_disabled", "debug_info": {"host": "wss-1"}}


async def test_socket_mode_turned_off_in_the_app_is_waited_out_not_reconnected_in_a_loop(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Socket Mode turned off in the app's settings: Slack says ``link_disabled``, on every new
    connection too. slack_sdk alone connected again at once, hundreds of times a second; the bot
    waits (a minute, then doubling: 0.3 s here), says so once and in /healthz, and carries on
    once a connection stays open (Socket Mode turned on again)."""
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        assert slack.channel.socket is not None
        slack.channel.socket.retry_first, slack.channel.socket.settle = 0.3, 0.3
        fake.after_hello.append(LINK_DISABLED)  # every new connection is disabled at once
        await fake.send_envelope(LINK_DISABLED)
        await asyncio.sleep(2.0)
        assert len(fake.of("apps.connections.open")) <= 4  # at start-up, then 0.3, 0.9 and 2.1 s later
        health = await (await slack.client.get("/healthz")).json()
        assert health["channels_failing"]["slack"].startswith("Slack has Socket Mode turned off for this app")
        off = [r.getMessage() for r in caplog.records if "link_disabled" in r.getMessage()]
        assert len(off) == 1 and "Turn Socket Mode back on in the app's settings" in off[0]
        fake.after_hello.clear()  # turned on again
        await wait_for(lambda: slack.channel.failing() is None, timeout=15)
        assert "Slack's Socket Mode is on again for this app" in caplog.text
        await fake.send_envelope(said("env-2", thread, "We ship"))
        await wait_for(lambda: acked(fake, "env-2"))
        assert slack.rows(INBOUND) == [(1,)] and len(fake._sockets) == 1
    finally:
        await slack.client.close()


# --- (d) start-up: a websocket that cannot be opened (a refused app token: test_slack_socket.py) ----------------------------


async def _start(tmp_path: Path, fake: FakeSlack) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_URL": fake.url}
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    try:
        await TestServer(app).start_server()
    finally:
        await app[SERVICES].http.close()


async def test_a_websocket_that_cannot_be_opened_stops_the_start(tmp_path: Path, fake: FakeSlack) -> None:
    fake.refuse_websockets = True
    began = time.monotonic()
    with pytest.raises(ConfigError, match=r"Socket Mode connection \(ws://127.0.0.1:\d+/link/\) could not be opened"):
        await asyncio.wait_for(_start(tmp_path, fake), 30)  # slack_sdk alone retries it forever
    assert time.monotonic() - began < 15


async def test_a_handshake_that_fails_once_is_tried_again_with_a_new_ticket(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's Socket Mode URL is a ticket for one connection. slack_sdk tried a failed handshake
    again with the same URL, every 5 s for good: one blip of a proxy as the bot reconnected left
    it deaf (the fake, as Slack, refuses a spent ticket). Each try now asks for a new one."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        thread = await started(slack)
        fake.fail_upgrades = 1  # the next handshake fails
        await fake.drop()  # Slack's edge restarts: the bot connects again
        await wait_for(lambda: fake.connections == 2, timeout=20)  # after slack_sdk's 5 s between tries
        await fake.wait_connected()
        await fake.send_envelope(said("env-2", thread, "We ship"))
        await wait_for(lambda: acked(fake, "env-2"))
        assert slack.rows(INBOUND) == [(1,)]
        assert len(fake.of("apps.connections.open")) == 3  # start-up, the reconnection, its second try
    finally:
        await slack.client.close()
