"""Crash torture of the Slack path: ``decisionbot serve`` killed with SIGKILL under load, restarted
on the same ledger, every event not acknowledged with 200 sent again as Slack does; then the
promises checked on the real SQLite ledger and the fake Web API's recorded calls.

K conversations (a channel each, facilitator UF<k>, owner UO<k>) run post_meeting R times each
(eight signed events a run, as bench/bench_slack.py sends them); every other run is started by
``/decision start`` (a signed slash command: the bot posts the thread's root) instead of a
mention (the mention is its own thread's root). A conversation sends its next
event once the previous one was acknowledged with 200; an event refused (the server dead, 5xx,
a dropped connection) is sent again with the same body and event_id and ``X-Slack-Retry-Num``
(Slack's own retries wait a minute or more; here they follow at once, so more of them land on a
server that just restarted). Slack never sends a slash command again: one answered anything but
*Started run #N* (the server dead, *nothing was started*) is typed again, as a person would, once
the ledger shows it started nothing (a person would look in the channel). Meanwhile the server is killed (SIGKILL) N times at random moments
and restarted on the same ledger each time (``python -m bot --db ... serve``, the Slack channel
on, its pacing as shipped). After the last restart the load finishes, the outbox drains, and:

- every event acknowledged with 200 has its turn in the ledger (an answer: its inbound message; a
  start: its ``start`` row, owned by the run in the mention's thread); every slash command answered
  *Started run #N* has its ``start`` row owned by run N, and one answered otherwise none;
- no event's turn is recorded twice (inbound messages, starts included; answers), no run advanced
  twice; no start or root row left without a run (a start that stored none takes them out);
- every run has the same shape (answers, transitions, replies; its one start), its roots counted
  apart from the replies: none for a mention (its thread's root), one for a slash command (an
  ``out`` row of kind ``root``); a root a killed start posted but never stored is reported (left in
  the channel, or taken back by ``chat.delete``), not failed;
- every reply in the outbox is delivered (none undelivered, none given up);
- the fake's chat.postMessage calls: each outbox reply reached it (its ``platform_id`` is a
  ts the fake gave), duplicates (a reply posted again: same channel, thread and text) counted;
- per outbox conversation, replies reached Slack in the order they were queued;
- completed runs = conversations x rounds, none left open.

    python bench/crash_torture.py [--conversations 20] [--rounds 4] [--kills 15] [--seed 1]

Exit status 0 when every invariant holds, 1 otherwise. A duplicate is a reply that was being posted
as its server died (the fake took it, the dead server never recorded it): reported, not failed, when
it reached the fake within DUPLICATE_WINDOW_S (plus ``--post-delay``) of a kill and is its Slack
conversation's only one at that kill; any other duplicate fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientError, ClientSession, ClientTimeout  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from bench.crash_checks import check  # noqa: E402
from bench.http_harness import free_port, wait_port  # noqa: E402
from tests.dates import JAN15  # noqa: E402

SECRET = "torture-signing-secret"
TEAM, APP, BOT_USER = "T111", "A111", "UBOT"
TURNS = 8


class Server:
    """``decisionbot serve`` on one ledger, killed and started again."""

    def __init__(self, db: str, port: int, api_port: int, log: Path) -> None:
        self.db, self.port, self.log = db, port, log
        self.env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-torture", "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/"}  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.killed_at: list[float] = []  # time.monotonic() of each SIGKILL (the fake's clock too)

    def start(self, port: int | None = None) -> None:
        """Start a server (on ``port``, else the current one); the load is sent to it once it listens."""
        port = port or self.port
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts} at {time.time():.3f}\n".encode())
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "--db", self.db, "--flows", str(ROOT / "flows"), "serve",
                 "--port", str(port), "--log-level", "WARNING"],
                cwd=ROOT, env=self.env, stdout=out, stderr=out,
            )  # fmt: skip
        wait_port(port, timeout=60)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def kill(self) -> None:
        assert self.proc is not None
        self.killed_at.append(time.monotonic())
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def replace(self) -> None:
        """A rolling restart cut short: a new server on another port takes the load (the old one
        still serving, still holding the outbox lease), then the old one is killed."""
        old = self.proc
        self.start(free_port())
        assert old is not None
        self.killed_at.append(time.monotonic())
        old.send_signal(signal.SIGKILL)
        old.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


class Conversation:
    """Conversation k: run r's turn i is one event, sent until acknowledged with 200; its start (turn
    0) a mention, or every other run a slash command (:meth:`by_slash`)."""

    def __init__(self, k: int) -> None:
        self.k = k

    def by_slash(self, run: int) -> bool:
        return (self.k + run) % 2 == 1

    def mention_ts(self, run: int) -> str:
        """The ts of run ``run``'s mention: its thread's root."""
        return f"{1800000000 + run}.{self.k:06d}"

    def slash(self, run: int, attempt: int) -> tuple[str, bytes]:
        """``/decision start ...`` typed for run ``run`` (its ``attempt``-th time): its trigger id and body."""
        k = self.k
        trigger = f"{k}.{run}.{attempt}"
        form = {"token": "x", "team_id": TEAM, "api_app_id": APP, "channel_id": f"C{k}", "channel_name": f"c{k}",
                "user_id": f"UF{k}", "command": "/decision", "text": f"start post_meeting <@UO{k}> Torture {k}-{run}",
                "trigger_id": trigger, "response_url": "http://127.0.0.1:1/never"}  # fmt: skip
        return trigger, urlencode(form).encode()

    def event(self, run: int, i: int, thread: str) -> dict[str, Any]:
        k = self.k
        owner, channel = f"UO{k}", f"C{k}"
        ts = f"{1900000000 + run * 10 + i}.{k:06d}"
        if i == 0:
            text = f"<@{BOT_USER}> start post_meeting <@{owner}> Torture {k}-{run}"
            return {"type": "app_mention", "user": f"UF{k}", "text": text, "channel": channel, "ts": thread}
        if i == 6:
            return {"type": "message", "channel_type": "im", "user": owner, "text": "yes", "channel": f"D{owner}",
                    "ts": ts}  # fmt: skip
        texts = ["", f"We decide {k}-{run}", f"Draft plan {k}-{run}", f"<@{owner}>", JAN15, "done", "", "ok"]
        return {"type": "message", "channel_type": "channel", "user": f"UF{k}", "text": texts[i], "channel": channel,
                "ts": ts, "thread_ts": thread}  # fmt: skip


class Load:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.events = 0
        self.acked: list[dict[str, Any]] = []  # events acknowledged with 200
        self.slashes: list[dict[str, Any]] = []  # slash commands answered 200: trigger id, the answer's text
        self.retries = 0
        self.statuses: Counter[str] = Counter()
        self.runs = 0  # runs the load went through to their last event

    async def slash_start(self, session: ClientSession, conv: Conversation, run: int) -> str:
        """Run ``run`` started by ``/decision start``, typed again until it started one: its thread's ts."""
        attempt = 0
        while True:
            attempt += 1
            self.events += 1
            trigger, body = conv.slash(run, attempt)
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": str(SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body))}  # fmt: skip
            try:
                async with session.post(self.server.url, data=body, headers=headers) as resp:
                    said = (await resp.json())["text"] if resp.status == 200 else None
                    self.statuses[f"slash {resp.status}"] += 1
            except (TimeoutError, ClientError, OSError, ValueError, KeyError) as exc:
                said = None
                self.statuses[f"slash {type(exc).__name__}"] += 1
            if said is not None:
                self.slashes.append({"trigger": trigger, "said": said})
            thread = await thread_of(self.server.db, f"cmd:{trigger}")
            if thread is not None:
                return thread
            self.retries += 1
            await asyncio.sleep(0.2)

    async def send(self, session: ClientSession, k: int, n: int, event: dict[str, Any]) -> None:
        """One event until it is acknowledged with 200, as Slack retries it (same body, same id)."""
        self.events += 1
        event_id = f"Ev{k:03d}x{n:04d}"
        body = json.dumps({"token": "x", "team_id": TEAM, "api_app_id": APP, "type": "event_callback",
                           "event": event, "event_id": event_id, "event_time": int(time.time())}).encode()  # fmt: skip
        attempt = 0
        while True:
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": str(SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body))}  # fmt: skip
            if attempt:
                headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_error"}
            try:
                async with session.post(self.server.url, data=body, headers=headers) as resp:
                    await resp.read()
                    self.statuses[str(resp.status)] += 1
                    if resp.status == 200:
                        self.acked.append({"event_id": event_id, "event": event, "attempts": attempt + 1})
                        return
            except (TimeoutError, ClientError, OSError) as exc:
                self.statuses[type(exc).__name__] += 1
            attempt += 1
            self.retries += 1
            await asyncio.sleep(0.2)

    async def conversation(
        self, session: ClientSession, conv: Conversation, rounds: int, kills: asyncio.Task[int]
    ) -> None:
        """``rounds`` runs of post_meeting, and more while the server is still to be killed."""
        run = 0
        while run < rounds or not kills.done():
            thread = await self.slash_start(session, conv, run) if conv.by_slash(run) else conv.mention_ts(run)
            for i in range(1 if conv.by_slash(run) else 0, TURNS):
                await self.send(session, conv.k, run * TURNS + i, conv.event(run, i, thread))
                await asyncio.sleep(random.uniform(0.0, 0.15))
            run += 1
            self.runs += 1


