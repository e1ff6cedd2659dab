"""Signed Slack requests and a harness: the real server (create_app) with the Slack channel on,
talking to the fake Web API of tests/fakes/slack_api.py. Signatures are computed for real with
the signing secret, exactly as Slack does."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from bot.channels.slack_limits import Pacer
from bot.server import CHANNELS, SERVICES, create_app
from bot.store import utc_now
from tests.dates import JAN15
from tests.fakes.slack_api import APP, TEAM, FakeSlack

ROOT = Path(__file__).resolve().parents[1]
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_ids = itertools.count(1)

SlackPeople = dict[str, tuple[str, str]]
"""Whom the fake Web API knows: Slack user id to (display name, time zone); the ``slack_people``
fixture of tests/conftest.py, which a module overrides to know other people or zones."""
ALICE_AND_BOB: SlackPeople = {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC")}
ALICE_IN_PARIS_BOB_IN_NEW_YORK: SlackPeople = {"UA": ("Alice", "Europe/Paris"), "UB": ("Bob", "America/New_York")}


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature)}


def event_body(event: dict[str, Any], event_id: str | None = None, team: str = TEAM, app: str = APP) -> bytes:
    envelope = {
        "token": "x",
        "team_id": team,
        "api_app_id": app,
        "type": "event_callback",
        "event": event,
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
    }
    return json.dumps(envelope).encode()


def message(user: str, text: str, channel: str = "C1", thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = extra.pop("ts", None) or f"1800000000.{next(_ids):06d}"
    event = {"type": "message", "user": user, "text": text, "channel": channel, "ts": ts, "event_ts": ts}
    event["channel_type"] = "im" if channel.startswith("D") else "channel"
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def action_body(
    user: str,
    channel: str,
    message_ts: str,
    block_id: str,
    action: dict[str, Any],
    thread_ts: str | None = None,
    response_url: str | None = None,
) -> bytes:
    container: dict[str, Any] = {"type": "message", "message_ts": message_ts, "channel_id": channel}
    if thread_ts:
        container["thread_ts"] = thread_ts
    action = {"block_id": block_id, "action_id": "answer:x", "action_ts": f"1800000001.{next(_ids):06d}", **action}
    payload = {
        "type": "block_actions",
        "api_app_id": APP,
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM},
        "trigger_id": f"trig-{next(_ids)}",
        "container": container,
        "channel": {"id": channel},
        "message": {"ts": message_ts, "thread_ts": thread_ts} if thread_ts else {"ts": message_ts},
        "actions": [action],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)}).encode()


def slash_body(
    user: str, text: str, channel: str = "C1", team: str = TEAM, response_url: str = "http://127.0.0.1:1/never"
) -> bytes:
    form = {
        "token": "x",
        "team_id": team,
        "api_app_id": APP,
        "channel_id": channel,
        "user_id": user,
        "command": "/decision",
        "text": text,
        "trigger_id": f"{next(_ids)}.1.abc",
        "response_url": response_url,  # (by default not the fake's: never called)
    }
    return urlencode(form).encode()


def unlinked(told: str) -> str:
    """A command's answer with its runs' links (``<https://...|Run #1>``: tests/test_slack_runs_linked.py)
    shown as their words, for the tests of what it says."""
    return re.sub(r"<https://[^|>]+\|([^>]+)>", r"\1", told)


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


@dataclass
class Harness:
    fake: FakeSlack
    client: TestClient

    @property
    def services(self) -> Any:
        return self.client.server.app[SERVICES]

    @property
    def channel(self) -> Any:
        return self.client.server.app[CHANNELS]["slack"]

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return self.services.db.conn.execute(sql, args).fetchall()

    async def post(self, body: bytes, headers: dict[str, str] | None = None, form: bool = False) -> ClientResponse:
        """Post ``body`` as Slack would; return its answer once the turn of an event it kept has
        run too (an event's turn runs after Slack's 200: ``bot.channels.slack_inbox``)."""
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        resp = await self.client.post(
            "/slack/events", data=body, headers={"Content-Type": kind, **(headers or sign(body))}
        )
        await self.turned()
        return resp

    async def turned(self) -> None:
        """Once the turns of the events kept so far have run and been committed (or lost)."""
        channel = self.client.server.app[CHANNELS].get("slack")
        if channel is not None and channel.inbox is not None:
            with contextlib.suppress(sqlite3.Error):
                await channel.inbox.settled()

    async def event(self, event: dict[str, Any], **kwargs: Any) -> ClientResponse:
        return await self.post(event_body(event, **kwargs))

    async def slash(self, user: str, text: str, channel: str = "C1", response_url: str = "") -> dict[str, Any]:
        """``/decision text``'s answer (within Slack's 3 s); ``response_url``: one the answer may be
        told at later (by default one of no Slack's, which the bot never calls)."""
        body = slash_body(user, text, channel, response_url=response_url or "http://127.0.0.1:1/never")
        resp = await self.post(body, form=True)
        assert resp.status == 200
        return await resp.json()

    async def started(self, command: str = "start post_meeting Weekly sync", user: str = "UA") -> str:
        """A run started by ``/decision command``; its thread's ts once its first question is out."""
        await self.slash(user, command)
        return str((await self.posts(2))[0]["ts"])

    async def say(self, thread: str, *answers: str, user: str = "UA") -> None:
        """``answers`` typed in ``thread`` one at a time, each after the bot's reply to the last."""
        for text in answers:
            n = len(self.fake.posted())
            await self.event(message(user, text, thread_ts=thread))
            await wait_for(lambda n=n: len(self.fake.posted()) > n)

    async def click(
        self, user: str, posted: dict[str, Any], action: dict[str, Any], response_url: str | None = None
    ) -> ClientResponse:
        """Use the widget of a posted message (as the fake recorded it, plus its ts)."""
        block = next(b for b in posted["blocks"] if b["type"] == "actions")
        thread = posted.get("thread_ts")
        body = action_body(user, posted["channel"], posted["ts"], block["block_id"], action, thread, response_url)
        return await self.post(body, form=True)

    async def posts(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were posted; each with its ts."""
        return await wait_for(lambda: len(self.fake.posted()) >= count and self.fake.posted(), timeout)


def committed_rows(slack: Harness, sql: str) -> list[tuple[Any, ...]]:
    """Rows as another connection sees them: only what was committed (``slack.rows`` reads on the
    server's own connection, which also sees what its open transaction has not committed yet)."""
    return committed(slack.services.db.conn.execute("PRAGMA database_list").fetchone()[2], sql)


def committed(path: Path | str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of the ledger file ``path`` as a connection of its own sees them: only what was committed."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def harness(
    tmp_path: Path,
    fake: FakeSlack,
    env: dict[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
    db_name: str = "slack.db",
    flows: Path = ROOT / "flows",
) -> Harness:
    settings = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
    settings.update(env or {})
    app = create_app(tmp_path / db_name, flows, env=settings, clock=clock)
    client = TestClient(TestServer(app))
    await client.start_server()
    channel = app[CHANNELS].get("slack")
    if channel is not None and channel.poster is not None:
        channel.poster.pacer = Pacer(interval=0.0)  # pacing has its own test; here it only slows
        channel.poster.dms.opens = Pacer(interval=0.0)  # (direct messages opened: tests/test_slack_dm_pace.py)
    return Harness(fake, client)


async def owner_question_answered_while_it_waits(slack: Harness, answer: str) -> dict[str, Any]:
    """post_meeting up to its owner question, which a 429 holds in the outbox while the facilitator
    answers it with ``answer``; returns the question as it is finally posted (Slack's 4th message)."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    slack.fake.refuse("chat.postMessage", status=429, retry_after="1")  # the owner question waits ...
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    await wait_for(lambda: slack.fake.of("chat.postMessage")[-1].result.get("ok") is False)
    await slack.event(message("UA", answer, thread_ts=thread))  # ... and is answered meanwhile
    return (await slack.posts(4))[3]


async def bob_asked_to_accept(slack: Harness, command: str = "start post_meeting Weekly sync") -> str:
    """Alice runs ``/decision command`` in C1 (post_meeting) and answers up to Bob's acceptance: the
    decision 'We ship in March', one action 'Draft the plan' of Bob's due JAN15; the run's thread."""
    await slack.slash("UA", command)
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan", "<@UB>", JAN15, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    return thread


async def decided(slack: Harness) -> str:
    """post_meeting in C1 by Alice ('Weekly sync') run to its end: Bob's action 'Draft the plan' due
    JAN15, accepted, the default review date taken; the run's thread."""
    thread = await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.event(message("UA", "ok", thread_ts=thread))
    assert slack.rows("SELECT status FROM runs") == [("completed",)]
    assert slack.rows("SELECT id, owner_id, status FROM actions") == [(1, "slack:UB", "open")]
    return thread


#: A server on Socket Mode (no HTTP route, no signing secret).
#: A flow asking each person named one question by direct message (DM pacing: tests and bench_burst).
ASK_ALL = """\
id: ask_all
title: Ask everyone
roles: {facilitator: trigger.facilitator}
steps:
  - id: people
    type: repeat
    item_label: Person
    min_items: 1
    fields:
      - {id: who, ask: "Who?", type: person}
  - {id: agree, to: each people.who, ask: "Do you agree with {{ trigger.title }}?", type: yes_no}
"""

SOCKET = {"SLACK_APP_TOKEN": "xapp-test", "SLACK_SIGNING_SECRET": ""}


async def started_over_socket(slack: Harness) -> dict[str, Any]:
    """Over Socket Mode, Alice's ``/decision start post_meeting Sync`` (envelope env-1); the run's
    root, as the fake recorded it (Slack's first post)."""
    await slack.fake.wait_connected()
    slash = {"user_id": "UA", "channel_id": "C1", "text": "start post_meeting Sync", "trigger_id": "9.9.z",
             "team_id": "T111", "api_app_id": "A111", "command": "/decision"}  # fmt: skip
    await slack.fake.send_envelope({"envelope_id": "env-1", "type": "slash_commands", "payload": slash})
    return (await slack.posts(2))[0]
