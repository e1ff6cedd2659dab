"""The Teams path over HTTP: activities through ``POST /api/messages``, replies to a fake Bot Connector.

K conversations (a Teams channel each, with a facilitator and an action owner) run post_meeting
over and over, as people would: start by @mentioning the bot in the channel, answer in the thread
the bot opens (text, an @mention, a date, 'done'), the owner accepts in a personal chat, the
facilitator takes the default review date. Eight turns a run, each one activity shaped as Teams
sends it (authentication off, recipe A); every turn is committed before its 201. Before answering
in the thread a conversation waits for the bot's first message there (it must know the thread).

Three processes besides this one: the fake Bot Connector (tests/fakes/bot_connector.py), the
server under test, and the load generator (each conversation waits for the acknowledgement of its
previous turn before sending the next). Figures per target:
- at R turns/s offered (open loop, each conversation on its own schedule): p50/p99 of the
  acknowledgement latency and of the time until the turn's reply reaches the fake connector;
- at saturation (closed loop): acknowledged turns/s, and the same latencies.
Targets: ``bot`` (decisionbot serve, Teams channel on) and ``floor`` (a bare aiohttp handler:
parse the activity, insert one row and commit, answer 201, post one reply to the fake connector
with a raw aiohttp call). Medians over rounds; ratio bot/floor.

    python bench/bench_teams.py [--conversations 100] [--rate 500] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]


BOT = {"id": "28:bench-bot", "name": "Bench"}
TENANT = "bench-tenant"
_ids = itertools.count(1_800_000_000_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the servers under test ----------------------------------------------------------------------


def serve_bot(port: int, db: str) -> None:
    import logging

    from aiohttp import web

    from bot.server import create_app

    logging.basicConfig(level=logging.ERROR)
    app = create_app(db, ROOT / "flows", env={"DECISIONBOT_TEAMS": "on"})
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_floor(port: int, db: str) -> None:
    from aiohttp import ClientSession, TCPConnector, web

    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS activities (id INTEGER PRIMARY KEY, activity_id TEXT, body TEXT, at REAL)")
    tasks: set[asyncio.Task[Any]] = set()

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        activity = json.loads(body)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO activities (activity_id, body, at) VALUES (?, ?, ?)", (activity["id"], body, time.time())
        )
        conn.execute("COMMIT")
        conv = activity["conversation"]["id"]
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conv, safe='')}/activities/{activity['id']}"
        )
        reply = {"type": "message", "from": activity["recipient"], "conversation": {"id": conv}, "text": "ok"}
        task = asyncio.ensure_future(request.app["http"].post(url, json=reply))
        tasks.add(task)
        task.add_done_callback(lambda t: (tasks.discard(t), t.result().release() if not t.exception() else None))
        return web.Response(status=201)

    async def session(app: web.Application) -> Any:
        app["http"] = ClientSession(connector=TCPConnector(limit=200, limit_per_host=100))
        yield
        await app["http"].close()

    app = web.Application()
    app.router.add_post("/api/messages", handler)
    app.cleanup_ctx.append(session)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- the load generator --------------------------------------------------------------------------


def activity(
    service_url: str, sender: dict[str, str], conv: dict[str, Any], text: str, people: list[dict[str, str]]
) -> dict[str, Any]:
    tags = [BOT, *people]
    entities = [{"type": "mention", "mentioned": p, "text": f"<at>{p['name']}</at>"} for p in tags]
    personal = conv["conversationType"] == "personal"
    return {
        "type": "message",
        "id": str(next(_ids)),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": BOT,
        "conversation": conv,
        "text": text if personal else f"<at>{BOT['name']}</at> {text}",
        "textFormat": "plain",
        "entities": [] if personal else entities,
        "channelData": {
            "tenant": {"id": TENANT},
            **({} if personal else {"channel": {"id": conv["id"].split(";")[0]}}),
        },
    }


class Conversation:
    """Conversation k: channel 19:bench-k, facilitator 29:f<k>, owner 29:o<k> (personal chat
    a:chat-with-29:o<k>, the id the fake connector gives the chat the bot creates)."""

    TURNS = 8

    def __init__(self, k: int, target: str, service_url: str):
        self.k, self.target, self.service_url = k, target, service_url
        self.channel = f"19:bench-{k}@thread.tacv2"
        self.facilitator = {"id": f"29:f{k}", "name": f"Facilitator {k}"}
        self.owner = {"id": f"29:o{k}", "name": f"Owner {k}"}
        self.run = 0
        self.turn = 0
        self.thread: str | None = None
        self.sent: list[tuple[str, float, float, bool]] = []  # reply key, sent, acked, measured

    def next_activity(self) -> tuple[dict[str, Any], str | None]:
        """The turn's activity, and the conversation its reply goes to (None: the new thread)."""
        i, chat = self.turn, f"a:chat-with-{self.owner['id']}"
        dm_turn = 5 if self.target == "bot" else 6  # the bot DMs the owner after 'done'; the floor answers the DM
        key = chat if i == dm_turn else self.thread
        if i == 0:
            post = str(next(_ids))
            conv = {"id": f"{self.channel};messageid={post}", "conversationType": "channel", "isGroup": True}
            text = f"start post_meeting <at>{self.owner['name']}</at> Bench {self.k}-{self.run}"
            return activity(self.service_url, self.facilitator, conv, text, [self.owner]), None
        if i == 6:
            conv = {"id": chat, "conversationType": "personal"}
            return activity(self.service_url, self.owner, conv, "yes", []), key
        texts = [
            "",
            "We decide to ship",
            f"Draft plan {self.k}",
            f"<at>{self.owner['name']}</at>",
            "2030-01-15",
            "done",
        ]
        texts.extend(["", "ok"])
        conv = {"id": self.thread, "conversationType": "channel", "isGroup": True}
        people = [self.owner] if i == 3 else []
        return activity(self.service_url, self.facilitator, conv, texts[i], people), key

    def advance(self) -> None:
        self.turn += 1
        if self.turn == self.TURNS:
            self.turn, self.run = 0, self.run + 1


