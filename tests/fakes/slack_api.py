"""A small fake of the Slack Web API (and Socket Mode) on 127.0.0.1, recording every call.

It answers the methods the bot uses as Slack does (JSON bodies for chat.*, query strings for
auth.test, conversations.open, apps.connections.open), and can be told to refuse the next
calls of a method: HTTP 429 with ``Retry-After``, ``ok: false`` with an error, or a 5xx; or to
answer them late (``slow_down``), or never (``hang``). Or rate-limited as Slack's tiers are
(``rate_limit``, ``slack_tiers``): a call beyond its method's rate (per channel for
``chat.postMessage``) is answered 429 with ``Retry-After``, as Slack does. ``conversations.info``
says a channel :meth:`FakeSlack.shut_out` closes is not the bot's (``is_member`` false), archived
or not found, as Slack does. ``conversations.members`` pages a channel's members as a test set them
(``set_members``; ``page_size``: how many a page, whatever the caller asked), or, for a channel
with none set, everyone the fake knows or was asked about (``users.info``) and the bot.
It refuses what Slack refuses for size (chat.postMessage, chat.postEphemeral, chat.update):
``text`` over 40,000 characters is ``msg_too_long``; more than 50 blocks, a block's text over
3,000 characters, or an interactive element beyond Block Kit's limits (more than 25 elements in
an actions block; a button's or an option's text over 75 characters, a placeholder's over 150; a
button's value over 2,000, an option's over 150; more than 100 options in a
menu) is ``invalid_blocks``. ``views.publish`` keeps the Home tab of a person (``home``) and refuses
one Slack would refuse (not of type home, over 100 blocks, beyond Block Kit's limits) with
``invalid_arguments``. ``views.open`` keeps the modals it opens (``modals``), each given an id and
a hash, and refuses one Slack would refuse (``invalid_arguments``); ``refuse("views.open",
error="expired_trigger_id")`` answers as Slack does to a trigger id used too late.
``apps.connections.open`` returns a ``ws://127.0.0.1:PORT/link/...`` URL served here too; a
test pushes envelopes down it and reads the acknowledgements that come back. Files are shared
as Slack's upload does: ``files.getUploadURLExternal`` hands out an upload URL here, the bytes
are POSTed to it, ``files.completeUploadExternal`` shares them in a channel or thread (``files``).
Slash commands' ``response_url``s are served here too (``response_url``, ``responses``:
:mod:`tests.fakes.slack_responses`).

Also a process of its own for benchmarks: ``python -m tests.fakes.slack_api --port P``, with
``GET /_calls`` (the calls so far, with their arrival times and the ts a post was given),
``POST /_reset``, ``--slow METHOD=SECONDS`` (every call of METHOD answered that late), and
``--grid org`` (the bot token installed org-wide on an Enterprise Grid; ``workspace``: in one of
its workspaces).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.block_kit import BLOCK_TEXT_LIMIT, TEXT_LIMIT, modal_refused, oversized, view_refused  # noqa: F401 (tests import the limits here)
from tests.fakes.loopback import LoopbackServer
from tests.fakes.slack_responses import ResponseUrls
from tests.fakes.slack_tiers import SLACK_TIERS, Tier

TEAM, APP, BOT_USER, BOT_ID = "T111", "A111", "UBOT", "BBOT"
#: The Enterprise Grid organisation of :attr:`FakeSlack.grid` installs (and its bot user: on a
#: Grid, user ids are the organisation's, ``W...``).
ORG, ORG_BOT_USER = "E0ACME", "W0BOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float  # time.monotonic() on arrival: comparable across processes on one machine
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "args": self.args,
            "at": self.at,
            "ok": self.result.get("ok"),
            "ts": self.result.get("ts"),
        }


@dataclass
class Refusal:
    status: int = 200
    error: str | None = None
    retry_after: str | None = None
    cut: bool = False  # the connection dropped with no answer (the client: ServerDisconnectedError)


@dataclass
class FakeSlack(ResponseUrls, LoopbackServer):
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    refusals: dict[str, list[Refusal | None]] = field(default_factory=dict)  # None: answered
    delays: dict[str, float] = field(default_factory=dict)  # method (or 'method channel') -> seconds before answering
    hangs: dict[str, int] = field(default_factory=dict)  # method -> how many more calls never answered
    _posted_waiters: dict[str, list[asyncio.Future[None]]] = field(default_factory=dict)  # GET /_posted
    acks: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # by file id: name, content, where shared
    port: int = 0
    record: bool = True
    refuse_websockets: bool = False  # the websocket upgrade answered 403, as by a proxy allowing HTTPS only
    fail_upgrades: int = 0  # the next upgrades answered 503 (a proxy's or Slack's edge's blip); the ticket is spent
    tickets_spent: set[str] = field(default_factory=set)  # a ticket opens one connection: tried again, 401
    after_hello: list[dict[str, Any]] = field(default_factory=list)  # sent on every new connection after hello
    connections: int = 0  # websockets opened so far
    shut: dict[str, str] = field(default_factory=dict)  # channel -> the error every chat.* call there gets
    socket_app: str = APP  # the app whose app-level token apps.connections.open was called with
    #: How the bot token is installed: "" in a workspace of no Enterprise Grid; "workspace" in
    #: TEAM, a workspace of the Grid organisation ORG; "org" org-wide in ORG (auth.test then
    #: names the organisation as its team, with ``is_enterprise_install``).
    grid: str = ""
    tiers: dict[str, Tier] = field(default_factory=dict)  # method -> its rate limit (none: unlimited)
    limited: list[Call] = field(default_factory=list)  # calls answered 429 by a tier
    removed: set[tuple[str, str]] = field(default_factory=set)  # (channel, ts) deleted by someone: see remove
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel -> name, workspace: see describe
    bot_name: str = "decisionbot"  # the bot user's name, as auth.test gives it (and Slack shows its mentions)
    members: dict[str, list[str]] = field(default_factory=dict)  # channel -> its members: see set_members
    page_size: int = 0  # conversations.members' page: at most this many (0: as the caller asked)
    asked_about: set[str] = field(default_factory=set)  # users users.info was asked about

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self.runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()  # what releases the calls that hang

    # --- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def add_user(self, user_id: str, name: str, tz: str = "UTC") -> None:
        self.users[user_id] = {"id": user_id, "name": name.lower(), "tz": tz, "profile": {"display_name": name}}

    def add_bot(self, user_id: str, name: str) -> None:
        """Another app's bot user (Jira's, Google Calendar's): ``users.info`` says ``is_bot: true``,
        and its direct message cannot be opened (``conversations.open``: ``cannot_dm_bot``)."""
        self.add_user(user_id, name)
        self.users[user_id]["is_bot"] = True

    def deactivate(self, user_id: str) -> None:
        """The person left: ``users.info`` says ``deleted: true``, and their direct message cannot be
        opened (``conversations.open``: ``user_disabled``), as Slack answers for a deactivated account."""
        self.users[user_id]["deleted"] = True

    def rename(self, user_id: str, name: str) -> None:
        """The person changed their display name in their Slack profile."""
        self.users[user_id]["profile"]["display_name"] = name

    def refuse(self, method: str, times: int = 1, after: int = 0, **how: Any) -> None:
        """The next ``times`` calls of ``method`` (after ``after`` more answered as usual) are
        refused: ``status=429, retry_after="0"``, ``error="channel_not_found"`` or ``status=503``,
        or cut off unanswered: ``cut=True``."""
        queue = self.refusals.setdefault(method, [])
        queue.extend([None] * after + [Refusal(**how) for _ in range(times)])

    def rate_limit(self, method: str, per_minute: float, burst: int = 1, per_channel: bool = False) -> None:
        """Calls of ``method`` beyond ``per_minute`` (after ``burst`` at once; per channel with
        ``per_channel``) are answered HTTP 429, ``ratelimited``, with ``Retry-After`` in whole seconds."""
        self.tiers[method] = Tier(per_minute, burst, per_channel)

    def slack_tiers(self) -> None:
        """Rate-limit the methods of SLACK_TIERS as Slack does."""
        for method, (per_minute, burst, per_channel) in SLACK_TIERS.items():
            self.rate_limit(method, per_minute, burst, per_channel)

    def shut_out(self, channel: str, error: str = "not_in_channel") -> None:
        """The bot removed from ``channel`` (or it archived: ``is_archived``): every ``chat.*`` call
        there is refused with ``error`` until :meth:`let_in`; the other conversations still work."""
        self.shut[channel] = error

    def let_in(self, channel: str) -> None:
        """The bot invited back to ``channel``."""
        self.shut.pop(channel, None)

    def remove(self, channel: str, ts: str) -> None:
        """Someone (a channel admin, its writer) deleted the message ``channel``/``ts`` in Slack's
        client, a thread's root with no reply under it: it is no longer in ``posted``, and a post
        into its thread is refused ``thread_not_found``, as Slack refuses it. (A root with replies
        would stay as Slack's tombstone, its thread open: nothing to fake.)"""
        self.removed.add((channel, ts))

    def describe(self, channel: str, name: str, team: str = TEAM) -> None:
        """``conversations.info`` names ``channel`` so (``name``), in workspace ``team``
        (``context_team_id``: another workspace of an Enterprise Grid when not TEAM)."""
        self.channels[channel] = {"name": name, "context_team_id": team}

    def set_members(self, channel: str, *users: str) -> None:
        """``conversations.members`` says ``channel``'s members are ``users`` (and no one else)."""
        self.members[channel] = list(users)

    def slow_down(self, method: str, seconds: float, channel: str | None = None) -> None:
        """Every later call of ``method`` (about ``channel`` alone, when given) waits ``seconds``
        before its answer (Slack having a bad day)."""
        self.delays[method if channel is None else f"{method} {channel}"] = seconds

    def hang(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are never answered (until the fake stops): Slack
        that took the request and went silent; the calls after them are answered as usual."""
        self.hangs[method] = self.hangs.get(method, 0) + times

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def home(self, user: str) -> dict[str, Any] | None:
        """The Home tab last published for ``user`` (and taken), or None."""
        taken = [c for c in self.of("views.publish") if c.result.get("ok") and c.args.get("user_id") == user]
        return taken[-1].result["view"] if taken else None

    def modals(self) -> list[dict[str, Any]]:
        """The modals opened (``views.open`` taken), each as Slack keeps it: with its id and hash."""
        return [c.result["view"] for c in self.of("views.open") if c.result.get("ok")]

    def posted(self) -> list[dict[str, Any]]:
        """The messages posted successfully and not deleted since, each with the ts it was given."""
        gone = {(c.args.get("channel"), c.args.get("ts")) for c in self.of("chat.delete") if c.result.get("ok")}
        gone |= self.removed
        return [
            {**c.args, "ts": c.result["ts"]}
            for c in self.of("chat.postMessage")
            if c.result.get("ok") and (c.args.get("channel"), c.result["ts"]) not in gone
        ]

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push a Socket Mode message to every connected client."""
        await self.send_raw(json.dumps(envelope))

    async def send_raw(self, frame: str) -> None:
        """Push a text frame as it is (not necessarily JSON) to every connected client."""
        for ws in list(self._sockets):
            await ws.send_str(frame)

    def abort(self) -> None:
        """Cut every Socket Mode connection without a close frame (a network failure)."""
        for ws in list(self._sockets):
            transport = ws._req.transport if ws._req is not None else None
            if transport is not None:
                transport.abort()

    async def drop(self) -> None:
        """Close every Socket Mode connection from Slack's side (a restart of Slack's edge)."""
        for ws in list(self._sockets):
            await ws.close()

    async def wait_connected(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._sockets:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode client connected")
            await asyncio.sleep(0.01)

    # --- serving -----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # bots.info and users.info are GETs
        app.router.add_get("/link/", self._link)
        app.router.add_post("/_upload/{file_id}", self._upload)  # where files.getUploadURLExternal points
        app.router.add_post("/response/{rid}", self._response)  # response_urls: slack_responses
        app.router.add_get("/_calls", self._calls)
        app.router.add_get("/_posted", self._posted)
        app.router.add_post("/_reset", self._reset)
        return app

    async def before_stop(self) -> None:
        self._stopping.set()
        for ws in list(self._sockets):
            await ws.close()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(parse_qsl(body.decode(), keep_blank_values=True))
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        call = Call(method, args, auth.removeprefix("Bearer ") or None, time.monotonic())
        if self.record:
            self.calls.append(call)
            if method == "chat.postMessage":
                for waiter in self._posted_waiters.pop(str(args.get("channel")), []):
                    if not waiter.done():
                        waiter.set_result(None)
        delay = self.delays.get(f"{method} {args.get('channel')}", self.delays.get(method))
        if delay:
            await asyncio.sleep(delay)
        if self.hangs.get(method):
            self.hangs[method] -= 1
            await self._stopping.wait()
            raise web.HTTPServiceUnavailable()  # (the caller gave up long ago)
        queued = self.refusals.get(method)
        refusal = queued.pop(0) if queued else None
        tier = self.tiers.get(method)
        wait = tier.retry_after(str(args.get("channel", "")), time.monotonic()) if tier and not refusal else 0
        if wait:
            refusal = Refusal(429, retry_after=str(wait))
            self.limited.append(call)
        if refusal is not None and refusal.cut and request.transport is not None:
            call.result = {"ok": False, "error": "(connection cut)"}
            request.transport.abort()
            raise web.HTTPServiceUnavailable()  # (written to no one)
        if refusal is not None:
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after is not None else {}
            error = refusal.error or ("ratelimited" if refusal.status == 429 else "service_unavailable")
            call.result = {"ok": False, "error": error}
            return web.json_response(call.result, status=refusal.status, headers=headers)
        call.result = self._answer(method, args)
        return web.json_response(call.result)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method.startswith("chat.") and str(args.get("channel")) in self.shut:
            return {"ok": False, "error": self.shut[str(args.get("channel"))]}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            too_big = oversized(args)
            if too_big:
                return {"ok": False, "error": too_big}
        if method == "auth.test":
            return self._auth_test()
        if method == "bots.info":
            bot_user = ORG_BOT_USER if self.grid == "org" else BOT_USER
            return {"ok": True, "bot": {"id": BOT_ID, "app_id": APP, "user_id": bot_user, "name": "decisionbot"}}
        if method == "chat.postMessage":
            if (str(args.get("channel")), str(args.get("thread_ts"))) in self.removed:
                return {"ok": False, "error": "thread_not_found"}
            ts = self._next_ts()
            message = {"text": args.get("text"), "ts": ts, "thread_ts": args.get("thread_ts")}
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")}
        if method == "chat.delete":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.getPermalink":  # (a thread's root: the link opens its thread)
            link = (
                f"https://fake.slack.com/archives/{args.get('channel')}/p{str(args.get('message_ts')).replace('.', '')}"
            )
            return {"ok": True, "channel": args.get("channel"), "permalink": link}
        if method == "conversations.open":
            if any(self.users.get(u, {}).get("deleted") for u in str(args.get("users", "")).split(",")):
                return {"ok": False, "error": "user_disabled"}
            if any(self.users.get(u, {}).get("is_bot") for u in str(args.get("users", "")).split(",")):
                return {"ok": False, "error": "cannot_dm_bot"}
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).split(",")[0]}}
        if method == "conversations.info":  # the bot a member unless shut out, as shut_out says
            error = self.shut.get(str(args.get("channel")))
            if error == "channel_not_found":
                return {"ok": False, "error": error}
            info = {"id": args.get("channel"), "is_archived": error == "is_archived", "is_member": error is None}
            return {"ok": True, "channel": {**info, **self.channels.get(str(args.get("channel")), {})}}
        if method == "conversations.members":
            return self._members(args)
        if method == "users.info":
            self.asked_about.add(str(args.get("user")))
            user = self.users.get(str(args.get("user")))
            if user is None:
                user = {"id": args.get("user"), "name": str(args.get("user")).lower(), "tz": "UTC", "profile": {}}
            return {"ok": True, "user": user}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            self.files[file_id] = {"filename": args.get("filename"), "length": int(args.get("length") or 0)}
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/_upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            shared = json.loads(args["files"]) if isinstance(args.get("files"), str) else args.get("files") or []
            found = []
            for f in shared:
                stored = self.files.get(f["id"])
                if stored is None or "content" not in stored:
                    return {"ok": False, "error": "file_not_found"}
                stored.update(title=f.get("title"), channel=args.get("channel_id"), thread_ts=args.get("thread_ts"))
                found.append({"id": f["id"], "name": stored["filename"], "title": f.get("title")})
            return {"ok": True, "files": found}
        if method == "views.open":
            refused = modal_refused(args)
            if refused is not None:
                return {"ok": False, "error": refused}
            view = json.loads(args["view"]) if isinstance(args["view"], str) else args["view"]
            number = next(self._ts)
            return {
                "ok": True,
                "view": {**view, "id": f"VM{number:06d}", "hash": f"{number}.hash", "state": {"values": {}}},
            }
        if method == "views.publish":
            refused = view_refused(args)
            if refused is not None:
                return {"ok": False, "error": refused}
            view = json.loads(args["view"]) if isinstance(args["view"], str) else args["view"]
            return {"ok": True, "view": {**view, "id": f"VH{args['user_id']}"}}
        if method == "apps.connections.open":
            ticket = f"t-{next(self._ts)}"
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.socket_app}"}
        return {"ok": False, "error": "unknown_method"}

    def _members(self, args: dict[str, Any]) -> dict[str, Any]:
        """A page of a channel's members (its ``cursor``: where the page starts), as Slack pages them."""
        channel = str(args.get("channel"))
        if self.shut.get(channel) == "channel_not_found":
            return {"ok": False, "error": "channel_not_found"}
        everyone = self.members.get(channel)
        if everyone is None:
            everyone = sorted({*self.users, *self.asked_about, BOT_USER})
        start = int(args.get("cursor") or 0)
        size = self.page_size or int(args.get("limit") or 100)
        nxt = str(start + size) if start + size < len(everyone) else ""
        return {"ok": True, "members": everyone[start : start + size], "response_metadata": {"next_cursor": nxt}}

    def _auth_test(self) -> dict[str, Any]:
        found = {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": self.bot_name,
                 "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}  # fmt: skip
        if self.grid == "workspace":
            found.update(enterprise_id=ORG, is_enterprise_install=False)
        elif self.grid == "org":
            found.update(url="https://acme.enterprise.slack.com/", team="Acme", team_id=ORG, user_id=ORG_BOT_USER)
            found.update(enterprise_id=ORG, is_enterprise_install=True)
        return found

    async def _link(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_websockets:
            return web.Response(status=403, text="websockets are not allowed here")
        ticket = request.query.get("ticket", "")
        if ticket in self.tickets_spent:
            return web.Response(status=401, text="this ticket was used: ask apps.connections.open for another")
        self.tickets_spent.add(ticket)
        if self.fail_upgrades:
            self.fail_upgrades -= 1
            return web.Response(status=503, text="try again")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections += 1
        hello = {"type": "hello", "num_connections": len(self._sockets), "connection_info": {"app_id": self.socket_app}}
        await ws.send_str(json.dumps(hello))
        for message in self.after_hello:
            await ws.send_str(json.dumps(message))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(msg.data))
        finally:
            self._sockets.remove(ws)
        return ws

    async def _upload(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        body = await request.read()
        if stored is None or len(body) != stored["length"]:
            return web.Response(status=400, text="bad upload")
        stored["content"] = body
        return web.Response(text=f"OK - {len(body)}")

    async def _calls(self, request: web.Request) -> web.Response:
        return web.json_response([c.to_dict() for c in self.calls])

    async def _posted(self, request: web.Request) -> web.Response:
        """``GET /_posted?channel=C&after=T``: once a message was posted to C after T (``time.monotonic()``),
        or 408 after 10 s (for a benchmark's person who answers what the bot asked them, once asked)."""
        channel, after = request.query["channel"], float(request.query["after"])
        while not any(c.method == "chat.postMessage" and c.args.get("channel") == channel and c.at > after
                      for c in reversed(self.calls)):  # fmt: skip
            waiter = asyncio.get_running_loop().create_future()
            self._posted_waiters.setdefault(channel, []).append(waiter)
            try:
                await asyncio.wait_for(waiter, 10.0)
            except TimeoutError:
                return web.json_response({"ok": False}, status=408)
        return web.json_response({"ok": True})

    async def _reset(self, request: web.Request) -> web.Response:
        self.calls.clear()
        return web.json_response({"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Slack Web API on 127.0.0.1 (for benchmarks).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slow", action="append", default=[], metavar="METHOD=SECONDS",
                        help="answer every call of METHOD SECONDS late (slow_down)")  # fmt: skip
    parser.add_argument("--tiers", action="store_true", help="rate-limit calls as Slack does (slack_tiers)")
    parser.add_argument("--grid", choices=["", "workspace", "org"], default="",
                        help="the bot token installed in a workspace of an Enterprise Grid, or org-wide")  # fmt: skip
    args = parser.parse_args()
    fake = FakeSlack(port=args.port, grid=args.grid)
    if args.tiers:
        fake.slack_tiers()
    for item in args.slow:
        method, _, seconds = item.partition("=")
        fake.slow_down(method, float(seconds))
    web.run_app(fake.app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
