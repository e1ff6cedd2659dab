"""Trigger intake through the real server over loopback HTTP.

1. One Alertmanager-shaped webhook carrying 1,000 firing alerts (distinct fingerprints): the
   time until the hook answers (every run started, every first prompt committed to the outbox).
   Target: under 1 s.
2. 10,000 posts to /hooks/events from 16 concurrent clients, 10% of them repeats of an earlier
   dedup key: triggers accepted per second, runs started, and the time until every first prompt
   is in the outbox (checked by counting the outbox after the last answer).

The floor, measured in the same run on the same server: the same bodies posted to a route that
only reads and parses them (no auth, no routing, no SQLite). Medians of --rounds rounds, each on
a fresh ledger.

    python bench/bench_triggers.py [--rounds 3] [--posts 10000] [--alerts 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.server import SERVICES, create_app

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
CLIENTS = 16


def alertmanager_body(n: int) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "HighLatency", "instance": f"web-{i}", "severity": "warning"},
            "annotations": {"summary": f"p99 latency high on web-{i}", "value": f"{900 + i}ms", "threshold": "800ms"},
            "startsAt": "2026-11-26T14:52:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": f"http://prometheus:9090/graph?g0.expr=latency%7Binstance%3D%22web-{i}%22%7D",
            "fingerprint": f"{i:016x}",
        }
        for i in range(n)
    ]
    body = {"receiver": "decisionbot", "status": "firing", "alerts": alerts, "groupLabels": {"alertname": "HighLatency"},
            "commonLabels": {"alertname": "HighLatency"}, "commonAnnotations": {}, "externalURL": "http://am:9093",
            "version": "4", "groupKey": '{}:{alertname="HighLatency"}', "truncatedAlerts": 0}  # fmt: skip
    return json.dumps(body).encode()


def event_bodies(posts: int) -> list[bytes]:
    """``posts`` generic events; every tenth repeats the key of an earlier one."""
    out = []
    for i in range(posts):
        key = f"k{i - 9}" if i % 10 == 9 else f"k{i}"
        out.append(
            json.dumps({"title": f"Job {i} failed", "dedup_key": key, "metric": "failures", "value": i}).encode()
        )
    return out


async def floor_handler(request: web.Request) -> web.Response:
    json.loads(await request.read())
    return web.json_response({"ok": True})


async def post_all(url: str, bodies: list[bytes], headers: dict[str, str]) -> list[int]:
    queue = list(reversed(bodies))
    statuses: list[int] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as http:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                async with http.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses.append(resp.status)

        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return statuses


async def one_round(posts: int, alerts: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    try:
        flows = tmp / "flows"
        flows.mkdir()
        for name in ("post_meeting", "metric_breach", "decision_review"):
            shutil.copy(ROOT / "flows" / f"{name}.yaml", flows)
        env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "console:bench"}
        app = create_app(tmp / "bench.db", flows, env=env)
        app.router.add_post("/floor", floor_handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        db = app[SERVICES].db
        try:
            base = f"http://127.0.0.1:{server.port}"
            big = alertmanager_body(alerts)
            async with aiohttp.ClientSession() as http:
                t0 = time.perf_counter()
                async with http.post(f"{base}/floor", data=big, headers=AUTH) as resp:
                    await resp.read()
                floor_big = time.perf_counter() - t0
                t0 = time.perf_counter()
                async with http.post(f"{base}/hooks/alertmanager", data=big, headers=AUTH) as resp:
                    answer = await resp.json()
                webhook = time.perf_counter() - t0
            assert resp.status == 200 and len(answer["started"]) == alerts, answer
            bodies = event_bodies(posts)
            t0 = time.perf_counter()
            await post_all(f"{base}/floor", bodies, AUTH)
            floor_posts = time.perf_counter() - t0
            runs_before = db.execute("SELECT count(*) FROM runs").fetchone()[0]
            t0 = time.perf_counter()
            statuses = await post_all(f"{base}/hooks/events", bodies, AUTH)
            elapsed = time.perf_counter() - t0
            runs = db.execute("SELECT count(*) FROM runs").fetchone()[0] - runs_before
            prompts = db.execute(
                "SELECT count(DISTINCT run_id) FROM messages WHERE direction = 'out' AND kind = 'prompt' AND run_id > ?",
                (runs_before,),
            ).fetchone()[0]
            outbox_ready = time.perf_counter() - t0
            assert statuses.count(200) == posts and prompts == runs, (statuses[:5], prompts, runs)
            repeats = db.execute("SELECT sum(repeat_count) FROM events WHERE source = 'generic'").fetchone()[0]
        finally:
            await server.close()
        return {
            "webhook_s": webhook,
            "webhook_floor_s": floor_big,
            "accepted_per_s": posts / elapsed,
            "floor_per_s": posts / floor_posts,
            "runs_started": runs,
            "repeats": repeats,
            "outbox_ready_s": outbox_ready,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=1_000)
    args = parser.parse_args()
    results = [asyncio.run(one_round(args.posts, args.alerts)) for _ in range(args.rounds)]
    m: dict[str, Any] = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"median of {args.rounds} rounds, {CLIENTS} concurrent clients, loopback HTTP, SQLite WAL synchronous=NORMAL")
    print(
        f"1 Alertmanager webhook with {args.alerts} alerts: answered in {m['webhook_s'] * 1000:.0f} ms "
        f"({args.alerts} runs started, first prompts in the outbox; target < 1000 ms); "
        f"floor (read + parse only) {m['webhook_floor_s'] * 1000:.1f} ms"
    )
    print(
        f"{args.posts} posts to /hooks/events (10% repeats): {m['accepted_per_s']:.0f} triggers accepted/s, "
        f"{m['runs_started']:.0f} runs started, {m['repeats']:.0f} repeats counted, every first prompt in the outbox "
        f"after {m['outbox_ready_s']:.2f} s; floor {m['floor_per_s']:.0f} posts/s "
        f"(ratio {m['accepted_per_s'] / m['floor_per_s']:.2f})"
    )
    for i, r in enumerate(results, 1):
        print(
            f"  round {i}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
        )


if __name__ == "__main__":
    main()
