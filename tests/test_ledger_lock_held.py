"""Another process holding the ledger's write lock for seconds (a long ``jobs run-due``, a
script of an operator's): the server waits for it with its event loop serving the rest, so Slack
gets an answer within its 3 s all the same (503 and nothing stored: Slack sends the event again;
a slash command is told to try again), background work waits and loses nothing it learnt from
a post, and Teams and the hooks are stored once the lock is free (they have longer than 3 s).
The other writer is a real second process; the real server, slack_sdk against the fake Web API,
requests signed for real."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import outbox
from bot.model import Actor, ConversationKey, Trigger
from bot.server import GROUP, create_app
from bot.store import group
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    SOCKET,
    Harness,
    event_body,
    harness,
    message,
    sign,
    slash_body,
    started_over_socket,
    wait_for,
)
from tests.teams_support import ALICE, installed, personal

HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('cron', ?, 'x')", (str(time.time()),))
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


class OtherProcess:
    """A second process that takes the ledger's write lock, holds it ``seconds``, then commits."""

    def __init__(self, db: Path, seconds: float):
        self.db, self.seconds = db, seconds
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> OtherProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD, str(self.db), str(self.seconds), stdout=asyncio.subprocess.PIPE
        )
        assert self.proc.stdout is not None
        assert (await self.proc.stdout.readline()).strip() == b"held"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.proc is not None
        assert await self.proc.wait() == 0