async def send(session: Any, url: str, api: str, conv: Conversation, measured: bool) -> None:
    body, key = conv.next_activity()
    sent = time.monotonic()
    async with session.post(url, json=body) as resp:
        await resp.read()
        if resp.status != 201:
            raise RuntimeError(f"HTTP {resp.status} for turn {conv.turn} of conversation {conv.k}")
    acked = time.monotonic()
    if conv.turn == 0:  # answers go in the thread the first reply opens
        old = (conv.thread or "").partition(";messageid=")[2]
        async with session.get(f"{api}/_thread", params={"channel": conv.channel, "not": old}) as resp:
            root = (await resp.json())["root"]
        if root is None:
            raise RuntimeError(f"no thread opened in {conv.channel}")
        conv.thread = key = f"{conv.channel};messageid={root}"
    conv.sent.append((key or "", sent, acked, measured))
    conv.advance()


async def drive(
    session: Any,
    url: str,
    api: str,
    conv: Conversation,
    until: float,
    period: float | None,
    offset: float,
    measured: bool,
) -> None:
    start = time.monotonic() + offset
    j = 0
    while True:
        due = start + j * period if period else time.monotonic()
        if due >= until:
            return
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(session, url, api, conv, measured)
        j += 1


async def posted(session: Any, api: str) -> list[dict[str, Any]]:
    async with session.get(f"{api}/_calls") as resp:
        return [c for c in await resp.json() if c["posted"]]


