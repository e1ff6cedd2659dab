"""A small fake of the Bot Connector service on 127.0.0.1, recording every call.

It answers what the bot uses, as the Teams connector does: ``POST /v3/conversations`` (a personal
chat with ``members[0]``, or a new thread in ``channelData.channel.id``), ``POST
/v3/conversations/{id}/activities[/{activityId}]`` (201 ``{"id": ...}``), ``PUT
.../activities/{activityId}`` and ``GET .../members/{memberId}``. It can be told to refuse the
next calls (a status and a ``Retry-After``), the next calls of one method (``refuse``), or every
call in one conversation (``refused_in``: the bot removed from it). Like Teams, it refuses an activity over 100 KB (its
JSON, counted as UTF-16) with 413 ``MessageSizeTooBig``.

:class:`OpenIdServer` serves OpenID metadata and a JWKS with one RSA signing key from a thread
of its own (botbuilder fetches keys with a blocking ``requests.get`` on the event loop, so a
server on the same loop would deadlock), and signs tokens with that key (recipe B).

Also a process of its own for benchmarks: ``python -m tests.fakes.bot_connector --port P``, with
``GET /_calls`` (the calls so far, with their arrival times) and ``POST /_reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.loopback import LoopbackServer, QuietJsonHandler

ISSUER = "https://api.botframework.com"
#: Teams refuses a bot's activity above this size (its JSON as UTF-16) with 413 MessageSizeTooBig.
ACTIVITY_LIMIT = 100 * 1024

#: The JSON body a handler read, for the handler that answers.
BODY = web.RequestKey("body", object)


@dataclass
class Call:
    method: str  # send, reply, update, create, member
    conversation: str | None
    activity_id: str | None
    body: dict[str, Any] | None
    authorization: str | None
    at: float  # time.monotonic() on arrival: comparable across processes on one machine
    answer_id: str | None = None
    posted: bool = False  # an activity was posted (not a bare personal chat creation)

    @property
    def activity(self) -> dict[str, Any]:
        """The activity posted: the body, or a new thread's first message."""
        body = self.body or {}
        return dict((body.get("activity") if self.method == "create" else body) or {})

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return dict(attachment["content"])
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "conversation": self.conversation,
            "at": self.at,
            "id": self.answer_id,
            "posted": self.posted,
        }


