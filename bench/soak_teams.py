"""bench/soak.py's Teams counterpart: a long-running server under many short Teams runs.

The real server (``decisionbot serve``'s app, the Teams channel on with authentication on) takes
activities on ``POST /api/messages``, each with a JWT signed for real by a local OpenID server
(tests/fakes/bot_connector.py's ``OpenIdServer``, its keys fetched by botbuilder as in
tests/test_teams_auth.py), and replies to a fake Bot Connector, with the bearer tokens botbuilder's
credentials (MSAL) get from a fake Azure AD (tests/fakes/login.py). W workers drive post_meeting
runs one after another, each in one of C channels (a channel is one worker's: its runs there never
overlap) with two of P people (a worker's own): the facilitator @mentions the bot with the owner,
answers in the thread the bot opens (the decision and the action typed; the owner, the due date and
'no more' on their cards), the owner accepts in his personal chat (typed, or on the card every other
run) and the facilitator takes the default review date on its card. Every fourth run the action's
answer is edited (Teams' ``messageUpdate``: the bot's note follows). People carry a time zone
(``clientInfo``) and an Azure AD object id.

The fake Bot Connector runs in this process (its posts matched to the workers waiting for them,
and forgotten once read); the samples and slopes are soak.py's: the server's RSS, every dict, set,
list and deque it can reach in the channels, the outbox senders and the services, the module
caches, each ledger table's rows and the ledger's size.

    python bench/soak_teams.py [--runs 3000] [--people 5000] [--channels 2000] [--workers 40] [--every 0]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import faulthandler
import itertools
import os
import signal
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, web  # noqa: E402

from bench.http_harness import free_port, run_bot, wait_port  # noqa: E402
from bench.soak import add_counts, arguments, drive, people_checked, print_slopes  # noqa: E402
from tests.fakes.bot_connector import Call, FakeConnector, OpenIdServer  # noqa: E402
from tests.fakes.login import FakeLogin  # noqa: E402

APP_ID = "11111111-2222-3333-4444-555555555555"
PASSWORD = "soak-secret"
BOT = {"id": f"28:{APP_ID}", "name": "DecisionBot"}
TENANT = "72f988bf-0000-0000-0000-000000000001"
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
CALL = web.RequestKey("call", Call)


# --- the server under test -----------------------------------------------------------------------


def serve_bot(args: argparse.Namespace) -> None:
    from bot.channels import REGISTRY
    from tests.teams_support import LocalKeysTeams

    LocalKeysTeams.openid_url = args.openid  # the signing keys of the local OpenID server
    REGISTRY["teams"] = LocalKeysTeams
    run_bot(args.port, args.db, {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": PASSWORD}, add_counts)


# --- the fake Bot Connector, in this process -----------------------------------------------------


class Posts(FakeConnector):
    """The fake Bot Connector, each activity posted kept by conversation (a new thread's under its
    channel too) until a worker takes it."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.posted: dict[str, list[Call]] = collections.defaultdict(list)
        self.arrived = asyncio.Condition()

    async def _record(self, request: web.Request, method: str) -> tuple[Call, web.Response | None]:
        call, refused = await super()._record(request, method)
        request[CALL] = call
        self.calls.clear()  # nothing reads them here: the fake's memory stays flat
        return call, refused

    async def _send(self, request: web.Request) -> web.Response:
        return await self._kept(request, await super()._send(request))

    async def _create(self, request: web.Request) -> web.Response:
        return await self._kept(request, await super()._create(request))

    async def _kept(self, request: web.Request, resp: web.Response) -> web.Response:
        call = request[CALL]
        if call.posted and call.conversation:
            async with self.arrived:
                self.posted[call.conversation].append(call)
                if call.method == "create":  # a new thread: found by its channel
                    self.posted[call.conversation.split(";")[0]].append(call)
                self.arrived.notify_all()
        return resp

    async def take(self, conversation: str, says: str) -> Call:
        """The first activity posted in ``conversation`` whose text (or card's) holds ``says``."""

        def found() -> Call | None:
            return next((c for c in self.posted.get(conversation, []) if says in said(c)), None)

        try:
            async with self.arrived:
                await asyncio.wait_for(self.arrived.wait_for(lambda: found() is not None), 60)
        except TimeoutError:
            seen = [said(c)[:120] for c in self.posted.get(conversation, [])]
            elsewhere = {k: [c.method for c in v if says in said(c)] for k, v in self.posted.items()}
            elsewhere = {k: v for k, v in elsewhere.items() if v}
            raise RuntimeError(
                f"nothing saying {says!r} in {conversation} within 60 s; there: {seen}; elsewhere: {elsewhere}"
            ) from None
        call = found()
        assert call is not None
        self.posted[conversation].remove(call)
        return call

    def forget(self, *conversations: str) -> None:
        for conversation in conversations:
            self.posted.pop(conversation, None)


