"""What the HTTP benchmarks (bench_slack.py, bench_teams.py) share: processes, load loops, figures, table.

Each benchmark keeps its own request shape (how a turn is built and signed), its floor handler and
its bot-server configuration, and hands them to this module as a :class:`Bench`. This module
provides:

- ports and processes: :func:`free_port`, :func:`wait_port`, :func:`cpu_seconds`, and
  :func:`one_round`, which starts the fake platform API, the server under test and the load
  process, and collects the load process's figures (plus server CPU per turn if asked);
- the servers under test: :func:`run_bot` (``decisionbot serve`` with a given environment; with
  ``BENCH_PROFILE=FILE`` set, the server runs under cProfile and writes its stats
  there when it stops) and
  :class:`Floor` (a bare aiohttp handler: one SQLite row committed per request, one reply posted
  in the background);
- the load generator: :class:`Conversation` (turn/run bookkeeping), :func:`timed_post`,
  :func:`drive` (one conversation, on a schedule at a period or closed loop), :func:`run_load` (warm-up
  run, then the offered-rate and saturation phases), :func:`wait_replies` and :func:`latencies`
  (acknowledgement and reply latencies matched against the fake API's recorded calls);
- the figures: :func:`percentile`, :func:`report` (the printed table) and :func:`main` (the shared
  command line: ``--role main|bot|floor|load`` and the load options).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import math
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from aiohttp import ClientSession, TCPConnector, web

ROOT = Path(__file__).resolve().parents[1]

K = TypeVar("K")  # what a turn's reply is matched on (a Slack channel and thread, a Teams conversation id)
C = TypeVar("C", bound="Conversation[Any]")

Figures = dict[str, Any]
Call = dict[str, Any]
ReplyKey = Callable[[Call], Any]  # a fake API call -> the key of the reply it carries, or None if it is no reply
SendTurn = Callable[[ClientSession, C, bool], Awaitable[None]]  # session, conversation, measured


# --- ports and processes -------------------------------------------------------------------------


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (less sensitive to a busy machine than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``q`` of the values are at or below
    (p99 of 100 values is the 99th smallest, not the largest). NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --- the servers under test ----------------------------------------------------------------------


def slack_env(secret: str, api_port: int) -> dict[str, str]:
    """The environment of a bot serving Slack, its Web API the fake on ``api_port``."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/",
    }


def unpace_slack(app: web.Application) -> None:
    """Turn the Slack channel's pacing off, of posts per channel and of direct messages opened: the
    fake Web API limits nothing, and a benchmark measures the bot, not Slack's pace."""
    from bot.channels.slack_limits import Pacer
    from bot.server import CHANNELS

    app[CHANNELS]["slack"].poster.pacer = Pacer(interval=0.0)
    app[CHANNELS]["slack"].poster.dms.opens = Pacer(interval=0.0)


async def slack_unpaced(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context of the app: :func:`unpace_slack` once its channels are up."""
    unpace_slack(app)
    yield


def run_bot(port: int, db: str, env: Mapping[str, str], setup: Callable[[web.Application], None] | None = None) -> None:
    """Serve the bot (``create_app`` on the repository's flows) with ``env``; ``setup`` may adjust the app."""
    from bot.server import create_app

    logging.basicConfig(level=logging.ERROR)
    app = create_app(db, ROOT / "flows", env=dict(env), settle_heap=True)  # as decisionbot serve
    if setup is not None:
        setup(app)
    profile = os.environ.get("BENCH_PROFILE")  # a file: the server's cProfile stats, at exit
    if not profile:
        web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
        return
    import cProfile

    with cProfile.Profile() as profiler:
        web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
    profiler.dump_stats(profile)


class Floor:
    """The floor: one route, one SQLite row committed per request, replies posted without waiting."""

    def __init__(self, db: str, table: str, id_column: str) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, {id_column} TEXT, body TEXT, at REAL)"
        )
        self.insert = f"INSERT INTO {table} ({id_column}, body, at) VALUES (?, ?, ?)"
        self.tasks: set[asyncio.Task[Any]] = set()
        self.http: ClientSession | None = None

    def record(self, ident: str, body: bytes) -> None:
        """Insert the request's row and commit it."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(self.insert, (ident, body, time.time()))
        self.conn.execute("COMMIT")

    def reply(self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Post one reply with a raw aiohttp call, in the background."""
        assert self.http is not None
        task = asyncio.ensure_future(self.http.post(url, json=payload, headers=headers))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.exception():
            task.result().release()

    def run(self, port: int, path: str, handler: Callable[[web.Request], Awaitable[web.Response]]) -> None:
        async def session(app: web.Application) -> AsyncIterator[None]:
            self.http = ClientSession(connector=TCPConnector(limit=200, limit_per_host=100))
            yield
            await self.http.close()

        app = web.Application()
        app.router.add_post(path, handler)
        app.cleanup_ctx.append(session)
        web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- the load generator --------------------------------------------------------------------------