async def killer(server: Server, kills: int, gap: tuple[float, float], overlap: bool) -> int:
    """SIGKILL the server at random moments, restarting it at once on the same ledger (with
    ``overlap``, starting the new one first, as in a rolling restart)."""
    n = 0
    while n < kills:
        await asyncio.sleep(random.uniform(*gap))
        n += 1
        if overlap:
            await asyncio.to_thread(server.replace)
            continue
        server.kill()
        await asyncio.to_thread(server.start)
    return n


async def thread_of(db: str, platform_id: str) -> str | None:
    """The thread of the run the start delivered as ``platform_id`` began, once the ledger has it
    (as its person sees the root in the channel); None: it started none."""
    for _ in range(600):  # a run started with no root of its own (paced) gets its thread with its first question
        with sqlite3.connect(db, timeout=30) as conn:
            row = conn.execute(
                "SELECT t.thread_ts, m.run_id FROM messages m LEFT JOIN slack_threads t ON t.run_id = m.run_id"
                " WHERE m.platform_id = ? AND m.kind = 'start' AND m.run_id IS NOT NULL",
                (platform_id,),
            ).fetchone()
        if row is None:
            return None
        if row[0] is not None:
            return str(row[0])
        await asyncio.sleep(0.2)
    raise AssertionError(f"the run {platform_id} started has no thread")


