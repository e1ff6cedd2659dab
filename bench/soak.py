"""A long-running server under many short runs: what grows, and by how much per 1,000 runs.

The real server (``decisionbot serve``'s app, Slack channel on, pacing off as in bench_slack) takes
signed requests on ``POST /slack/events`` and posts to the fake Web API (tests/fakes/slack_api.py).
W workers drive post_meeting runs one after another, each in one of C channels with two of P people
(a facilitator and the action's owner), as bench_slack's turns: a mention starts the run, the
answers come in its thread, the owner accepts by direct message. Every fourth run the facilitator
opens their Home tab first and edits an answer (Slack's ``message_changed``), so the Home tab's
watchers and the edits' bookkeeping are driven too. Workers never share a person, so a direct
message's "yes" answers exactly one run.

At every ``--every`` runs it prints the server's RSS (``/proc/PID/status``), the size of each
in-memory structure it can reach (a route the soak adds to the server walks the channels, the
dispatcher and the outbox senders: every dict, set, list and deque among their attributes, and
the module caches), each ledger table's rows and the ledger's size on disk. At the end: the slope
per 1,000 runs of each, fitted over the second half of the samples (after the warm-up), the
analysts' record (runs, transcripts, answers, ...) apart from the rest, which should stay flat.

bench/soak_teams.py is its Teams counterpart: it shares this module's route (:func:`add_counts`),
load loop (:func:`drive`), samples and slopes.

    python bench/soak.py [--runs 3000] [--people 5000] [--channels 2000] [--workers 40] [--every 0]
    python bench/soak.py --runs 8000 --people 40000   # more people than the caches keep: ~12 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import gc
import itertools
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from bench.http_harness import free_port, run_bot, slack_env, slack_unpaced, wait_port  # noqa: E402
from tests.dates import JAN15  # noqa: E402

SECRET = "soak-signing-secret"
TEAM, APP, BOT_USER = "T111", "A111", "UBOT"

#: The analysts' record, kept by design: these grow with the runs.
RECORD = {
    "runs", "messages", "transitions", "answers", "decisions", "actions", "reviews", "events",
    "action_changes", "flow_versions", "check_evaluations", "jobs",
}  # fmt: skip
RECORD_PREFIXES = ("analytics_", "messages_fts")


# --- the server under test -----------------------------------------------------------------------


def _sizes(root: object, name: str, found: dict[str, int], seen: set[int], depth: int = 0) -> None:
    """Every dict, set, list and deque among ``root``'s attributes (and theirs, within bot's own
    objects), by attribute path: how many entries each holds."""
    if id(root) in seen or depth > 5:
        return
    seen.add(id(root))
    attrs = getattr(root, "__dict__", None)
    if attrs is None:
        return
    for key, value in list(attrs.items()):
        path = f"{name}.{key}"
        if isinstance(value, dict | set | frozenset | list | collections.deque):
            if id(value) not in seen:
                seen.add(id(value))
                found[path] = len(value)
        elif type(value).__module__.startswith("bot."):
            _sizes(value, path, found, seen, depth + 1)


def _module_caches() -> dict[str, int]:
    """The module-level caches: functools' (their current size) and plain dicts."""
    found: dict[str, int] = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("bot."):
            continue
        for key, value in list(vars(module).items()):
            if isinstance(value, functools._lru_cache_wrapper) and getattr(value, "__module__", "") == module_name:
                found[f"{module_name}.{key}()"] = value.cache_info().currsize
            elif key.startswith("_") and isinstance(value, dict | set) and not key.startswith("__"):
                found[f"{module_name}.{key}"] = len(value)
    return found