class Conversation(Generic[K]):
    """Conversation k of a target: which turn of which run comes next, and what was sent when."""

    TURNS = 8

    def __init__(self, k: int, target: str) -> None:
        self.k, self.target = k, target
        self.run = 0
        self.turn = 0
        self.sent: list[tuple[K, float, float, bool]] = []  # reply key, sent (or due), acked, measured
        #: When the next turn is due on the offered-rate schedule (None at saturation). A turn sent
        #: late, because the conversation's previous turn was not yet acknowledged, counts its
        #: latencies from here, not from when it left: else a stalled server would hide the very
        #: wait it causes (coordinated omission).
        self.due: float | None = None
        self.late = 0  # turns of the current phase that left more than LATE_S after they were due

    def advance(self) -> None:
        self.turn += 1
        if self.turn == self.TURNS:
            self.turn, self.run = 0, self.run + 1


async def timed_post(
    session: ClientSession, url: str, conv: Conversation[Any], status: int, **kwargs: Any
) -> tuple[float, float]:
    """POST one turn and wait for its acknowledgement (``status``); the monotonic times it was sent
    (or due, when it left late on the offered-rate schedule: see :attr:`Conversation.due`) and acked."""
    sent = time.monotonic()
    if conv.due is not None:
        if sent - conv.due > LATE_S:
            conv.late += 1
        sent = min(sent, conv.due)
    async with session.post(url, **kwargs) as resp:
        await resp.read()
        if resp.status != status:
            raise RuntimeError(f"HTTP {resp.status} for turn {conv.turn} of conversation {conv.k}")
    return sent, time.monotonic()


#: A turn that leaves more than this after it was due is counted as sent late.
LATE_S = 0.005


async def drive(
    session: ClientSession,
    send: SendTurn[C],
    conv: C,
    until: float,
    period: float | None,
    offset: float,
    measured: bool,
) -> None:
    """Send ``conv``'s turns until ``until``: one every ``period`` s from ``offset``, or back to back if None."""
    start = time.monotonic() + offset
    j = 0
    while True:
        due = start + j * period if period else time.monotonic()
        if due >= until:
            return
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        conv.due = due if period else None
        await send(session, conv, measured)
        j += 1


async def wait_replies(
    session: ClientSession, api: str, reply_key: ReplyKey, convs: Sequence[Conversation[Any]], timeout: float = 30.0
) -> list[Call]:
    """The fake API's reply calls, once every turn the conversations sent has its reply: under each
    reply key, as many calls as turns were sent with it (or after ``timeout`` s). A count of all the
    calls against all the turns would stop early, and show replies still on their way as missing:
    some turns post two messages."""
    wanted = collections.Counter(key for conv in convs for key, _, _, _ in conv.sent)
    deadline = time.monotonic() + timeout
    while True:
        async with session.get(f"{api}/_calls") as resp:
            calls = [c for c in await resp.json() if reply_key(c) is not None]
        got = collections.Counter(reply_key(c) for c in calls)
        if all(got[key] >= n for key, n in wanted.items()) or time.monotonic() > deadline:
            return calls
        await asyncio.sleep(0.1)


def latencies(
    convs: Sequence[Conversation[Any]], calls: list[Call], reply_key: ReplyKey, debug_missing: bool = False
) -> tuple[list[float], list[float], int]:
    """Acknowledgement and reply latencies of the measured turns, and how many replies never came.

    The n-th turn of a conversation with a given reply key is answered by the n-th reply with that key.
    """
    arrivals: dict[Any, list[float]] = {}
    for call in calls:
        arrivals.setdefault(reply_key(call), []).append(call["at"])
    acks, replies, missing = [], [], 0
    for conv in convs:
        seen: dict[Any, int] = {}
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
                if debug_missing and os.environ.get("BENCH_DEBUG"):
                    recent = [(k2, round(s2, 3)) for k2, s2, _, _ in conv.sent][-10:]
                    print("missing", conv.k, key, n, len(got), recent, file=sys.stderr)
    return acks, replies, missing


