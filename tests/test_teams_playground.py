"""End to end with the Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground), the
official local Teams client: our server with the Teams channel on (authentication off), the
Playground pointed at its /api/messages, and a whole post_meeting flow driven as a user through
the Playground's HTTP + WebSocket API, card answers included.

Needs Node.js and the Playground: run ``bash tests/setup/teams.sh`` once.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, WSMsgType
from aiohttp.test_utils import TestServer

from bot.server import SERVICES, create_app
from tests.teams_support import ROOT

CLI = ROOT / ".cache" / "playground" / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"


def _playground_or_skip() -> str:
    node = shutil.which("node")
    if node and CLI.is_file():
        return node
    reason = "the Agents Playground is not installed: run bash tests/setup/teams.sh"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Playground:
    """The Playground process and a user's view of it: its HTTP API and the WebSocket stream."""

    url: str
    http: ClientSession
    frames: list[dict[str, Any]] = field(default_factory=list)

    async def get(self, path: str) -> Any:
        async with self.http.get(self.url + path) as resp:
            assert resp.status == 200, (path, resp.status, await resp.text())
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(self.url + path, json=body) as resp:
            text = await resp.text()
            assert resp.status == 200, (path, resp.status, text)
            return json.loads(text) if text else None

    async def frame(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for f in self.frames:
                if predicate(f):
                    self.frames.remove(f)
                    return f
            if loop.time() > deadline:
                raise AssertionError(f"no such frame; frames so far: {self.frames}")
            await asyncio.sleep(0.02)

    async def bot_says(self, conversation: str | None = None, text: str | None = None) -> dict[str, Any]:
        """The next message the bot posts (into ``conversation``; containing ``text``)."""

        def match(f: dict[str, Any]) -> bool:
            if f.get("action") != "createMessage":
                return False
            if conversation is not None and f.get("actionConversationId") != conversation:
                return False
            return text is None or text in json.dumps(f["message"])

        return await self.frame(match)


def card_of(frame: dict[str, Any]) -> dict[str, Any]:
    attachments = frame["message"].get("attachments") or []
    assert attachments, f"not a card: {frame['message']}"
    return dict(attachments[0]["content"])


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[tuple[Playground, Any]]:
    node = _playground_or_skip()
    app = create_app(tmp_path / "pg.db", ROOT / "flows", env={"DECISIONBOT_TEAMS": "on"})
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}
    endpoint = f"http://127.0.0.1:{server.port}/api/messages"
    proc = await asyncio.create_subprocess_exec(
        node, str(CLI), "-e", endpoint, "-c", "msteams", "--dt", "-p", "0",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        port = await asyncio.wait_for(_listening(proc), timeout=60)
        async with ClientSession() as http:
            pg = Playground(f"http://127.0.0.1:{port}", http)
            ws = await http.ws_connect(f"ws://127.0.0.1:{port}/_ws_conversation/v1/conversations/stream")
            reader = asyncio.create_task(_read(ws, pg.frames))
            try:
                yield pg, app[SERVICES]
            finally:
                reader.cancel()
                await ws.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await server.close()


async def _listening(proc: asyncio.subprocess.Process) -> int:
    assert proc.stdout is not None
    seen = []
    while True:
        line = (await proc.stdout.readline()).decode(errors="replace")
        if not line:
            raise AssertionError(f"the Playground exited: {''.join(seen)}")
        seen.append(line)
        found = re.search(r"Listening on (\d+)", line)
        if found:
            asyncio.create_task(_drain(proc))
            return int(found.group(1))


async def _drain(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    while await proc.stdout.readline():
        pass


async def _read(ws: Any, frames: list[dict[str, Any]]) -> None:
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            frames.append(json.loads(msg.data))


async def test_a_whole_post_meeting_flow_through_the_agents_playground(playground: tuple[Playground, Any]) -> None:
    pg, services = playground
    config = (await pg.get("/_internal/v1/testConfig"))["config"]
    bot, me = config["bot"], config["currentUser"]
    channel = config["teams"][0]["channels"][0]["id"]
    tag = f"<at>{bot['name']}</at>"
    mention = [{"mentioned": {"id": bot["id"]}, "text": tag}]
    due = (date.today() + timedelta(days=21)).isoformat()

    async def submit(frame: dict[str, Any], value: dict[str, Any]) -> None:
        data = {**card_of(frame)["actions"][0]["data"], **value}
        body = {
            "conversation": {"id": frame["message"].get("postConversationId") or frame["actionConversationId"]},
            "from": {"id": me["id"]},
            "replyToId": frame["message"]["messageId"],
            "value": data,
        }
        await pg.post("/_conversation/v1/submit", body)

    async def say(conversation: str, text: str) -> None:
        body = {"from": {"id": me["id"]}, "text": f"{tag} {text}", "textFormat": "plain", "mentions": mention}
        await pg.post(f"/_conversation/v1/conversations/{conversation}/messages", body)

    # @mention the bot in the channel: the run's reply chain gets its first question. The Playground
    # gives a new post an activity id other than its message id (real Teams gives the same), so
    # the bot reads it as a reply chain already there (a channel meeting's) and the run lives in it
    await say(channel, "start post_meeting Weekly sync")
    first = await pg.bot_says(text="What was decided in Weekly sync?")
    thread = first["message"].get("postConversationId") or first["actionConversationId"]
    assert thread.startswith(f"{channel};messageid=")
    assert card_of(first)["body"][0]["text"] == "Decision run #1"

    await submit(first, {"answer": "We move the launch to March"})  # a card answer
    what = await pg.bot_says(thread, "Action 1: What is the action?")
    updated = await pg.frame(lambda f: f.get("action") == "updateMessage")
    assert updated["message"]["messageId"] == first["message"]["messageId"]
    assert "Alex Wilber answered: We move the launch to March" in json.dumps(updated["message"])

    await say(thread, "Draft the revised plan")  # a typed answer in the thread closes its card too
    typed = await pg.frame(lambda f: f.get("action") == "updateMessage")
    assert typed["message"]["messageId"] == what["message"]["messageId"]
    assert "Alex Wilber answered: Draft the revised plan" in json.dumps(typed["message"])
    owner = await pg.bot_says(thread, "Who owns 'Draft the revised plan'?")
    picker = card_of(owner)["body"][2]
    assert {"title": me["name"], "value": me["id"]} in picker["choices"]
    await submit(owner, {"answer": me["id"]})
    when = await pg.bot_says(thread, "By when should 'Draft the revised plan' be done?")
    assert card_of(when)["body"][2]["type"] == "Input.Date"
    await submit(when, {"answer": due})  # Input.Date sends YYYY-MM-DD
    more = await pg.bot_says(thread, "Action 2: What is the action?")
    await submit(more, {"say": "done"})

    # the owner's confirmation arrives in a personal chat the bot created
    confirm = await pg.bot_says(text="Do you accept it?")
    chat = confirm["actionConversationId"]
    assert chat != thread and not chat.startswith(channel)
    await submit(confirm, {"answer": "yes"})
    review = await pg.bot_says(thread, "When should we review this decision?")
    await submit(review, {"say": "ok"})
    summary = await pg.bot_says(thread, "Decision recorded: Weekly sync")
    assert "Draft the revised plan - Alex Wilber, due " + due in summary["message"]["text"]

    rows = services.db.execute("SELECT status, conversation FROM runs").fetchall()
    assert rows == [("completed", f"teams:{channel}")]
    actions = services.db.execute("SELECT owner_id, due, accepted_at IS NOT NULL FROM actions").fetchall()
    assert actions == [(f"teams:{me['id']}", due, 1)]
    kinds = services.db.execute(
        "SELECT count(*) FROM messages WHERE direction = 'in' AND kind = 'answer' AND payload LIKE '%msteams%'"
    ).fetchone()
    assert kinds == (7,)

    # after the decision, in its thread: the owner moves the due date, then reports the action done;
    # each time the thread's notice is the one answer, and the ledger keeps the change
    [(action,)] = services.db.execute("SELECT id FROM actions").fetchall()
    later = (date.today() + timedelta(days=28)).isoformat()
    await say(thread, f"due A{action} {later}")
    moved = await pg.bot_says(thread, "moved the due date")
    assert moved["message"]["text"] == (
        f"Alex Wilber moved the due date of their action 'Draft the revised plan' (from 'Weekly sync') to {later}"
        f" (was {due})."
    )
    await say(thread, f"done A{action}")
    await pg.bot_says(thread, "reported their action done: 'Draft the revised plan'")
    changes = services.db.execute("SELECT field, old, new FROM action_changes").fetchall()
    assert changes == [("due", due, later)]
    assert services.db.execute("SELECT status, due FROM actions").fetchall() == [("done", later)]


async def test_a_cancelled_runs_card_closes_and_the_bots_mention_alone_is_help_through_the_agents_playground(
    playground: tuple[Playground, Any],
) -> None:
    """In the Playground's group chat: ``@Test Bot`` alone answers as ``help`` does; after
    ``cancel 1`` the open card is updated to say the run was cancelled, and a submit of it
    anyway is told so in the chat, changing nothing."""
    pg, services = playground
    config = (await pg.get("/_internal/v1/testConfig"))["config"]
    bot, me = config["bot"], config["currentUser"]
    chat = config["groupChats"][0]["id"]
    tag = f"<at>{bot['name']}</at>"
    mention = [{"mentioned": {"id": bot["id"]}, "text": tag}]

    async def say(text: str) -> None:
        body = {"from": {"id": me["id"]}, "text": f"{tag} {text}".strip(), "textFormat": "plain", "mentions": mention}
        await pg.post(f"/_conversation/v1/conversations/{chat}/messages", body)

    await say("")
    helped = await pg.bot_says(chat)
    assert helped["message"]["text"].startswith("Commands: start FLOW"), helped["message"]

    await say("start post_meeting Weekly sync")
    first = await pg.bot_says(chat, "What was decided in Weekly sync?")
    await say("cancel 1")
    await pg.bot_says(chat, "Run cancelled by")
    closed = await pg.frame(lambda f: f.get("action") == "updateMessage")
    assert closed["message"]["messageId"] == first["message"]["messageId"]
    assert "This question is closed: the run was cancelled." in json.dumps(closed["message"])
    assert card_of(closed)["actions"] == []

    data = {**card_of(first)["actions"][0]["data"], "answer": "We ship in March"}
    body = {"conversation": {"id": chat}, "from": {"id": me["id"]}, "replyToId": first["message"]["messageId"]}
    await pg.post("/_conversation/v1/submit", {**body, "value": data})
    told = await pg.bot_says(chat)  # in a group chat the clicker is mentioned, so Teams notifies them
    assert told["message"]["text"] == f"<at>{me['name']}</at> This question is closed: the run was cancelled."
    assert services.db.execute("SELECT count(*) FROM answers").fetchone() == (0,)
    refused = "SELECT text, json_extract(payload, '$.widget') FROM messages WHERE kind = 'refused'"
    assert services.db.execute(refused).fetchall() == [("We ship in March", "closed")]