@dataclass
class FakeConnector(LoopbackServer):
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # by any id: 29:..., AAD id
    calls: list[Call] = field(default_factory=list)
    refusals: list[tuple[int, str | None]] = field(default_factory=list)  # (status, Retry-After)
    refusals_of: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)  # by method: "update"
    refused_in: dict[str, int] = field(default_factory=dict)  # conversation -> the status every call there gets
    port: int = 0
    record_bodies: bool = True

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self.runner: web.AppRunner | None = None
        self.threads: dict[str, str] = {}  # channel -> the newest thread root posted into
        self._thread_seen = asyncio.Condition()
        self._roots: dict[str, set[str]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conv}/activities", self._send)
        app.router.add_post("/v3/conversations/{conv}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{conv}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{conv}/members/{mid}", self._member)
        app.router.add_get("/_calls", self._calls)
        app.router.add_get("/_thread", self._thread)
        app.router.add_post("/_reset", self._reset)
        return app

    def refuse(self, method: str, *statuses: int) -> None:
        """The next calls of ``method`` (send, reply, create, update, member) are refused with
        ``statuses``, in order; other calls are answered as usual."""
        self.refusals_of.setdefault(method, []).extend((status, None) for status in statuses)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self) -> list[Call]:
        """Every activity the bot posted (new threads, sends and replies), in order."""
        return [c for c in self.calls if c.method in ("send", "reply") or (c.method == "create" and c.activity)]

    async def _record(self, request: web.Request, method: str) -> tuple[Call, web.Response | None]:
        body = await request.json() if request.can_read_body else None
        request[BODY] = body
        call = Call(
            method,
            request.match_info.get("conv"),
            request.match_info.get("aid") or request.match_info.get("mid"),
            body if self.record_bodies else None,
            request.headers.get("Authorization"),
            time.monotonic(),
        )
        self.calls.append(call)
        if call.conversation in self.refused_in:  # the bot removed from it: every call there refused
            error = {"error": {"code": "BotNotInConversationRoster", "message": "The bot is not in the roster."}}
            return call, web.json_response(error, status=self.refused_in[call.conversation])
        queue = self.refusals_of.get(method) or self.refusals
        if queue:
            status, retry_after = queue.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            error = {"error": {"code": "Refused", "message": f"refused with {status}"}}
            return call, web.json_response(error, status=status, headers=headers)
        if body is not None and method in ("send", "reply", "create", "update"):
            size = len(json.dumps(body, ensure_ascii=False).encode("utf-16-le"))
            if size > ACTIVITY_LIMIT:
                error = {"error": {"code": "MessageSizeTooBig", "message": f"Message size too big ({size} bytes)"}}
                return call, web.json_response(error, status=413)
        return call, None

    async def _send(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "reply" if "aid" in request.match_info else "send")
        if refused is not None:
            return refused
        call.answer_id, call.posted = str(next(self._ids)), True
        await self._saw_thread(call.conversation or "")
        return web.json_response({"id": call.answer_id}, status=201)

    async def _saw_thread(self, conversation: str) -> None:
        channel, sep, root = conversation.partition(";messageid=")
        roots = self._roots.setdefault(channel, set())
        if sep and root not in roots:  # a new thread; a late post into an older one changes nothing
            roots.add(root)
            async with self._thread_seen:
                self.threads[channel] = root
                self._thread_seen.notify_all()

    async def _thread(self, request: web.Request) -> web.Response:
        """Long poll: the newest thread posted into ``channel`` once it is not ``not``."""
        channel, old = request.query["channel"], request.query.get("not")
        async with self._thread_seen:
            try:
                await asyncio.wait_for(
                    self._thread_seen.wait_for(lambda: self.threads.get(channel) not in (None, old)), 30
                )
            except TimeoutError:
                return web.json_response({"root": None}, status=408)
        return web.json_response({"root": self.threads[channel]})

    async def _update(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "update")
        return refused or web.json_response({"id": call.activity_id}, status=200)

    async def _create(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "create")
        if refused is not None:
            return refused
        body = request[BODY] or {}
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if body.get("isGroup") and channel:
            root = str(next(self._ids))
            call.conversation, call.answer_id, call.posted = f"{channel};messageid={root}", root, True
            await self._saw_thread(call.conversation)
            return web.json_response({"id": call.conversation, "activityId": root}, status=201)
        member = (body.get("members") or [{}])[0].get("id")
        call.conversation = f"a:chat-with-{member}"
        return web.json_response({"id": call.conversation}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "member")
        if refused is not None:
            return refused
        found = self.members.get(call.activity_id or "")
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(found)

    async def _calls(self, request: web.Request) -> web.Response:
        return web.json_response([c.to_dict() for c in self.calls])

    async def _reset(self, request: web.Request) -> web.Response:
        self.calls.clear()
        return web.json_response({"ok": True})


# --- OpenID metadata, signing keys and tokens (recipe B) ---------------------------------------


class OpenIdServer:
    """OpenID metadata + JWKS on 127.0.0.1 from a thread; signs Bot Framework tokens."""

    def __init__(self, kid: str = "k1", endorsements: tuple[str, ...] = ("msteams",)):
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=kid, use="sig", endorsements=list(endorsements))
        self.jwks = {"keys": [jwk]}
        self.fetches = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/openid"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(QuietJsonHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.fetches += 1
                if self.path == "/openid":
                    data: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"http://127.0.0.1:{server.port}/keys"}
                else:
                    data = server.jwks
                self.send_json(200, data)

        return Handler

    def __enter__(self) -> OpenIdServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def token(self, audience: str, service_url: str, issuer: str = ISSUER, kid: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "serviceurl": service_url, "nbf": now - 10, "exp": now + 3600}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid or self.kid})


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Bot Connector on 127.0.0.1, for benchmarks.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    async def serve() -> None:
        fake = FakeConnector(record_bodies=False)
        await fake.start(args.port)
        print(f"listening on {fake.port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