async def run_load(
    args: argparse.Namespace,
    convs: Sequence[C],
    send: SendTurn[C],
    reply_key: ReplyKey,
    connections: int,
    debug_missing: bool = False,
) -> Figures:
    """One warm-up run per conversation, then ``args.seconds`` at ``args.rate`` turns/s and at saturation."""
    api = f"http://127.0.0.1:{args.api_port}"
    out: Figures = {}
    turns = 0

    async def counted(session: ClientSession, conv: C, measured: bool) -> None:
        nonlocal turns
        turns += 1
        await send(session, conv, measured)

    async with ClientSession(connector=TCPConnector(limit=connections)) as session:
        for _ in range(Conversation.TURNS):  # warm-up: one whole run each (names, DM channels, caches)
            await asyncio.gather(*(counted(session, c, False) for c in convs))
        await wait_replies(session, api, reply_key, convs)
        periods = {"offered": len(convs) / args.rate, "saturation": None}
        for mode, period in ((mode, periods[mode]) for mode in args.modes.split(",")):
            for conv in convs:
                conv.sent, conv.late = [], 0
            await session.post(f"{api}/_reset")
            began = time.monotonic()
            until = began + args.seconds
            await asyncio.gather(
                *(
                    drive(session, counted, c, until, period, k * (period or 0) / len(convs), True)
                    for k, c in enumerate(convs)
                )
            )
            elapsed = time.monotonic() - began
            total = sum(len(c.sent) for c in convs)
            calls = await wait_replies(session, api, reply_key, convs)
            acks, replies, missing = latencies(convs, calls, reply_key, debug_missing)
            replied = sum(1 for call in calls if began <= call["at"] <= until)
            out[mode] = {
                "turns_per_s": total / elapsed,
                "replied_per_s": replied / (until - began),  # replies that reached the API in the window
                "ack_p50_ms": percentile(acks, 0.5) * 1000,
                "ack_p99_ms": percentile(acks, 0.99) * 1000,
                "reply_p50_ms": percentile(replies, 0.5) * 1000,
                "reply_p99_ms": percentile(replies, 0.99) * 1000,
                "missing_replies": missing,
                "sent_late": sum(conv.late for conv in convs),
            }
            for conv in convs:
                conv.due = None
    out["turns"] = turns  # every turn sent, warm-up included (for the server's CPU per turn)
    return out


# --- orchestration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """One HTTP benchmark: its own parts, and how its processes are started."""

    path: str  # the table's title: "<path> path, ..."
    script: str  # the benchmark's file, run again for the server and load roles
    fake_module: str  # the fake platform API, run as ``python -m <fake_module> --port N``
    serve: Mapping[str, Callable[[argparse.Namespace], None]]  # "bot" and "floor": serve on args.port
    load: Callable[[argparse.Namespace], Coroutine[Any, Any, Figures]]  # the load role: figures of one round
    quiet_fake: bool = False  # discard the fake API's standard output
    measure_cpu: bool = False  # add the server's CPU ms per turn (run_load counts the turns)


