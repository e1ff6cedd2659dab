"""What one Slack turn costs the server: CPU instructions, SQL statements and Web API calls per turn.

The workload of bench_slack.py (post_meeting, eight signed turns a run, the bot target: pacing off),
at a fixed size: C conversations side by side, each sending its next turn once the previous one is
acknowledged, R runs each after one warm-up run. The server runs in a process of its own (as
``decisionbot serve``), the fake Web API (tests/fakes/slack_api.py) and the load in others, so
only the server is counted:

- instructions: the server runs under ``valgrind --tool=callgrind`` with instrumentation off until
  the warm-up is done and every reply of it delivered; it is switched on for the measured runs and
  dumped once every reply of them has reached the fake API (``callgrind_control``). Instruction
  counts do not depend on what else the machine is doing, unlike times; the server's idle work
  meanwhile (timers, housekeeping) is counted too, a small share;
- SQL statements: a second pass of the same workload without valgrind, the server's connection
  traced (``set_trace_callback``), counted by their first word (statements of triggers apart);
- Web API calls: what the fake API recorded during the measured runs, by method.

    python bench/turn_cost.py [--conversations 10] [--runs 5] [--no-valgrind] [--profile FILE]
                              [--keep FILE] [--statements N]

``--no-valgrind`` skips the instruction count (seconds instead of minutes); ``--profile FILE``
writes the server's cProfile stats of the SQL pass to FILE (``python -m pstats FILE``); ``--keep
FILE`` keeps callgrind's dump of the measured runs (``callgrind_annotate FILE``); ``--statements N``
prints the N commonest statements (their literals as ``?``). ``TURN_COST_SQL_LOG=FILE`` writes
every statement the server runs to FILE, in order; ``TURN_COST_PYINSTRUMENT=FILE`` samples the
server of the SQL pass with pyinstrument (not a dependency: ``pip install pyinstrument``) and writes
its report there (``TURN_COST_ALL=1``: library frames too); ``TURN_COST_NO_ANALYTICS=1`` is a
what-if: the analytics triggers dropped, to see what keeping those tables live costs a turn.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from bench.bench_slack import SECRET, SlackConversation, send  # noqa: E402
from bench.http_harness import free_port, run_bot, slack_env, unpace_slack, wait_port  # noqa: E402

DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
LEDGER_TABLES = ("runs", "decisions", "actions", "answers", "messages", "transitions")
UNSENT = "direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"


# --- the server under test -----------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """The bot as bench_slack.py serves it; with ``--count-sql``, ``GET /_sql`` answers the
    statements run since the last ``POST /_sql`` (which starts the count over)."""
    from bot.server import SERVICES

    env = slack_env(SECRET, args.api_port)
    counts: collections.Counter[str] = collections.Counter()
    shapes: collections.Counter[str] = collections.Counter()

    last = [""]
    log = open(os.environ["TURN_COST_SQL_LOG"], "a") if os.environ.get("TURN_COST_SQL_LOG") else None  # noqa: SIM115

    def traced(sql: str) -> None:
        # SQLite reports a statement again as each trigger program it fires starts, and Python
        # passes on the statement's text each time (or "-- " and the trigger's, when it has no
        # text of its own): a DML statement reported twice in a row is one statement and a trigger.
        text = sql.strip()
        word = text.lstrip("- ").split(None, 1)[0].upper() if text.lstrip("- ") else "?"
        if text.startswith("--") or (text == last[0] and word in DML):
            counts["(trigger programs)"] += 1
            return
        last[0] = text
        if log is not None:
            print(text, file=log, flush=True)
        counts[word] += 1
        shapes[re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", text)[:110]] += 1

    async def no_pacing(app: web.Application) -> AsyncIterator[None]:
        unpace_slack(app)
        conn = app[SERVICES].db.conn
        if args.count_sql:
            conn.set_trace_callback(traced)
        if os.environ.get("TURN_COST_NO_ANALYTICS"):  # what-if: the analytics tables not kept up turn by turn
            found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics%'")
            for (name,) in found.fetchall():
                conn.execute(f"DROP TRIGGER {name}")
        yield

    async def sql_counts(request: web.Request) -> web.Response:
        return web.json_response({"counts": dict(counts), "shapes": shapes.most_common(40)})

    async def sql_restart(request: web.Request) -> web.Response:
        counts.clear()
        shapes.clear()
        return web.json_response({})

    def setup(app: web.Application) -> None:
        app.cleanup_ctx.append(no_pacing)
        app.router.add_get("/_sql", sql_counts)
        app.router.add_post("/_sql", sql_restart)

    sampled = os.environ.get("TURN_COST_PYINSTRUMENT")  # a file: pyinstrument's text report, at exit
    if not sampled:
        run_bot(args.port, args.db, env, setup)
        return
    from pyinstrument import Profiler  # not a dependency: pip install pyinstrument

    with Profiler(interval=0.0002, async_mode="disabled") as profiler:
        run_bot(args.port, args.db, env, setup)
    Path(sampled).write_text(
        profiler.output_text(unicode=False, show_all=bool(os.environ.get("TURN_COST_ALL")), timeline=False)
    )


# --- the driver ----------------------------------------------------------------------------------


class Pass:
    """One server process (under callgrind or not) with the fake API, and the workload driven at it."""

    def __init__(self, args: argparse.Namespace, tmp: Path, valgrind: bool, count_sql: bool) -> None:
        self.args, self.tmp, self.valgrind = args, tmp, valgrind
        self.port, self.api_port = free_port(), free_port()
        self.db = tmp / f"turns-{'cg' if valgrind else 'sql'}.db"
        self.out = tmp / "callgrind.out"
        python = str(Path(sys.executable))
        server = [python, __file__, "--role", "server", "--port", str(self.port), "--api-port", str(self.api_port),
                  "--db", str(self.db)] + (["--count-sql"] if count_sql else [])  # fmt: skip
        if valgrind:
            server = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={self.out}.%p",
                      "--log-file=" + str(tmp / "valgrind.log"), *server]  # fmt: skip
        env = dict(os.environ)
        if args.profile and not valgrind:
            env["BENCH_PROFILE"] = str(Path(args.profile).resolve())
        self.counter = [0]  # the events' ids
        self.replies_before: collections.Counter[int] = collections.Counter()
        self.fake = subprocess.Popen([python, "-m", "tests.fakes.slack_api", "--port", str(self.api_port)], cwd=ROOT)
        self.server = subprocess.Popen(server, cwd=ROOT, env=env)
        wait_port(self.api_port)
        wait_port(self.port, timeout=600 if valgrind else 60)

    async def run(self) -> dict[str, Any]:
        a = self.args
        convs = [SlackConversation(k, "bot") for k in range(a.conversations)]
        connector = TCPConnector(limit=a.conversations + 4)
        async with ClientSession(connector=connector) as session:
            await self.runs(session, convs, 1)  # warm-up: every code path once, caches filled
            await self.settle(session)
            calls_before = len(await self.calls(session))
            rows_before = self.rows()
            await session.post(f"http://127.0.0.1:{self.port}/_sql")
            self.control("-i", "on")
            started = time.monotonic()
            await self.runs(session, convs, a.runs)
            await self.settle(session)
            seconds = time.monotonic() - started
            instructions = self.dump()
            sql = await (await session.get(f"http://127.0.0.1:{self.port}/_sql")).json()
            calls = (await self.calls(session))[calls_before:]
            rows = {table: n - rows_before[table] for table, n in self.rows().items()}
        turns = a.conversations * a.runs * SlackConversation.TURNS
        return {"turns": turns, "seconds": seconds, "instructions": instructions, "sql": sql, "rows": rows,
                "calls": collections.Counter(c["method"] for c in calls)}  # fmt: skip

    async def runs(self, session: ClientSession, convs: list[SlackConversation], runs: int) -> None:
        """Each conversation sends its next turn once the previous one is acknowledged and its reply
        has reached the fake API, as people answer the question they see (so that no answer
        overtakes its question, and the work of a turn does not depend on timing)."""
        url = f"http://127.0.0.1:{self.port}/slack/events"
        expected: collections.Counter[int] = collections.Counter()
        posted: collections.Counter[int] = collections.Counter()
        done = asyncio.Event()

        async def watch() -> None:  # the replies each conversation has had so far
            while not done.is_set():
                posted.clear()
                for call in await self.calls(session):
                    if call["method"] == "chat.postMessage":
                        posted[int(str(call["args"]["channel"]).lstrip("CDUO"))] += 1
                await asyncio.sleep(0.05)

        async def one(conv: SlackConversation) -> None:
            for _ in range(runs * SlackConversation.TURNS):
                await send(session, url, conv, True, self.counter)
                expected[conv.k] += 1
                while posted[conv.k] < self.replies_before[conv.k] + expected[conv.k]:
                    await asyncio.sleep(0.02)

        watcher = asyncio.ensure_future(watch())
        try:
            await asyncio.gather(*(one(conv) for conv in convs))
        finally:
            done.set()
            await watcher
        self.replies_before = collections.Counter(posted)

    async def settle(self, session: ClientSession) -> None:
        """Wait until every reply is delivered and the fake API has heard nothing new for a while."""
        quiet = 3.0 if self.valgrind else 0.5
        last, since = -1, time.monotonic()
        while True:
            count = len(await self.calls(session))
            if count != last:
                last, since = count, time.monotonic()
            elif time.monotonic() - since > quiet and not self.unsent():
                return
            await asyncio.sleep(0.2)

    def rows(self) -> dict[str, int]:
        """How many rows the ledger holds in the tables a run writes."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in LEDGER_TABLES}
        finally:
            conn.close()

    def unsent(self) -> int:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return int(conn.execute(f"SELECT count(*) FROM messages WHERE {UNSENT}").fetchone()[0])
        finally:
            conn.close()

    async def calls(self, session: ClientSession) -> list[dict[str, Any]]:
        async with session.get(f"http://127.0.0.1:{self.api_port}/_calls") as resp:
            return list(await resp.json())

    def control(self, *options: str) -> None:
        if self.valgrind:
            subprocess.run(["callgrind_control", *options, str(self.server.pid)], check=True, capture_output=True)

    def dump(self) -> int | None:
        """Dump the counts of the measured part; the instructions it counted."""
        if not self.valgrind:
            return None
        self.control("-d")
        for _ in range(600):
            for dump in sorted(self.tmp.glob(f"callgrind.out.{self.server.pid}.*")):
                for line in dump.read_text(errors="replace").splitlines():
                    if line.startswith("summary:") or line.startswith("totals:"):
                        if self.args.keep:  # for callgrind_annotate
                            shutil.copy(dump, self.args.keep)
                        return int(line.split()[1])
            time.sleep(0.5)
        raise RuntimeError("callgrind wrote no dump")

    def stop(self) -> None:
        for process in (self.server, self.fake):
            process.terminate()
        for process in (self.server, self.fake):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def measure(args: argparse.Namespace, tmp: Path, valgrind: bool, count_sql: bool) -> dict[str, Any]:
    one = Pass(args, tmp, valgrind, count_sql)
    try:
        return asyncio.run(one.run())
    finally:
        one.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="main", choices=["main", "server"])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per conversation (8 turns each)")
    parser.add_argument("--no-valgrind", action="store_true")
    parser.add_argument("--profile", help="write the server's cProfile stats (of the SQL pass) here")
    parser.add_argument("--keep", help="keep callgrind's dump of the measured runs in this file")
    parser.add_argument("--port", type=int)
    parser.add_argument("--api-port", type=int)
    parser.add_argument("--db")
    parser.add_argument("--count-sql", action="store_true")
    parser.add_argument("--statements", type=int, default=0, help="also print the N commonest statement shapes")
    args = parser.parse_args()
    if args.role == "server":
        serve(args)
        return
    if not args.no_valgrind and shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (or pass --no-valgrind)")
    with tempfile.TemporaryDirectory(prefix="turn-cost-") as tmp:
        counted = measure(args, Path(tmp), valgrind=False, count_sql=True)
        cg = None if args.no_valgrind else measure(args, Path(tmp), valgrind=True, count_sql=False)
    turns = counted["turns"]
    sql = collections.Counter(counted["sql"]["counts"])
    own = {k: v for k, v in sql.items() if not k.startswith("(")}
    print(f"{turns} Slack turns ({args.conversations} conversations side by side, {args.runs} post_meeting runs each)")
    if cg is not None:
        cg_calls = "  ".join(f"{k} {v / turns:.2f}" for k, v in sorted(cg["calls"].items()))
        print(f"instructions/turn: {cg['instructions'] / cg['turns']:,.0f}  (Web API calls/turn then: {cg_calls})")
    print(f"SQL statements/turn: {sum(own.values()) / turns:.2f}  "
          + "  ".join(f"{k} {v / turns:.2f}" for k, v in sorted(own.items(), key=lambda kv: -kv[1])))  # fmt: skip
    print(f"  besides, trigger programs/turn (analytics): {sql['(trigger programs)'] / turns:.2f}")
    calls = counted["calls"]
    print(f"Web API calls/turn: {sum(calls.values()) / turns:.2f}  "
          + "  ".join(f"{k} {v / turns:.2f}" for k, v in sorted(calls.items())))  # fmt: skip
    print("rows written/turn: " + "  ".join(f"{t} {n / turns:.2f}" for t, n in counted["rows"].items()))
    for shape, count in counted["sql"]["shapes"][: args.statements]:
        print(f"  {count / turns:6.2f}  {shape}")
    print(f"(SQL pass without valgrind: {counted['seconds']:.1f} s)")
    print(json.dumps({"turns": turns, "instructions": cg and cg["instructions"], "sql": dict(sql),
                      "calls": dict(calls)}))  # fmt: skip


if __name__ == "__main__":
    main()