def said(call: Call) -> str:
    card = call.card
    return call.text + " ".join(str(b.get("text", "")) for b in (card or {}).get("body", []))


# --- the load ------------------------------------------------------------------------------------


class Worker:
    """Worker w: its runs one after another, in its own channels (index ≡ w mod W) with two people
    of its own; every activity carries a JWT signed anew."""

    def __init__(self, w: int, args: argparse.Namespace, fake: Posts, keys: OpenIdServer, url: str) -> None:
        self.w, self.args, self.fake, self.keys, self.url = w, args, fake, keys, url
        self.ids = itertools.count(1_800_000_000_000 + w * 10_000_000)
        self.turns = 0

    def person(self, index: int) -> dict[str, str]:
        return {
            "id": f"29:soak-{index}",
            "name": f"Person {index}",
            "aadObjectId": f"00000000-0000-0000-0000-{index:012d}",
        }

    def people(self, n: int) -> tuple[dict[str, str], dict[str, str]]:
        per, workers = self.args.people // self.args.workers, self.args.workers
        base = (n * 2) % per
        return self.person(self.w + workers * base), self.person(self.w + workers * ((base + 1) % per))

    def activity(
        self, sender: dict[str, str], conv: dict[str, Any], text: str, *tagged: dict[str, str]
    ) -> dict[str, Any]:
        personal = conv["conversationType"] == "personal"
        tags = [] if personal else [BOT, *tagged]
        zone = ZONES[int(sender["id"].rsplit("-", 1)[1]) % len(ZONES)]
        entities: list[dict[str, Any]] = [{"type": "clientInfo", "locale": "en-US", "timezone": zone}]
        entities += [{"type": "mention", "mentioned": {"id": p["id"], "name": p["name"]},
                      "text": f"<at>{p['name']}</at>"} for p in tags]  # fmt: skip
        data: dict[str, Any] = {"tenant": {"id": TENANT}}
        if not personal:
            channel = conv["id"].split(";")[0]
            data |= {"teamsChannelId": channel, "channel": {"id": channel}, "team": {"id": f"19:team-{self.w}"}}
        return {"type": "message", "id": str(next(self.ids)), "channelId": "msteams", "serviceUrl": self.fake.url,
                "from": sender, "recipient": BOT, "conversation": conv, "locale": "en-US",
                "text": text if personal else f"<at>{BOT['name']}</at> {text}", "textFormat": "plain",
                "entities": entities, "channelData": data}  # fmt: skip

    def submit(self, sender: dict[str, str], card: Call, value: dict[str, str]) -> dict[str, Any]:
        """Teams' Action.Submit on ``card``: the action's data with the inputs, no text."""
        conv_id = card.conversation or ""
        kind = "channel" if ";messageid=" in conv_id else "personal"
        conv = {
            "id": conv_id,
            "conversationType": kind,
            "tenantId": TENANT,
            **({"isGroup": True} if kind == "channel" else {}),
        }
        act = self.activity(sender, conv, "")
        act.pop("text")
        act["value"] = {**(card.card or {})["actions"][0]["data"], **value}
        act["replyToId"] = card.answer_id
        act["channelData"]["source"] = {"name": "message"}
        return act

    async def one_run(self, session: ClientSession, n: int, i: int) -> None:
        """Run ``i`` (the worker's ``n``-th): post_meeting from mention to the default review date."""
        fac, owner = self.people(n)
        channel = f"19:soak-{self.w + self.args.workers * (i // self.args.workers % (self.args.channels // self.args.workers))}@thread.tacv2"
        post = str(next(self.ids))
        conv = {"id": f"{channel};messageid={post}", "conversationType": "channel", "isGroup": True, "tenantId": TENANT}
        start = self.activity(fac, conv, f"start post_meeting <at>{owner['name']}</at> Soak {i}", owner)
        start["id"] = post
        await self.send(session, start)
        first = await self.fake.take(channel, f"What was decided in Soak {i}?")
        thread = first.conversation or ""
        conv = {**conv, "id": thread}
        await self.send(session, self.activity(fac, conv, f"We decide to ship {i}"))
        await self.fake.take(thread, "What is the action?")
        what = self.activity(fac, conv, f"Draft plan {i}")
        await self.send(session, what)
        picker = await self.fake.take(thread, "Who owns")
        if i % 4 == 0:  # edited: kept as first sent, the writer told in the thread
            data = {**what["channelData"], "eventType": "editMessage"}
            await self.send(
                session, {**what, "type": "messageUpdate", "text": what["text"] + " (edited)", "channelData": data}
            )
            await self.fake.take(thread, "I don't read edits")
        await self.send(session, self.submit(fac, picker, {"answer": owner["id"]}))
        due = await self.fake.take(thread, "By when")
        await self.send(session, self.submit(fac, due, {"answer": (date.today() + timedelta(days=30)).isoformat()}))
        more = await self.fake.take(thread, "Action 2")
        await self.send(session, self.submit(fac, more, {"say": "done"}))
        chat = f"a:chat-with-{owner['id']}"
        accept = await self.fake.take(chat, f"from 'Soak {i}'")
        if i % 2:
            await self.send(session, self.submit(owner, accept, {"answer": "yes"}))
        else:
            await self.send(
                session, self.activity(owner, {"id": chat, "conversationType": "personal", "tenantId": TENANT}, "yes")
            )
        review = await self.fake.take(thread, "When should we review")
        await self.send(session, self.submit(fac, review, {"say": "ok"}))
        await self.fake.take(thread, "Decision recorded")
        self.fake.forget(thread, chat)  # (what else was posted there, the bot's notes: nobody waits for it)

    async def send(self, session: ClientSession, activity: dict[str, Any]) -> None:
        self.turns += 1
        headers = {"Authorization": f"Bearer {self.keys.token(APP_ID, self.fake.url)}"}
        for _ in range(20):  # a 503 (the ledger busy, the keys not fetched) is the Bot Framework's retry
            async with session.post(self.url, json=activity, headers=headers) as resp:
                text = await resp.text()
                if resp.status in (200, 201):
                    return
                if resp.status != 503:
                    raise RuntimeError(f"HTTP {resp.status} for {activity['type']} of worker {self.w}: {text[:300]}")
            await asyncio.sleep(0.2)
        raise RuntimeError(f"503 twenty times for {activity['type']} of worker {self.w}")


