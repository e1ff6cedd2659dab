"""Committed turns per second: post_meeting runs driven through the engine and the store.

N runs are started and driven round-robin (one turn of each run in turn) through
``Dispatcher.handle``, each turn committed to a SQLite file (WAL, synchronous=NORMAL by default)
before the next begins. Each run: the decision, one action (what, owner, due), 'done', the owner
accepts, the review date: 7 answered turns. Latency is timed around each ``handle`` call, which
includes finding the run, the engine, every write and the commit; delivery (marking outbox rows
sent) happens in batches outside the timing, as the outbox sender does.

In the same run, the same figures for the peer baseline: a four-question botbuilder-dialogs
WaterfallDialog on its TestAdapter with MemoryStorage (nothing written to disk).

    python bench/bench_turns.py [--runs 500] [--rounds 3] [--synchronous NORMAL|FULL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot import outbox
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import open_db, utc_now

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.baseline_botbuilder import run_baseline  # noqa: E402
from bench.http_harness import percentile  # noqa: E402

SCRIPT = [
    ("fac", "We move the launch to March"),
    ("fac", "Draft the revised plan"),
    ("fac", "@owner"),
    ("fac", "next friday"),
    ("fac", "done"),
    ("owner", "yes"),
    ("fac", "2027-01-15"),
]


def run_engine(runs: int, synchronous: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db", synchronous=synchronous)
        dispatcher = Dispatcher(db, FlowCatalog(ROOT / "flows", db), __import__("zoneinfo").ZoneInfo("UTC"))
        sessions = []
        for i in range(runs):
            fac, owner = Actor(f"console:fac{i}", f"fac{i}"), Actor(f"console:owner{i}", f"owner{i}")
            conv = ConversationKey("console", f"bench-{i}")
            trigger = Trigger(flow="post_meeting", title=f"Meeting {i}", facilitator=fac, participants=[owner])
            result = dispatcher.start(trigger, conv)
            sessions.append((result.run_id, conv, {"fac": fac, "owner": owner}))
        latencies: list[float] = []
        completed = 0
        started = time.perf_counter()
        for step, (who, text) in enumerate(SCRIPT):
            for run_id, conv, people in sessions:
                actor = people[who]
                message = Message(conv, actor, text.replace("@owner", f"@{people['owner'].name}"))
                t0 = time.perf_counter_ns()
                result = dispatcher.handle(message, run_id=run_id)
                latencies.append((time.perf_counter_ns() - t0) / 1e6)
                if result is None:
                    raise AssertionError(f"run {run_id} found no turn at step {step}")
                completed += result.outcome.status == "completed"
            queued = outbox.pending(db, "console", limit=100_000)
            outbox.mark_sent(db, [q.id for q in queued], utc_now())
            dispatcher.maintain()  # as the server's housekeeping does, between turns
        seconds = time.perf_counter() - started
        if completed != runs:
            raise AssertionError(f"only {completed} of {runs} runs completed")
        decisions = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
        if decisions != runs:
            raise AssertionError(f"{decisions} decisions recorded for {runs} runs")
        db.close()
    return {
        "turns": len(latencies),
        "seconds": seconds,
        "turns_per_s": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
    }


def median_of(results: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    ours = [run_engine(args.runs, args.synchronous) for _ in range(args.rounds)]
    m = median_of(ours)
    print(
        f"decisionbot post_meeting, {args.runs} interleaved runs, every turn committed "
        f"(synchronous={args.synchronous}), median of {args.rounds}: "
        f"{m['turns_per_s']:,.0f} turns/s, p50 {m['p50_ms']:.3f} ms, p99 {m['p99_ms']:.3f} ms ({m['turns']:.0f} turns)"
    )
    if args.no_baseline:
        return
    theirs = [asyncio.run(run_baseline(args.runs)) for _ in range(args.rounds)]
    b = median_of([{k: v for k, v in r.items() if isinstance(v, int | float)} for r in theirs])
    print(
        f"botbuilder-dialogs WaterfallDialog (MemoryStorage, TestAdapter, nothing on disk), median of {args.rounds}: "
        f"{b['turns_per_s']:,.0f} turns/s, p50 {b['p50_ms']:.3f} ms, p99 {b['p99_ms']:.3f} ms ({b['turns']:.0f} turns)"
    )
    print(f"ratio decisionbot/baseline: {m['turns_per_s'] / b['turns_per_s']:.2f}x throughput")


if __name__ == "__main__":
    main()