async def wait_replies(session: Any, api: str, expected: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        calls = await posted(session, api)
        if len(calls) >= expected or time.monotonic() > deadline:
            return calls
        await asyncio.sleep(0.1)


def latencies(convs: list[Conversation], calls: list[dict[str, Any]]) -> tuple[list[float], list[float], int]:
    arrivals: dict[str, list[float]] = {}
    for call in calls:
        arrivals.setdefault(call["conversation"], []).append(call["at"])
    acks, replies, missing = [], [], 0
    for conv in convs:
        seen: dict[str, int] = {}
        for key, sent, acked, measured in conv.sent:
            n = seen.get(key, 0)
            seen[key] = n + 1
            if not measured:
                continue
            acks.append(acked - sent)
            got = arrivals.get(key, [])
            if n < len(got):
                replies.append(got[n] - sent)
            else:
                missing += 1
                if os.environ.get("BENCH_DEBUG"):
                    print(
                        "missing",
                        conv.k,
                        key,
                        n,
                        len(got),
                        [(k2, round(s2, 3)) for k2, s2, _, _ in conv.sent][-10:],
                        file=sys.stderr,
                    )
    return acks, replies, missing


async def load(
    port: int, api_port: int, target: str, conversations: int, rate: float, seconds: float
) -> dict[str, Any]:
    from aiohttp import ClientSession, TCPConnector

    url, api = f"http://127.0.0.1:{port}/api/messages", f"http://127.0.0.1:{api_port}"
    out: dict[str, Any] = {}
    async with ClientSession(connector=TCPConnector(limit=2 * conversations + 10)) as session:
        convs = [Conversation(k, target, api + "/") for k in range(conversations)]
        for _ in range(Conversation.TURNS):  # warm-up: one whole run each (references, personal chats, caches)
            await asyncio.gather(*(send(session, url, api, c, False) for c in convs))
        await wait_replies(session, api, Conversation.TURNS * conversations)
        for mode, period in (("offered", conversations / rate), ("saturation", None)):
            for conv in convs:
                conv.sent = []
            await session.post(f"{api}/_reset")
            began = time.monotonic()
            until = began + seconds
            await asyncio.gather(*(drive(session, url, api, c, until, period, k * (period or 0) / conversations, True)
                                   for k, c in enumerate(convs)))  # fmt: skip
            elapsed = time.monotonic() - began
            total = sum(len(c.sent) for c in convs)
            calls = await wait_replies(session, api, total)
            acks, replies, missing = latencies(convs, calls)
            out[mode] = {
                "turns_per_s": total / elapsed,
                "ack_p50_ms": percentile(acks, 0.5) * 1000,
                "ack_p99_ms": percentile(acks, 0.99) * 1000,
                "reply_p50_ms": percentile(replies, 0.5) * 1000,
                "reply_p99_ms": percentile(replies, 0.99) * 1000,
                "missing_replies": missing,
            }
    return out


# --- orchestration -------------------------------------------------------------------------------


def one_round(target: str, args: argparse.Namespace) -> dict[str, Any]:
    api_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        fake = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.bot_connector", "--port", str(api_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        server = subprocess.Popen(
            [sys.executable, __file__, "--role", target, "--port", str(port), "--db", f"{tmp}/bench.db"], cwd=ROOT
        )
        try:
            wait_port(api_port)
            wait_port(port)
            result = subprocess.run(
                [sys.executable, __file__, "--role", "load", "--target", target, "--port", str(port),
                 "--api-port", str(api_port), "--conversations", str(args.conversations), "--rate", str(args.rate),
                 "--seconds", str(args.seconds)],  # fmt: skip
                cwd=ROOT, capture_output=True, check=True, timeout=args.seconds * 4 + 180,
            )  # fmt: skip
            return json.loads(result.stdout)
        finally:
            for proc in (server, fake):
                proc.terminate()
                proc.wait(timeout=10)


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    def med(target: str, mode: str, key: str) -> float:
        return statistics.median(r[mode][key] for r in results[target])

    print(f"\nTeams path, {args.conversations} conversations, medians of {args.rounds} rounds of {args.seconds:g} s")
    print(f"{'':8} | {'at ' + format(args.rate, 'g') + ' turns/s offered':^42} | {'saturation (closed loop)':^52}")
    head = "ack p50 / p99 ms   reply p50 / p99 ms"
    print(f"{'target':8} | {'turns/s':>7}  {head} | {'turns/s':>7}  {head}  missing")
    for target in results:
        row = [target.ljust(8), "|"]
        for mode in ("offered", "saturation"):
            row.append(f"{med(target, mode, 'turns_per_s'):7.0f}")
            row.append(f"{med(target, mode, 'ack_p50_ms'):6.2f} / {med(target, mode, 'ack_p99_ms'):6.2f}")
            row.append(f"{med(target, mode, 'reply_p50_ms'):8.2f} / {med(target, mode, 'reply_p99_ms'):7.2f}")
            row.append("|")
        missing = sum(r[m]["missing_replies"] for r in results[target] for m in ("offered", "saturation"))
        print(" ".join(row[:-1]), f" {missing}")
    if "bot" in results and "floor" in results:
        ratio = med("bot", "saturation", "turns_per_s") / med("floor", "saturation", "turns_per_s")
        print(f"bot/floor acknowledged turns/s at saturation: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", default="main", choices=["main", "bot", "floor", "load"])
    parser.add_argument("--target", default="bot")
    parser.add_argument("--port", type=int)
    parser.add_argument("--api-port", type=int)
    parser.add_argument("--db")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--targets", default="floor,bot")
    args = parser.parse_args()
    if args.role == "bot":
        serve_bot(args.port, args.db)
    elif args.role == "floor":
        serve_floor(args.port, args.db)
    elif args.role == "load":
        figures = asyncio.run(load(args.port, args.api_port, args.target, args.conversations, args.rate, args.seconds))
        print(json.dumps(figures))
    else:
        results: dict[str, list[dict[str, Any]]] = {t: [] for t in args.targets.split(",")}
        for n in range(args.rounds):
            for target in results:
                results[target].append(one_round(target, args))
                print(f"round {n + 1} {target}: {json.dumps(results[target][-1])}", flush=True)
        report(results, args)


if __name__ == "__main__":
    main()