def add_counts(app: web.Application) -> None:
    """``GET /soak/counts``: the sizes the soak samples (see the module's docstring)."""
    from bot.server import CHANNELS, SENDERS, SERVICES

    async def counts(request: web.Request) -> web.Response:
        app = request.app
        found: dict[str, int] = {}
        seen: set[int] = set()
        for name, channel in app[CHANNELS].items():
            _sizes(channel, name, found, seen)
        for name, sender in app[SENDERS].items():
            _sizes(sender, f"outbox-{name}", found, seen)
        _sizes(app[SERVICES], "services", found, seen)
        found.update(_module_caches())
        found["asyncio tasks"] = len(asyncio.all_tasks())
        found["gc objects"] = len(gc.get_objects())
        return web.json_response(found)

    app.router.add_get("/soak/counts", counts)


def serve_bot(args: argparse.Namespace) -> None:
    def setup(app: web.Application) -> None:
        app.cleanup_ctx.append(slack_unpaced)
        add_counts(app)

    run_bot(args.port, args.db, slack_env(SECRET, args.api_port), setup)


# --- the load ------------------------------------------------------------------------------------


class Worker:
    """Worker w: its runs one after another, each with two people of its own (index ≡ w mod W)."""

    def __init__(self, w: int, args: argparse.Namespace, ids: Iterator[int]) -> None:
        self.w, self.args, self.ids = w, args, ids
        self.turns = 0

    def people(self, n: int) -> tuple[str, str]:
        per = self.args.people // self.args.workers
        base = (n * 2) % per
        return f"U{self.w + self.args.workers * base:05d}", f"U{self.w + self.args.workers * ((base + 1) % per):05d}"

    async def one_run(self, session: ClientSession, url: str, n: int, i: int) -> None:
        """Run ``i`` (the worker's ``n``-th): post_meeting from mention to the default review date."""
        facilitator, owner = self.people(n)
        channel = f"C{(i * 7919) % self.args.channels:05d}"
        ts = (f"1900000000.{next(self.ids):06d}" for _ in itertools.count())
        thread = next(ts)
        extra = i % 4 == 0
        if extra:
            await self.send(session, url, {"type": "app_home_opened", "user": facilitator, "channel": f"D{facilitator}",
                                           "tab": "home", "event_ts": next(ts)})  # fmt: skip
        text = f"<@{BOT_USER}> start post_meeting <@{owner}> Soak {i}"
        await self.send(session, url, {"type": "app_mention", "user": facilitator, "text": text,
                                       "channel": channel, "ts": thread})  # fmt: skip
        for text in ["We decide to ship", f"Draft plan {i}", f"<@{owner}>", JAN15, "done"]:
            event = {"type": "message", "channel_type": "channel", "user": facilitator, "text": text,
                     "channel": channel, "ts": next(ts), "thread_ts": thread}  # fmt: skip
            await self.send(session, url, event)
            if extra and text.startswith("Draft"):
                await self.send(session, url, edited(event, next(ts)))
        await self.send(session, url, {"type": "message", "channel_type": "im", "user": owner, "text": "yes",
                                       "channel": f"D{owner}", "ts": next(ts)})  # fmt: skip
        await self.send(session, url, {"type": "message", "channel_type": "channel", "user": facilitator,
                                       "text": "ok", "channel": channel, "ts": next(ts), "thread_ts": thread})  # fmt: skip

    async def send(self, session: ClientSession, url: str, event: dict[str, Any]) -> None:
        from slack_sdk.signature import SignatureVerifier

        self.turns += 1
        body = json.dumps({"token": "x", "team_id": TEAM, "api_app_id": APP, "type": "event_callback",
                           "event": event, "event_id": f"Ev{self.w}-{self.turns}-{time.time_ns()}",
                           "event_time": int(time.time())}).encode()  # fmt: skip
        stamp = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": signature}  # fmt: skip
        for _ in range(20):  # a 503 (the ledger busy) is Slack's retry, sent again
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status == 200:
                    return
                if resp.status != 503:
                    raise RuntimeError(f"HTTP {resp.status} for {event['type']} of worker {self.w}")
            await asyncio.sleep(0.2)
        raise RuntimeError(f"503 twenty times for {event['type']} of worker {self.w}")