def committed(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """What a connection of its own sees: only what was committed."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def retried(body: bytes) -> dict[str, str]:
    return {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def timed(coro: Any) -> tuple[Any, float]:
    began = time.monotonic()
    result = await coro
    return result, time.monotonic() - began


async def started(slack: Harness) -> str:
    await slack.slash("UA", "start post_meeting Sync")
    return (await slack.posts(2))[0]["ts"]


async def test_an_event_is_answered_503_within_slacks_3_s_and_its_retry_is_carried_out(
    slack: Harness, tmp_path: Path
) -> None:
    thread = await started(slack)
    body = event_body(message("UA", "We ship in March", thread_ts=thread))
    async with OtherProcess(tmp_path / "slack.db", 5.0):
        waiting = asyncio.ensure_future(timed(slack.post(body)))
        await asyncio.sleep(0.3)
        health, health_took = await timed(slack.client.get("/healthz"))  # the loop serves meanwhile
        resp, took = await waiting
        assert health.status == 200 and health_took < 0.5, health_took
        assert resp.status == 503 and resp.headers["Retry-After"] == "1"
        assert 1.5 < took < 3.0, took  # waited for the lock about LOCK_WAIT (2 s), then gave up
        assert committed(tmp_path / "slack.db", "SELECT count(*) FROM answers") == [(0,)]
    resp = await slack.post(body, headers=retried(body))  # Slack sends it again
    assert resp.status == 200
    assert committed(tmp_path / "slack.db", "SELECT step, raw FROM answers") == [("decision", "We ship in March")]
    assert (await slack.posts(3))[2]["text"].endswith("Action 1: What is the action?")


async def test_a_slash_command_is_told_to_try_again_within_3_s_and_nothing_is_stored(
    slack: Harness, tmp_path: Path
) -> None:
    await started(slack)
    body = slash_body("UA", "list")
    async with OtherProcess(tmp_path / "slack.db", 4.0):
        resp, took = await timed(slack.post(body, form=True))
        assert took < 3.0, took
        assert resp.status == 200
        said = await resp.json()
        assert said["response_type"] == "ephemeral" and "try again" in said["text"]
        assert "busy" in said["text"]
    assert committed(tmp_path / "slack.db", "SELECT count(*) FROM deliveries WHERE platform = 'slack'") == [(1,)]
    said = await slack.slash("UA", "list")  # once the lock is free it works
    assert "Sync" in said["text"]


async def test_what_a_post_teaches_waits_for_the_lock_and_is_kept(slack: Harness, tmp_path: Path) -> None:
    """A triggered run's first message becomes its thread's root: Slack answers the post while
    the other process holds the lock; the outbox waits for it (the loop serving), then records
    the thread and marks the reply sent. Nothing is posted twice; answers in the thread work."""
    fake = slack.fake
    fake.slow_down("chat.postMessage", 1.0)
    await group.writable(slack.services.db.conn)  # the test starts the run as a trigger would, in the server
    alice = Actor("slack:UA", "Alice")
    slack.services.dispatcher.start(
        Trigger("post_meeting", facilitator=alice, title="Outage"), ConversationKey("slack", "C1")
    )
    slack.services.notify("slack")
    await wait_for(lambda: fake.of("chat.postMessage"))
    async with OtherProcess(tmp_path / "slack.db", 3.0):
        await wait_for(lambda: fake.of("chat.postMessage")[0].result is not None)  # Slack answered the post
        _, took = await timed(slack.client.get("/healthz"))
        assert took < 0.5, took
        assert committed(tmp_path / "slack.db", "SELECT count(*) FROM slack_threads") == [(0,)]
    fake.slow_down("chat.postMessage", 0.0)
    await wait_for(lambda: committed(tmp_path / "slack.db", "SELECT count(*) FROM slack_threads") == [(1,)])
    unsent = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
    await wait_for(lambda: committed(tmp_path / "slack.db", unsent) == [(0,)])
    root = fake.posted()[0]
    assert (await slack.event(message("UA", "Roll back", thread_ts=root["ts"]))).status == 200
    assert committed(tmp_path / "slack.db", "SELECT raw FROM answers") == [("Roll back",)]
    texts = [p["text"] for p in fake.posted()]
    assert len(texts) == len(set(texts))


async def test_a_socket_mode_event_is_left_unacknowledged_and_its_redelivery_taken(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        root = await started_over_socket(slack)
        event = json.loads(event_body(message("UA", "We ship", thread_ts=root["ts"])))
        envelope = {"envelope_id": "env-2", "type": "events_api", "payload": event, "retry_attempt": 0}
        async with OtherProcess(tmp_path / "slack.db", 4.0):
            await fake.send_envelope(envelope)
            await asyncio.sleep(2.8)
            assert [a["envelope_id"] for a in fake.acks] == ["env-1"]  # not acknowledged: Slack sends it again
        assert committed(tmp_path / "slack.db", "SELECT count(*) FROM answers") == [(0,)]
        await fake.send_envelope({**envelope, "envelope_id": "env-3", "retry_attempt": 1})
        await wait_for(lambda: len(fake.acks) == 2)
        assert committed(tmp_path / "slack.db", "SELECT raw FROM answers") == [("We ship",)]
    finally:
        await slack.client.close()


async def test_background_work_waits_for_the_lock_past_a_requests_deadline(slack: Harness, tmp_path: Path) -> None:
    """Outside a request nothing gives up at 2 s: a write waits the busy timeout (30 s), and what
    records a post as long as the lock is held."""
    conn = slack.services.db.conn
    await group.settled(conn)
    async with OtherProcess(tmp_path / "slack.db", 2.5):
        _, took = await timed(group.writable(conn))
        assert 1.5 < took < 4.0, took
        conn.execute("INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('test', 'bg', 'x')")
    await group.settled(conn)
    assert committed(tmp_path / "slack.db", "SELECT delivery_id FROM deliveries WHERE platform = 'test'") == [("bg",)]


async def test_teams_and_the_hooks_wait_for_the_lock_and_are_stored(tmp_path: Path) -> None:
    """Teams does not send an activity again after a 503, and Alertmanager waits longer than
    Slack: their requests wait the busy timeout (30 s) for the lock, with the loop serving, and
    are stored once it is free."""
    connector = await FakeConnector().start()
    env = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_HOOK_TOKEN": "s3cret", "DECISIONBOT_DEFAULT_CHANNEL": "console:ops"}
    client = TestClient(TestServer(create_app(tmp_path / "both.db", env=env)))
    await client.start_server()
    try:
        assert (await client.post("/api/messages", json=installed(connector.url, "personal", (ALICE,)))).status == 201
        alert = (Path(__file__).parents[1] / "data" / "samples" / "alertmanager_firing.json").read_bytes()
        hook_headers = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
        async with OtherProcess(tmp_path / "both.db", 2.5):
            said = asyncio.ensure_future(
                timed(client.post("/api/messages", json=personal(connector.url, ALICE, "list")))
            )
            hooked = asyncio.ensure_future(timed(client.post("/hooks/alertmanager", data=alert, headers=hook_headers)))
            await asyncio.sleep(0.3)
            _, health_took = await timed(client.get("/healthz"))
            assert health_took < 0.5, health_took
            (teams, teams_took), (hook, hook_took) = await said, await hooked
        assert teams.status == 201 and 2.0 < teams_took < 10, teams_took
        assert hook.status == 200 and 2.0 < hook_took < 10, hook_took
        assert committed(tmp_path / "both.db", "SELECT count(*) FROM events WHERE source = 'alertmanager'") == [(1,)]
        delivered = "SELECT count(*) FROM deliveries WHERE platform = 'teams'"
        assert committed(tmp_path / "both.db", delivered) == [(1,)]
    finally:
        await client.close()
        await connector.stop()


async def test_a_server_stopped_while_the_lock_is_held_keeps_what_a_post_taught(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """A deploy stops the server just after Slack took a triggered run's first message, while
    another process holds the lock for 8 s: the stop waits for the lock (past its 5 s grace for
    sends) and records the thread and the mark, so the restarted server does not post it again."""
    db = tmp_path / "slack.db"
    slack = await harness(tmp_path, fake)
    fake.slow_down("chat.postMessage", 1.0)
    await group.writable(slack.services.db.conn)
    alice = Actor("slack:UA", "Alice")
    slack.services.dispatcher.start(
        Trigger("post_meeting", facilitator=alice, title="Outage"), ConversationKey("slack", "C1")
    )
    slack.services.notify("slack")
    await wait_for(lambda: fake.of("chat.postMessage"))
    async with OtherProcess(db, 8.0):
        await wait_for(lambda: fake.of("chat.postMessage")[0].result is not None)  # Slack has the post
        await slack.client.close()  # the server stops while the lock is held
    assert committed(db, "SELECT count(*) FROM slack_threads") == [(1,)]
    fake.slow_down("chat.postMessage", 0.0)
    again = await harness(tmp_path, fake)  # the restart
    try:
        await asyncio.sleep(1.5)
        assert [p["text"] for p in fake.posted()] == ["<@UA> What was decided in Outage?"]  # not posted again
    finally:
        await again.client.close()


async def test_an_idle_server_leaves_the_write_lock_to_others(tmp_path: Path) -> None:
    """Housekeeping and the scheduler take the lock only for work to do (before, an idle server
    committed an empty transaction five times a second)."""
    app = create_app(tmp_path / "idle.db", env={})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        await asyncio.sleep(1.0)  # start-up's own writes (plans, leases) done
        before = app[GROUP].commits
        await asyncio.sleep(2.0)
        assert app[GROUP].commits == before
    finally:
        await client.close()


async def test_a_ledger_error_right_after_a_post_marks_it_later_never_posts_it_again(
    slack: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write lock cannot be taken after Slack took a reply (a disk error, not another
    process): the reply is marked sent on a later pass, not posted again as if it had failed."""
    thread = await started(slack)
    unsent = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
    await wait_for(lambda: committed(tmp_path / "slack.db", unsent) == [(0,)])
    failing = Flaky()
    monkeypatch.setattr(outbox, "group", failing)
    assert (await slack.event(message("UA", "We ship in March", thread_ts=thread))).status == 200
    await wait_for(lambda: failing.failed, timeout=5)
    await wait_for(lambda: committed(tmp_path / "slack.db", unsent) == [(0,)], timeout=10)
    texts = [p["text"] for p in slack.fake.posted()]
    assert len(texts) == 3 and texts[2].endswith("Action 1: What is the action?")


class Flaky:
    """The outbox's view of bot.store.group, whose first ``writable`` fails as a disk would."""

    def __init__(self) -> None:
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(group, name)

    async def writable(self, conn: sqlite3.Connection, within: float | None = None) -> None:
        if not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("disk I/O error")
        await group.writable(conn, within)