async def load(args: argparse.Namespace, port: int, pid: int, db: str, keys: OpenIdServer, fake: Posts) -> None:
    url = f"http://127.0.0.1:{port}/api/messages"
    workers = [Worker(w, args, fake, keys, url) for w in range(args.workers)]

    async def run(session: ClientSession, w: int, n: int, i: int) -> None:
        await workers[w].one_run(session, n, i)

    async def between() -> None:  # the fake's memory of threads seen
        fake._roots.clear()

    elapsed, samples = await drive(args, port, pid, db, run, between)
    turns = sum(w.turns for w in workers)
    print(f"\n{args.runs} runs, {turns} activities in {elapsed:.0f} s ({turns / elapsed:.0f}/s)")
    print_slopes(samples)


async def soak(args: argparse.Namespace, tmp: str, keys: OpenIdServer, env: dict[str, str]) -> None:
    fake = Posts(port=args.api_port)
    await fake.start(args.api_port)
    port, db = free_port(), args.keep or f"{tmp}/soak.db"
    command = [
        sys.executable,
        __file__,
        "--role",
        "bot",
        "--port",
        str(port),
        "--db",
        db,
        "--openid",
        keys.metadata_url,
    ]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        await asyncio.to_thread(wait_port, port, 60)
        print(f"soak (Teams): {args.runs} runs, {args.people} people, {args.channels} channels,"
              f" {args.workers} workers; server pid {server.pid}", flush=True)  # fmt: skip
        await load(args, port, server.pid, db, keys, fake)
    finally:
        server.terminate()
        server.wait(timeout=30)
        await fake.stop()


def main() -> None:
    parser = arguments((__doc__ or "").split("\n\n")[0])
    parser.add_argument("--openid", help="(the server's) the local OpenID metadata URL")
    args = parser.parse_args()
    if args.role == "bot":
        serve_bot(args)
        return
    people_checked(parser, args)
    if args.channels % args.workers or args.channels < args.workers:
        parser.error("--channels must be a multiple of --workers")
    args.api_port = free_port()
    faulthandler.register(signal.SIGUSR1)  # kill -USR1: where each thread is
    with tempfile.TemporaryDirectory() as tmp, OpenIdServer() as keys, FakeLogin(Path(tmp), keys) as login:
        asyncio.run(soak(args, tmp, keys, login.env()))


if __name__ == "__main__":
    main()