def edited(original: dict[str, Any], at: str) -> dict[str, Any]:
    """Slack's message_changed for ``original``, its text changed."""
    inner = {k: original[k] for k in ("type", "user", "text", "ts", "thread_ts") if k in original}
    message = {**inner, "text": original["text"] + " (edited)", "edited": {"user": original["user"], "ts": at}}
    return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": original["channel"],
            "channel_type": original["channel_type"], "ts": at, "event_ts": at, "previous_message": inner,
            "message": message}  # fmt: skip


# --- the figures ---------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def ledger(db: str) -> dict[str, int]:
    """Each table's rows, and the ledger's size on disk (its WAL apart: kept under 1 GiB by the server)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        found = {f"rows {n}": int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        conn.close()
    wal = Path(f"{db}-wal")
    return {
        **found,
        "ledger KiB": Path(db).stat().st_size // 1024,
        "WAL KiB": wal.stat().st_size // 1024 if wal.exists() else 0,
    }


def is_record(key: str) -> bool:
    table = key.removeprefix("rows ")
    return key.startswith("rows ") and (table in RECORD or table.startswith(RECORD_PREFIXES))


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (runs, value), per 1,000 runs."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return 1000 * sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


async def sample(session: ClientSession, port: int, pid: int, db: str, runs: int) -> dict[str, float]:
    async with session.get(f"http://127.0.0.1:{port}/soak/counts") as resp:
        found: dict[str, float] = dict(await resp.json())
    found.update(ledger(db))
    found["RSS KiB"] = rss_kib(pid)
    found["runs done"] = runs
    return found


def print_sample(s: dict[str, float], start: float) -> None:
    rows = {k.removeprefix("rows "): int(v) for k, v in s.items() if k.startswith("rows ") and v}
    print(f"[{time.monotonic() - start:6.0f} s] runs {int(s['runs done']):>6}  RSS {int(s['RSS KiB']) // 1024} MiB"
          f"  ledger {int(s['ledger KiB']) // 1024} MiB (WAL {int(s['WAL KiB']) // 1024} MiB)  gc objects {int(s['gc objects'])}"
          f"  tasks {int(s['asyncio tasks'])}", flush=True)  # fmt: skip
    print("         rows: " + ", ".join(f"{k} {v}" for k, v in rows.items()), flush=True)
    held = {k: int(v) for k, v in s.items() if not k.startswith(("rows ", "bot.")) and k.count(".") and v >= 100}
    print("         memory: " + ", ".join(f"{k} {v}" for k, v in sorted(held.items())), flush=True)


def print_slopes(samples: list[dict[str, float]]) -> None:
    half = samples[len(samples) // 2 - 1 :] if len(samples) > 3 else samples
    print(f"\nSlope per 1,000 runs, fitted from {int(half[0]['runs done'])} runs to {int(half[-1]['runs done'])}:")
    keys = sorted(set().union(*(s.keys() for s in samples)) - {"runs done"})
    print(f"{'':52} {'first':>10} {'last':>10} {'per 1,000 runs':>15}")
    for group, pick in (("memory and side tables", lambda k: not is_record(k)), ("the analysts' record", is_record)):
        print(f"-- {group}")
        for key in keys:
            if not pick(key):
                continue
            points = [(int(s["runs done"]), float(s.get(key, 0))) for s in half]
            first, last = samples[0].get(key, 0), samples[-1].get(key, 0)
            if first == last and len({s.get(key, 0) for s in samples}) == 1:
                continue  # never changed
            print(f"{key[:52]:52} {first:>10.0f} {last:>10.0f} {slope(points):>15.1f}")


#: One run of the soak: (session, worker, the worker's n-th run, the run's number i).
OneRun = Callable[[ClientSession, int, int, int], Awaitable[None]]


async def drive(
    args: argparse.Namespace, port: int, pid: int, db: str, one_run: OneRun, between: Callable[[], Awaitable[None]]
) -> tuple[float, list[dict[str, float]]]:
    """``--runs`` runs by ``--workers`` workers, each one run after another; a sample every
    ``--every`` runs (``between`` then: the fake's memory cleared). The seconds the runs took, and
    the samples (for :func:`print_slopes`)."""
    next_run = itertools.count()
    done = [0]
    every = args.every or max(100, args.runs // 10)
    samples: list[dict[str, float]] = []
    start = time.monotonic()
    async with ClientSession(connector=TCPConnector(limit=args.workers + 10)) as session:
        samples.append(await sample(session, port, pid, db, 0))
        print_sample(samples[-1], start)

        async def work(w: int) -> None:
            for n in itertools.count():
                i = next(next_run)
                if i >= args.runs:
                    return
                await one_run(session, w, n, i)
                done[0] += 1
                if done[0] % every == 0:
                    await asyncio.sleep(0.5)  # the outbox catches up (the tasks counted are then the steady ones)
                    samples.append(await sample(session, port, pid, db, done[0]))
                    print_sample(samples[-1], start)
                    await between()

        await asyncio.gather(*(work(w) for w in range(args.workers)))
        elapsed = time.monotonic() - start
        await asyncio.sleep(2)
        if samples[-1]["runs done"] != done[0]:
            samples.append(await sample(session, port, pid, db, done[0]))
            print_sample(samples[-1], start)
    return elapsed, samples


async def load(args: argparse.Namespace, port: int, pid: int, db: str, api_port: int) -> None:
    url = f"http://127.0.0.1:{port}/slack/events"
    ids = itertools.count(1)
    workers = [Worker(w, args, ids) for w in range(args.workers)]
    reset = ClientSession()

    async def run(session: ClientSession, w: int, n: int, i: int) -> None:
        await workers[w].one_run(session, url, n, i)

    async def reset_fake() -> None:  # the fake's memory
        async with reset.post(f"http://127.0.0.1:{api_port}/_reset") as resp:
            await resp.read()

    try:
        elapsed, samples = await drive(args, port, pid, db, run, reset_fake)
    finally:
        await reset.close()
    turns = sum(w.turns for w in workers)
    print(f"\n{args.runs} runs, {turns} requests in {elapsed:.0f} s ({turns / elapsed:.0f}/s)")
    print_slopes(samples)


def arguments(description: str) -> argparse.ArgumentParser:
    """The command line both soaks share."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--role", default="main", choices=["main", "bot"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--api-port", type=int)
    parser.add_argument("--db")
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=40)
    parser.add_argument("--every", type=int, default=0, help="runs between samples (default: a tenth of --runs)")
    parser.add_argument("--keep", help="keep the ledger at this path (default: a temporary one)")
    return parser


def people_checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse (as a usage error) people who can't be dealt out to the workers, two each at least."""
    if args.people % args.workers or args.people // args.workers < 2:
        parser.error("--people must be a multiple of --workers, two a worker at least")


def main() -> None:
    parser = arguments((__doc__ or "").split("\n\n")[0])
    args = parser.parse_args()
    if args.role == "bot":
        serve_bot(args)
        return
    people_checked(parser, args)
    api_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or f"{tmp}/soak.db"
        fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.slack_api", "--port", str(api_port)], cwd=ROOT)
        server = subprocess.Popen(
            [sys.executable, __file__, "--role", "bot", "--port", str(port), "--api-port", str(api_port), "--db", db],
            cwd=ROOT,
        )
        try:
            wait_port(api_port)
            wait_port(port)
            print(f"soak: {args.runs} runs, {args.people} people, {args.channels} channels, {args.workers} workers;"
                  f" server pid {server.pid}", flush=True)  # fmt: skip
            asyncio.run(load(args, port, server.pid, db, api_port))
        finally:
            for proc in (server, fake):
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