async def fake_calls(api: str) -> list[dict[str, Any]]:
    async with ClientSession() as session, session.get(f"{api}/_calls") as resp:
        return list(await resp.json())


def undelivered(db: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
                                " AND failed_at IS NULL AND channel = 'slack'").fetchone()[0])  # fmt: skip


async def settle(db: str, stall: float) -> None:
    """Wait until the outbox is empty, or has not moved for ``stall`` seconds (the pacing of one
    message a second per Slack channel drains a long backlog slowly)."""
    left, moved = undelivered(db), time.monotonic()
    while left and time.monotonic() - moved < stall:
        await asyncio.sleep(1.0)
        now_left = undelivered(db)
        if now_left < left:
            moved = time.monotonic()
        left = now_left
    await asyncio.sleep(2.0)  # late calls reach the fake


async def torture(args: argparse.Namespace) -> int:
    random.seed(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="crash-torture-"))
    db, log = str(tmp / "ledger.db"), tmp / "server.log"
    api_port, port = free_port(), free_port()
    slow = ["--slow", f"chat.postMessage={args.post_delay}"] if args.post_delay else []
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.slack_api", "--port", str(api_port), *slow], cwd=ROOT)
    server = Server(db, port, api_port, log)
    try:
        wait_port(api_port)
        server.start()
        load = Load(server)
        began = time.monotonic()
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            kills = asyncio.create_task(killer(server, args.kills, (args.min_gap, args.max_gap), args.overlap))
            await asyncio.gather(*(load.conversation(session, Conversation(k), args.rounds, kills)
                                   for k in range(args.conversations)))  # fmt: skip
            killed = await kills
        loaded = time.monotonic() - began
        await settle(db, args.settle)
        calls = await fake_calls(f"http://127.0.0.1:{api_port}")
        (tmp / "calls.json").write_text(json.dumps(calls))
        (tmp / "kills.json").write_text(json.dumps(server.killed_at))
        result = check(db, load.acked, calls, load.runs, server.killed_at, load.slashes)
    finally:
        server.stop()
        fake.terminate()
        fake.wait(timeout=10)
    figures = {"kills": killed, "server_starts": server.starts, "seconds_under_load": round(loaded, 1),
               "runs_driven": load.runs, "events": load.events, "acks": len(load.acked), "retries": load.retries,
               "acked_after_retry": sum(1 for a in load.acked if a["attempts"] > 1),
               "slash_starts_answered": len(load.slashes),
               "responses": dict(load.statuses), **result, "ledger": db, "server_log": str(log)}  # fmt: skip
    print(json.dumps(figures, indent=1))
    dups = result["duplicates"]
    stray_duplicates = (dups["most_in_one_conversation_at_one_kill"] > 1
                        or (dups["farthest_from_a_kill_s"] or 0) > DUPLICATE_WINDOW_S + args.post_delay)  # fmt: skip
    broken = (stray_duplicates or result["acked_without_turn"] or result["turns_recorded_twice"] or result["answers_twice"]
              or result["starts_without_run"] or result["slash_answers_untrue"] or result["roots_wrong"]
              or len(result["run_shapes"]) > 1 or not result["runs_ok"] or result["lost"] or result["given_up"]
              or result["not_at_fake"]
        or result["integrity_check"] != "ok" or result["out_of_order"])  # fmt: skip
    return 1 if broken else 0


#: How far from a kill a reply in flight as the server died may reach the fake: a post's round trip
#: and its mark's commit (seen: within 0.15 s), with room for a loaded machine.
DUPLICATE_WINDOW_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument(
        "--rounds", type=int, default=4, help="runs per conversation at least (more while kills remain)"
    )
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--min-gap", type=float, default=0.5, help="seconds between kills, at least")
    parser.add_argument("--max-gap", type=float, default=3.0, help="seconds between kills, at most")
    parser.add_argument(
        "--settle", type=float, default=30.0, help="seconds the outbox may stand still before a reply counts as lost"
    )
    parser.add_argument("--post-delay", type=float, default=0.0,
                        help="seconds the fake takes to answer chat.postMessage (kills then land mid-post)")  # fmt: skip
    parser.add_argument("--overlap", action="store_true",
                        help="start each new server before the old one is killed (a rolling restart)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    sys.exit(asyncio.run(torture(parser.parse_args())))


if __name__ == "__main__":
    main()
