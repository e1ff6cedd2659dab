"""Bursts in one Slack workspace, against the fake Web API rate-limited as Slack is (its
``slack_tiers``: ``chat.postMessage`` about one a second per channel after a burst of 4,
``conversations.open`` 50 a minute after 10, ``users.info`` 100 a minute after 20; 429 with
``Retry-After`` beyond), the real server (``create_app``, its own pacing) and slack-sdk:

- ``meeting``: after an all-hands, a facilitator starts N runs in one channel (``/decision start``,
  signed slash commands, one every ``--spread`` seconds); once all are asked, every facilitator
  answers at once;
- ``storm``: an alert storm, N runs in one route channel (the generic hook, one request);
- ``owners``: one decision whose question goes to N people at once, each by direct message;
- ``named``: an alert naming N participants, each looked up (``users.info``) before it starts; how
  long until all are named (those a 429 held back looked up again in the background);
- ``uninvited`` (not run by default): N ``/decision start`` at once in a channel the bot is not in:
  how many are told to invite it, and how many that their run started (none should be).

Meanwhile someone answers in a quiet channel every second: how long a reply there waits (it
should not wait for the busy channel). ``--latency`` makes every Slack call answered that late
(Slack's own latency, ~0.1-0.3 s in practice). Figures: time until the last thread got its first
question, until the last owner got their DM; p50/p99 of reply delays; the most messages sent to
one channel within any second; the 429s Slack answered; messages lost or posted twice.

    python bench/bench_burst.py [--scenarios meeting,storm,owners] [--runs 30] [--alerts 40]
                                [--owners 150] [--spread 0.1] [--latency 0.0] [--uninvited 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.channels.slack_limits import Pacer, dm_opens  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.slack_support import ASK_ALL, Harness, harness, message  # noqa: E402

TOKEN = "bench-hook-token"
QUIET = "CQUIET"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def peak_rate(fake: FakeSlack, channel: str | None = None) -> int:
    """The most successful chat.postMessage calls to one channel (or ``channel``) in any 1 s window."""
    at: dict[str, list[float]] = {}
    for c in fake.of("chat.postMessage"):
        if c.result.get("ok") and (channel is None or c.args.get("channel") == channel):
            at.setdefault(str(c.args.get("channel")), []).append(c.at)
    best = 0
    for times in at.values():
        times.sort()
        j = 0
        for i, t in enumerate(times):
            while times[j] <= t - 1.0:
                j += 1
            best = max(best, i - j + 1)
    return best


def doubles(fake: FakeSlack) -> int:
    """Messages posted twice: the same text to the same channel and thread."""
    seen = Counter((p["channel"], p.get("thread_ts"), p["text"]) for p in fake.posted())
    return sum(n - 1 for n in seen.values() if n > 1)


def answered_since(fake: FakeSlack, since: float) -> bool:
    """Whether a call to the quiet channel succeeded since ``since`` (by time, not by the index
    of the fake's calls, which the owners scenario clears once everyone is named)."""
    for c in reversed(fake.calls):
        if c.at < since:
            return False
        if c.args.get("channel") == QUIET and c.result.get("ok"):
            return True
    return False


async def quiet_talker(slack: Harness, stop: asyncio.Event, delays: list[float]) -> None:
    """Someone in a quiet channel says something the bot answers, once a second: each delay
    from their message to the bot's answer (an ephemeral 'nothing waits on you' or a reply)."""
    n = 0
    while not stop.is_set():
        n += 1
        sent = time.monotonic()
        await slack.event(message("UQ", f"<@UBOT> status {n}", channel=QUIET, type="app_mention"))
        while not answered_since(slack.fake, sent):
            if time.monotonic() - sent > 60:
                break
            await asyncio.sleep(0.005)
        delays.append(time.monotonic() - sent)
        await asyncio.sleep(1.0)


async def until(predicate: Any, timeout: float = 600.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        await asyncio.sleep(0.01)
    raise TimeoutError("the burst did not drain in time")


def first_posts(fake: FakeSlack, since: int, match: Any) -> dict[Any, float]:
    """When each conversation got its first successful post that ``match``es (key -> arrival)."""
    found: dict[Any, float] = {}
    for c in fake.calls[since:]:
        if c.method == "chat.postMessage" and c.result.get("ok"):
            key = match(c)
            if key is not None and key not in found:
                found[key] = c.at
    return found


async def meeting(slack: Harness, args: argparse.Namespace) -> dict[str, Any]:
    fake, began = slack.fake, time.monotonic()

    async def start(i: int) -> bool:
        await asyncio.sleep(i * args.spread)
        answer = await slack.slash(f"U{i:03d}", f"start post_meeting Sync {i}", channel="C1")
        return str(answer.get("text")).startswith("Started run")

    ok = await asyncio.gather(*(start(i) for i in range(args.runs)))
    started = time.monotonic() - began
    runs = sum(ok)

    def asked(c: Any) -> str | None:
        if "What was decided" not in str(c.args.get("text")):
            return None
        return c.args.get("thread_ts") or c.result.get("ts")  # a run started unrooted: the question is the root

    firsts = await until(lambda: len(found := first_posts(fake, 0, asked)) >= runs and found)
    facilitators = slack.rows(
        "SELECT t.thread_ts, r.facilitator_id FROM slack_threads t JOIN runs r ON r.id = t.run_id WHERE t.channel = 'C1'"
    )
    threads = {str(ts): str(who).split(":", 1)[1] for ts, who in facilitators}
    mark = len(fake.calls)
    answered: dict[str, float] = {}
    for thread, user in threads.items():
        answered[thread] = time.monotonic()
        await slack.event(message(user, "We ship in March", channel="C1", thread_ts=thread))

    def next_question(c: Any) -> str | None:
        return c.args.get("thread_ts") if "What is the action" in str(c.args.get("text")) else None

    replies = await until(lambda: len(found := first_posts(fake, mark, next_question)) >= len(threads) and found)
    delays = [replies[t] - answered[t] for t in threads]
    return {
        "starts answered (s)": started,
        "starts refused": args.runs - runs,
        "last thread asked (s after first start)": max(firsts.values()) - began,
        "replies p50 (s)": pct(delays, 50),
        "replies p99 (s)": pct(delays, 99),
        "last reply (s)": max(delays),
    }


async def storm(slack: Harness, args: argparse.Namespace) -> dict[str, Any]:
    fake, began = slack.fake, time.monotonic()
    events = [
        {"title": f"Disk full on db-{i}", "dedup_key": f"disk-{i}", "channel": "slack:C0OPS", "facilitator": "UOPS"}
        for i in range(args.alerts)
    ]
    resp = await slack.client.post("/hooks/events", json=events, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    answered = time.monotonic() - began

    def root(c: Any) -> str | None:
        return c.result.get("ts") if c.args.get("channel") == "C0OPS" and "thread_ts" not in c.args else None

    firsts = await until(lambda: len(found := first_posts(fake, 0, root)) >= args.alerts and found)
    return {"hook answered (s)": answered, "last run asked (s)": max(firsts.values()) - began}


async def owners(slack: Harness, args: argparse.Namespace) -> dict[str, Any]:
    """The facilitator names N people (Slack's limits off meanwhile), then says 'done': from then."""
    fake, tiers = slack.fake, dict(slack.fake.tiers)
    fake.tiers.clear()
    pacer, slack.channel.poster.pacer = slack.channel.poster.pacer, Pacer(interval=0.0)
    await slack.slash("UOPS", "start ask_all the new on-call rota", channel="C0ALL")
    thread = str((await until(lambda: [p for p in fake.posted() if p["text"].endswith("Who?")]))[0]["thread_ts"])
    people = [f"UP{i:04d}" for i in range(args.owners)]
    for person in people:
        n = len(fake.posted())
        await slack.event(message("UOPS", f"<@{person}>", channel="C0ALL", thread_ts=thread))
        await until(lambda n=n: len(fake.posted()) > n)
    fake.tiers.update(tiers)
    slack.channel.poster.pacer = pacer
    del fake.calls[:]  # the figures are of the burst, not of the naming
    mark, began = 0, time.monotonic()
    await slack.event(message("UOPS", "done", channel="C0ALL", thread_ts=thread))

    def dm(c: Any) -> str | None:
        channel = str(c.args.get("channel"))
        return channel if channel.startswith("D") and "Do you agree" in str(c.args.get("text")) else None

    firsts = await until(lambda: len(found := first_posts(fake, mark, dm)) >= args.owners and found)
    waits = [t - began for t in firsts.values()]
    return {
        "owners DM'd p50 (s)": pct(waits, 50),
        "last owner DM'd (s)": max(waits),
        "conversations.open 429s": len([c for c in fake.limited if c.method == "conversations.open"]),
    }


async def named(slack: Harness, args: argparse.Namespace) -> dict[str, Any]:
    """An alert naming N participants: each looked up (users.info) before its run starts."""
    fake, began = slack.fake, time.monotonic()
    people = [f"UN{i:04d}" for i in range(args.owners)]
    event = {"title": "Checkout down", "channel": "slack:C0ALL", "facilitator": "UOPS", "participants": people}
    resp = await slack.client.post("/hooks/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    answered = time.monotonic() - began
    await until(lambda: [p for p in fake.posted() if p["channel"] == "C0ALL"])
    asked = time.monotonic() - began

    def stored() -> int:
        return int(slack.rows("SELECT count(*) FROM people WHERE id LIKE 'slack:UN%'")[0][0])

    at_start = stored()
    try:
        await until(lambda: stored() >= len(people), timeout=args.named_wait)
        everyone: object = f"{time.monotonic() - began:.2f}"
    except TimeoutError:
        everyone = f"not within {args.named_wait:g} s ({stored()} of {len(people)})"
    [(context,)] = slack.rows("SELECT context FROM runs")
    by_id = [p for p in json.loads(context)["roles"]["participants"] if p["name"] == p["id"].split(":", 1)[1]]
    return {
        "hook answered (s)": answered,
        "run asked (s)": asked,
        "people named when the run started": at_start,
        "everyone named, cached and stored (s)": everyone,
        "run's participants still by id": len(by_id),
        "users.info calls": len(fake.of("users.info")),
        "users.info 429s": len([c for c in fake.limited if c.method == "users.info"]),
    }


async def uninvited(slack: Harness, args: argparse.Namespace) -> dict[str, Any]:
    """``--uninvited`` starts at once in a channel the bot is not in (``not_in_channel``): each
    should be told to invite the bot, none that its run started (its first question to come)."""
    slack.fake.shut_out("C9")
    began = time.monotonic()

    async def start(i: int) -> tuple[str, float]:
        answer = await slack.slash(f"U{i:03d}", f"start post_meeting Sync {i}", channel="C9")
        return str(answer.get("text")), time.monotonic() - began

    said = await asyncio.gather(*(start(i) for i in range(args.uninvited)))
    return {
        "starts": len(said),
        "told 'Started' (falsely)": sum(text.startswith("Started") for text, _ in said),
        "told to invite the bot": sum("/invite @decisionbot" in text for text, _ in said),
        "runs stored": slack.rows("SELECT count(*) FROM runs")[0][0],
        "slowest answer (s)": max(took for _, took in said),
    }


SCENARIOS = {"meeting": meeting, "storm": storm, "owners": owners, "named": named, "uninvited": uninvited}


class Counted(logging.Handler):
    """Log records that speak of users.info (a warning a person, or one a minute)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "users.info" in record.getMessage()


lookups_said = Counted()
logging.getLogger("decisionbot").addHandler(lookups_said)


async def one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    lookups_said.count = 0
    fake = await FakeSlack().start()
    fake.slack_tiers()
    if args.latency:
        for method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "conversations.open", "users.info"):
            fake.slow_down(method, args.latency)
    with tempfile.TemporaryDirectory() as tmp:
        flows = Path(tmp) / "flows"
        flows.mkdir()
        for f in (ROOT / "flows").glob("*.yaml"):
            (flows / f.name).write_text(f.read_text())
        (flows / "ask_all.yaml").write_text(ASK_ALL)
        env = {"DECISIONBOT_HOOK_TOKEN": TOKEN}
        slack = await harness(Path(tmp), fake, env=env, flows=flows)
        slack.channel.poster.pacer = Pacer()  # the server's own pacing, as in production
        slack.channel.poster.dms.opens = dm_opens()  # (the harness turns both off)
        stop, quiet = asyncio.Event(), []
        talker = asyncio.ensure_future(quiet_talker(slack, stop, quiet))
        try:
            figures = await SCENARIOS[name](slack, args)
        finally:
            stop.set()
            await talker
            await slack.client.close()
            await fake.stop()
    figures["quiet channel replies p50 (s)"] = pct(quiet, 50)
    figures["quiet channel replies max (s)"] = max(quiet) if quiet else float("nan")
    figures["most posts to one channel in 1 s"] = peak_rate(fake)
    figures["429s from chat.postMessage"] = len([c for c in fake.limited if c.method == "chat.postMessage"])
    figures["posted twice"] = doubles(fake)
    figures["log lines about users.info"] = lookups_said.count
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="meeting,storm,owners,named")
    parser.add_argument("--runs", type=int, default=30, help="runs started in one channel (meeting)")
    parser.add_argument("--alerts", type=int, default=40, help="runs an alert storm starts in one channel")
    parser.add_argument("--owners", type=int, default=150, help="people one question goes to (owners)")
    parser.add_argument("--spread", type=float, default=0.1, help="seconds between two /decision start")
    parser.add_argument("--named-wait", type=float, default=180.0, help="seconds to wait for everyone named (named)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every Slack call takes")
    parser.add_argument("--uninvited", type=int, default=8, help="starts at once where the bot is not (uninvited)")
    args = parser.parse_args()
    for name in args.scenarios.split(","):
        figures = asyncio.run(one(name, args))
        print(f"{name}:")
        for key, value in figures.items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            print(f"  {key:45} {shown}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
