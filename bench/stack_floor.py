"""The stack floor: the least a bot built on this project's fixed parts does for one Slack turn.

The floor in bench_slack stores one row and posts with a raw aiohttp call. Any decision bot on the
parts the project is built on (python-statemachine, SQLite, slack-sdk) does more for each turn, and
this target does just that much, with nothing else: verify the signature, read the JSON, read the
run's state, move a cached python-statemachine machine one step (as perf-floors.md's "committed
turn"), write a turn-sized transaction with plain ``execute`` (the delivery id, the message in, the
reply, the transition, the answer; the run's row updated), commit, answer 200, then post the reply
through slack-sdk's ``AsyncWebClient`` on a shared session. Its saturation is the ceiling a bot on
these parts can reach on this machine, against which the floor's ratio target can be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import ClientSession, TCPConnector, web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from statemachine import State, StateMachine

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (delivery_id TEXT PRIMARY KEY, received_at REAL);
CREATE TABLE IF NOT EXISTS runs (conversation TEXT PRIMARY KEY, state TEXT, context TEXT, updated_at REAL);
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation TEXT, direction TEXT, text TEXT, at REAL);
CREATE TABLE IF NOT EXISTS transitions (id INTEGER PRIMARY KEY, conversation TEXT, source TEXT, target TEXT, at REAL);
CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, conversation TEXT, step TEXT, value TEXT, at REAL);
"""


class Turns(StateMachine):
    """Eight questions in a ring: each answer moves to the next."""

    q0 = State(initial=True)
    q1, q2, q3, q4, q5, q6, q7 = State(), State(), State(), State(), State(), State(), State()
    answer = q0.to(q1) | q1.to(q2) | q2.to(q3) | q3.to(q4) | q4.to(q5) | q5.to(q6) | q6.to(q7) | q7.to(q0)


class Model:
    state: str = "q0"


def serve_stack(args: argparse.Namespace, secret: str) -> None:
    verifier = SignatureVerifier(secret)
    conn = sqlite3.connect(args.db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    model = Model()
    machine = Turns(model=model)
    tasks: set[asyncio.Task[Any]] = set()
    web_client: list[AsyncWebClient] = []

    def turn(event_id: str, event: dict[str, Any]) -> tuple[str, str | None, str] | None:
        conversation = f"{event['channel']}:{event.get('thread_ts') or ''}"
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?)", (event_id, now)).rowcount == 0:
                conn.execute("ROLLBACK")
                return None  # a retry: answered, not advanced twice
            row = conn.execute("SELECT state, context FROM runs WHERE conversation = ?", (conversation,)).fetchone()
            source, context = (row[0], json.loads(row[1])) if row else ("q0", {"answers": 0})
            model.state = source
            machine.send("answer")
            target = str(model.state)
            context["answers"] += 1
            text = f"Question {target}"
            conn.execute("INSERT INTO messages (conversation, direction, text, at) VALUES (?, 'in', ?, ?)",
                         (conversation, event.get("text", ""), now))  # fmt: skip
            conn.execute("INSERT INTO answers (conversation, step, value, at) VALUES (?, ?, ?, ?)",
                         (conversation, source, json.dumps(event.get("text", "")), now))  # fmt: skip
            conn.execute("INSERT INTO transitions (conversation, source, target, at) VALUES (?, ?, ?, ?)",
                         (conversation, source, target, now))  # fmt: skip
            conn.execute("INSERT INTO messages (conversation, direction, text, at) VALUES (?, 'out', ?, ?)",
                         (conversation, text, now))  # fmt: skip
            conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
                         (conversation, target, json.dumps(context), now))  # fmt: skip
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        thread = event.get("thread_ts") or (None if event["channel"].startswith("D") else event["ts"])
        return event["channel"], thread, text

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        if not verifier.is_valid(body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")):
            return web.Response(status=401)
        payload = json.loads(body)
        reply = turn(payload["event_id"], payload["event"])
        if reply is not None:
            channel, thread, text = reply
            task = asyncio.ensure_future(web_client[0].chat_postMessage(channel=channel, thread_ts=thread, text=text))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return web.Response(status=200)

    async def session(app: web.Application) -> AsyncIterator[None]:
        http = ClientSession(connector=TCPConnector(limit=200, limit_per_host=100))
        base = f"http://127.0.0.1:{args.api_port}/api/"
        web_client.append(AsyncWebClient(token="xoxb-stack", base_url=base, session=http))
        yield
        await http.close()

    app = web.Application()
    app.router.add_post("/slack/events", handler)
    app.cleanup_ctx.append(session)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
