"""The Slack path over HTTP: signed events through ``POST /slack/events``, replies to a fake Web API.

K conversations (a channel each, with a facilitator and an action owner) run post_meeting over
and over, as people would: start by mentioning the bot, answer in the thread (text, an @mention,
a date, 'done'), the owner accepts by direct message, the facilitator takes the default review
date. Eight turns a run, each one signed request; every turn is committed before its 200.

Three processes besides this one: the fake Web API (tests/fakes/slack_api.py), the server under
test, and the load generator (each conversation waits for the acknowledgement of its previous
turn before sending the next). Figures per target:
- at R turns/s offered (open loop, each conversation on its own schedule): p50/p99 of the
  acknowledgement latency and of the time until the turn's reply reaches the fake API;
- at saturation (closed loop): acknowledged turns/s, and the same latencies.
Targets: ``bot`` (decisionbot serve, Slack channel on, pacing per channel off: the load sends
~5 messages/s into each channel, beyond Slack's own limit, and the floor does not pace either)
and ``floor`` (a bare aiohttp handler: verify the signature, insert one row and commit, answer
200, post one reply with a raw aiohttp call). Medians over rounds; ratio bot/floor.

    python bench/bench_slack.py [--conversations 100] [--rate 500] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
TEAM, APP, BOT_USER = "T111", "A111", "UBOT"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the servers under test ----------------------------------------------------------------------


def serve_bot(port: int, api_port: int, db: str) -> None:
    import logging
    from collections.abc import AsyncIterator

    from aiohttp import web

    from bot.channels.slack_send import Pacer
    from bot.server import CHANNELS, create_app

    logging.basicConfig(level=logging.ERROR)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/",
    }
    app = create_app(db, ROOT / "flows", env=env)

    async def no_pacing(app: web.Application) -> AsyncIterator[None]:
        app[CHANNELS]["slack"].poster.pacer = Pacer(interval=0.0)
        yield

    app.cleanup_ctx.append(no_pacing)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_floor(port: int, api_port: int, db: str) -> None:
    from aiohttp import ClientSession, TCPConnector, web
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SECRET)
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, event_id TEXT, body TEXT, at REAL)")
    url = f"http://127.0.0.1:{api_port}/api/chat.postMessage"
    tasks: set[asyncio.Task[Any]] = set()

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        if not verifier.is_valid(
            body, request.headers.get("X-Slack-Request-Timestamp"), request.headers.get("X-Slack-Signature")
        ):
            return web.json_response({"error": "invalid signature"}, status=401)
        data = json.loads(body)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO events (event_id, body, at) VALUES (?, ?, ?)", (data["event_id"], body, time.time()))
        conn.execute("COMMIT")
        event = data["event"]
        thread = event.get("thread_ts") or (None if event["channel"].startswith("D") else event["ts"])
        reply = {"channel": event["channel"], "text": "ok", **({"thread_ts": thread} if thread else {})}
        task = asyncio.ensure_future(request.app["http"].post(url, json=reply, headers={"Authorization": "Bearer x"}))
        tasks.add(task)
        task.add_done_callback(lambda t: (tasks.discard(t), t.result().release() if not t.exception() else None))
        return web.Response(status=200)

    async def session(app: web.Application) -> Any:
        app["http"] = ClientSession(connector=TCPConnector(limit=200, limit_per_host=100))
        yield
        await app["http"].close()

    app = web.Application()
    app.router.add_post("/slack/events", handler)
    app.cleanup_ctx.append(session)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- the load generator --------------------------------------------------------------------------


class Conversation:
    """Conversation k: channel C<k>, facilitator UF<k>, owner UO<k> (direct messages in DUO<k>)."""

    TURNS = 8

    def __init__(self, k: int, target: str):
        self.k, self.target = k, target
        self.run = 0
        self.turn = 0
        self.sent: list[tuple[tuple[str, str | None], float, float, bool]] = []  # key, sent, acked, measured

    def thread(self) -> str:
        return f"{1800000000 + self.run}.{self.k:06d}"

    def event(self) -> tuple[dict[str, Any], tuple[str, str | None]]:
        k, i, thread = self.k, self.turn, self.thread()
        channel, owner = f"C{k}", f"UO{k}"
        ts = f"{1900000000 + self.run * 10 + i}.{k:06d}"
        texts = ["", "We decide to ship", f"Draft plan {k}", f"<@{owner}>", "2030-01-15", "done", "yes", "ok"]
        if i == 0:
            text = f"<@{BOT_USER}> start post_meeting <@{owner}> Bench {k}-{self.run}"
            event = {"type": "app_mention", "user": f"UF{k}", "text": text, "channel": channel, "ts": thread}
        elif i == 6:
            event = {
                "type": "message",
                "channel_type": "im",
                "user": owner,
                "text": "yes",
                "channel": f"D{owner}",
                "ts": ts,
            }
        else:
            event = {"type": "message", "channel_type": "channel", "user": f"UF{k}", "text": texts[i],
                     "channel": channel, "ts": ts, "thread_ts": thread}  # fmt: skip
        dm_turn = 5 if self.target == "bot" else 6  # the bot DMs the owner after 'done'; the floor answers the DM
        key = (f"D{owner}", None) if i == dm_turn else (channel, thread)
        return event, key

    def advance(self) -> None:
        self.turn += 1
        if self.turn == self.TURNS:
            self.turn, self.run = 0, self.run + 1


async def send(session: Any, url: str, conv: Conversation, measured: bool, counter: list[int]) -> None:
    from slack_sdk.signature import SignatureVerifier

    event, key = conv.event()
    counter[0] += 1
    body = json.dumps({"token": "x", "team_id": TEAM, "api_app_id": APP, "type": "event_callback", "event": event,
                       "event_id": f"Ev{conv.k}-{counter[0]}", "event_time": int(time.time())}).encode()  # fmt: skip
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}  # fmt: skip
    sent = time.monotonic()
    async with session.post(url, data=body, headers=headers) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status} for turn {conv.turn} of conversation {conv.k}")
    conv.sent.append((key, sent, time.monotonic(), measured))
    conv.advance()


async def drive(session: Any, url: str, conv: Conversation, until: float, period: float | None, offset: float,
                measured: bool, counter: list[int]) -> None:  # fmt: skip
    start = time.monotonic() + offset
    j = 0
    while True:
        due = start + j * period if period else time.monotonic()
        if due >= until:
            return
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(session, url, conv, measured, counter)
        j += 1


async def fake_calls(session: Any, api: str) -> list[dict[str, Any]]:
    async with session.get(f"{api}/_calls") as resp:
        return [c for c in await resp.json() if c["method"] == "chat.postMessage"]


async def wait_replies(session: Any, api: str, expected: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        calls = await fake_calls(session, api)
        if len(calls) >= expected or time.monotonic() > deadline:
            return calls
        await asyncio.sleep(0.1)


def latencies(convs: list[Conversation], calls: list[dict[str, Any]]) -> tuple[list[float], list[float], int]:
    arrivals: dict[tuple[str, str | None], list[float]] = {}
    for call in calls:
        args = call["args"]
        arrivals.setdefault((args["channel"], args.get("thread_ts")), []).append(call["at"])
    acks, replies, missing = [], [], 0
    for conv in convs:
        seen: dict[tuple[str, str | None], int] = {}
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
    return acks, replies, missing


async def load(
    port: int, api_port: int, target: str, conversations: int, rate: float, seconds: float
) -> dict[str, Any]:
    from aiohttp import ClientSession, TCPConnector

    url, api = f"http://127.0.0.1:{port}/slack/events", f"http://127.0.0.1:{api_port}"
    out: dict[str, Any] = {}
    async with ClientSession(connector=TCPConnector(limit=conversations + 10)) as session:
        convs = [Conversation(k, target) for k in range(conversations)]
        counter = [0]
        for _ in range(Conversation.TURNS):  # warm-up: one whole run each (names, DM channels, caches)
            await asyncio.gather(*(send(session, url, c, False, counter) for c in convs))
        await wait_replies(session, api, Conversation.TURNS * conversations)
        for mode, period in (("offered", conversations / rate), ("saturation", None)):
            for conv in convs:
                conv.sent = []
            await session.post(f"{api}/_reset")
            began = time.monotonic()
            until = began + seconds
            await asyncio.gather(*(drive(session, url, c, until, period, k * (period or 0) / conversations, True, counter)
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
    out["turns"] = counter[0]
    return out


# --- orchestration -------------------------------------------------------------------------------


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (less sensitive to a busy machine than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def one_round(target: str, args: argparse.Namespace) -> dict[str, Any]:
    api_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.slack_api", "--port", str(api_port)], cwd=ROOT)
        server = spawn("--role", target, "--port", str(port), "--api-port", str(api_port), "--db", f"{tmp}/bench.db")
        try:
            wait_port(api_port)
            wait_port(port)
            cpu_before = cpu_seconds(server.pid)
            result = subprocess.run(
                [sys.executable, __file__, "--role", "load", "--target", target, "--port", str(port),
                 "--api-port", str(api_port), "--conversations", str(args.conversations), "--rate", str(args.rate),
                 "--seconds", str(args.seconds)],  # fmt: skip
                cwd=ROOT, capture_output=True, check=True, timeout=args.seconds * 4 + 180,
            )  # fmt: skip
            figures = json.loads(result.stdout)
            figures["cpu_ms_per_turn"] = (cpu_seconds(server.pid) - cpu_before) * 1000 / figures["turns"]
            return figures
        finally:
            for proc in (server, fake):
                proc.terminate()
                proc.wait(timeout=10)


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    def med(target: str, mode: str, key: str) -> float:
        return statistics.median(r[mode][key] for r in results[target])

    print(f"\nSlack path, {args.conversations} conversations, medians of {args.rounds} rounds of {args.seconds:g} s")
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
    for target in results:
        cpu = statistics.median(r["cpu_ms_per_turn"] for r in results[target])
        print(f"{target}: server CPU {cpu:.2f} ms per turn (all turns of the round, warm-up included)")
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
        serve_bot(args.port, args.api_port, args.db)
    elif args.role == "floor":
        serve_floor(args.port, args.api_port, args.db)
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