def one_round(bench: Bench, target: str, args: argparse.Namespace) -> Figures:
    api_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        fake = subprocess.Popen(
            [sys.executable, "-m", bench.fake_module, "--port", str(api_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL if bench.quiet_fake else None,
        )
        server = subprocess.Popen(
            [sys.executable, bench.script, "--role", target, "--port", str(port), "--api-port", str(api_port),
             "--db", f"{tmp}/bench.db"],
            cwd=ROOT,
        )  # fmt: skip
        try:
            for proc, name, listens in ((fake, "fake API", api_port), (server, f"{target} server", port)):
                try:
                    wait_port(listens)
                except RuntimeError:
                    died = proc.poll()
                    raise SystemExit(
                        f"round failed: the {name} never listened on {listens}"
                        f" ({'still starting' if died is None else f'it exited {died}: its error above'})"
                    ) from None
            cpu_before = cpu_seconds(server.pid) if bench.measure_cpu else 0.0
            load = subprocess.run(
                [sys.executable, bench.script, "--role", "load", "--target", target, "--port", str(port),
                 "--api-port", str(api_port), "--conversations", str(args.conversations), "--rate", str(args.rate),
                 "--seconds", str(args.seconds), "--modes", args.modes],  # fmt: skip
                cwd=ROOT, capture_output=True, timeout=args.seconds * 4 + 180,
            )  # fmt: skip
            if load.returncode != 0 or os.environ.get("BENCH_DEBUG"):  # why it failed; replies that never came
                sys.stderr.write(load.stderr.decode())
            if load.returncode != 0:
                died = server.poll()
                raise SystemExit(
                    f"round failed: {target}'s load exited {load.returncode} (its error above);"
                    f" the {target} server {'is still running' if died is None else f'exited {died}'}"
                )
            figures: Figures = json.loads(load.stdout)
            if bench.measure_cpu:
                figures["cpu_ms_per_turn"] = (cpu_seconds(server.pid) - cpu_before) * 1000 / figures["turns"]
            return figures
        finally:
            for proc in (server, fake):
                proc.terminate()
                proc.wait(timeout=10)


def report(bench: Bench, results: dict[str, list[Figures]], args: argparse.Namespace) -> None:
    def med(target: str, mode: str, key: str) -> float:
        return statistics.median(r[mode][key] for r in results[target])

    print(
        f"\n{bench.path} path, {args.conversations} conversations, medians of {args.rounds} rounds of {args.seconds:g} s"
    )
    print(f"{'':8} | {'at ' + format(args.rate, 'g') + ' turns/s offered':^42} | {'saturation (closed loop)':^52}")
    head = "ack p50 / p99 ms   reply p50 / p99 ms"
    print(f"{'target':8} | {'turns/s':>7}  {head} | {'turns/s':>7}  {head}  missing")
    modes = args.modes.split(",")
    for target in results:
        row = [target.ljust(8), "|"]
        for mode in ("offered", "saturation"):
            if mode not in modes:
                row += [f"{'-':>7}", f"{'-':>15}", f"{'-':>18}", "|"]
                continue
            row.append(f"{med(target, mode, 'turns_per_s'):7.0f}")
            row.append(f"{med(target, mode, 'ack_p50_ms'):6.2f} / {med(target, mode, 'ack_p99_ms'):6.2f}")
            row.append(f"{med(target, mode, 'reply_p50_ms'):8.2f} / {med(target, mode, 'reply_p99_ms'):7.2f}")
            row.append("|")
        missing = sum(r[m]["missing_replies"] for r in results[target] for m in modes)
        print(" ".join(row[:-1]), f" {missing}")
    if "offered" in modes:
        for target in results:
            late = statistics.median(r["offered"]["sent_late"] for r in results[target])
            sent = statistics.median(r["offered"]["turns_per_s"] * args.seconds for r in results[target])
            print(f"{target}: at {args.rate:g} turns/s offered, {late:.0f} of {sent:.0f} turns left over"
                  f" {LATE_S * 1000:g} ms after they were due (behind their conversation's previous acknowledgement,"
                  " or the load's own loop); their latencies count from when they were due")  # fmt: skip
    if bench.measure_cpu:
        for target in results:
            cpu = statistics.median(r["cpu_ms_per_turn"] for r in results[target])
            print(f"{target}: server CPU {cpu:.2f} ms per turn (all turns of the round, warm-up included)")
    if "saturation" not in modes:
        return
    for target in results:
        replied = med(target, "saturation", "replied_per_s")
        print(f"{target}: at saturation, {replied:.0f} replies/s reached the API within the window")
    for target in [t for t in results if t != "floor" and "floor" in results]:
        acked, replied = (med(target, "saturation", key) / med("floor", "saturation", key)
                          for key in ("turns_per_s", "replied_per_s"))  # fmt: skip
        print(f"{target}/floor at saturation: acknowledged turns/s {acked:.2f}, replies/s {replied:.2f}")


def main(bench: Bench, doc: str | None) -> None:
    """The benchmark's command line: the main role runs the rounds and prints the table."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", default="main", choices=["main", *bench.serve, "load"])
    parser.add_argument("--target", default="bot")
    parser.add_argument("--port", type=int)
    parser.add_argument("--api-port", type=int)
    parser.add_argument("--db")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--targets", default="floor,bot", help=f"comma-separated, of: {', '.join(bench.serve)}")
    parser.add_argument("--modes", default="offered,saturation", help="offered, saturation or both (comma-separated)")
    args = parser.parse_args()
    unknown = [t for t in args.targets.split(",") if t not in bench.serve]
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}: --targets takes {', '.join(bench.serve)}")
    bad_modes = [m for m in args.modes.split(",") if m not in ("offered", "saturation")]
    if bad_modes:
        parser.error(f"unknown mode {', '.join(bad_modes)}: --modes takes offered, saturation or both")
    if args.role in bench.serve:
        bench.serve[args.role](args)
    elif args.role == "load":
        print(json.dumps(asyncio.run(bench.load(args))))
    else:
        results: dict[str, list[Figures]] = {t: [] for t in args.targets.split(",")}
        for n in range(args.rounds):
            for target in results:
                results[target].append(one_round(bench, target, args))
                print(f"round {n + 1} {target}: {json.dumps(results[target][-1])}", flush=True)
        report(bench, results, args)
