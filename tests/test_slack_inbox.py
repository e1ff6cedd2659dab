"""Slack's events are kept, acknowledged, then turned (``bot.channels.slack_inbox``): Slack's 200
leaves once the event is stored and before its turn runs; an event acknowledged before a crash
(SIGKILL) or not begun at a stop is turned by the next server; a turn that keeps failing is given up,
kept with why, and said once; the events of one conversation are turned in the order they came.
Requests are signed for real against the fake Web API; the crash is a real ``decisionbot serve``
killed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.slack_api import FakeSlack
from tests.rasa_support import free_port
from tests.serve_process import CLI
from tests.slack_support import (
    ROOT,
    SECRET,
    Harness,
    committed,
    committed_rows,
    event_body,
    harness,
    message,
    sign,
    slash_body,
    wait_for,
)

INBOUND = "SELECT text FROM messages WHERE direction = 'in' AND kind != 'start' ORDER BY id"
KEPT = "SELECT event_id, tries FROM slack_inbox"


async def acknowledged(slack: Harness, body: bytes) -> tuple[int, float]:
    """Post ``body`` signed; its status and how long Slack would have waited for it (its turn not waited for)."""
    began = time.monotonic()
    resp = await slack.client.post(
        "/slack/events", data=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    return resp.status, time.monotonic() - began


async def test_the_acknowledgement_leaves_once_the_event_is_stored_before_its_turn(slack: Harness) -> None:
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]
    slack.fake.slow_down("users.info", 0.8)  # the turn looks up a new person's name
    body = event_body(message("UA", "We ship with <@UNEW>", thread_ts=thread), event_id="EvFirst")
    status, took = await acknowledged(slack, body)
    assert status == 200 and took < 0.5, took
    assert committed_rows(slack, KEPT) == [("EvFirst", 0)]  # on the disk before Slack had its 200
    assert committed_rows(slack, INBOUND) == []  # the turn still under way
    await slack.turned()
    assert committed_rows(slack, INBOUND) == [("We ship with @unew",)]
    assert committed_rows(slack, KEPT) == []
    assert (await slack.posts(3))[2]["text"] == "<@UA> Action 1: What is the action?"


async def test_answers_typed_one_after_the_other_are_taken_in_that_order(slack: Harness) -> None:
    """The first answer's turn waits for a name from Slack; the second, acknowledged meanwhile,
    waits for it rather than answering the first question."""
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]
    slack.fake.slow_down("users.info", 0.5)
    first = event_body(message("UA", "We ship with <@UNEW>", thread_ts=thread))
    second = event_body(message("UA", "Draft the plan", thread_ts=thread))
    assert (await acknowledged(slack, first))[0] == 200
    assert (await acknowledged(slack, second))[0] == 200
    await slack.turned()
    answers = committed_rows(slack, "SELECT step, raw FROM answers ORDER BY id")
    assert answers[:2] == [("decision", "We ship with @unew"), ("actions", "Draft the plan")]


async def test_an_answer_typed_in_the_thread_of_a_start_mention_waits_for_its_start(slack: Harness) -> None:
    """Alice mentions the bot to start a run in C1, naming Bob, whose name Slack is slow to give;
    she types the decision in her message's thread at once, before the question is there. Her
    answer waits for the start (her message roots the thread: one conversation) and is taken.
    Before, the mention was ordered with the channel's messages and her reply with the thread's:
    it was turned first, found no run in the thread, and was dropped without a trace."""
    slack.fake.slow_down("users.info", 0.5)
    root = "1800000000.700000"
    start = message("UA", "<@UBOT> start post_meeting <@UB> Weekly", ts=root, type="app_mention")
    del start["channel_type"]  # app_mention events carry none
    assert (await acknowledged(slack, event_body(start)))[0] == 200
    assert (await acknowledged(slack, event_body(message("UA", "We ship in March", thread_ts=root))))[0] == 200
    await slack.turned()
    assert committed_rows(slack, "SELECT step, raw FROM answers ORDER BY id") == [("decision", "We ship in March")]
    assert committed_rows(slack, "SELECT state FROM runs") == [("actions",)]


async def test_a_turn_that_keeps_failing_is_given_up_kept_with_why_and_said_once(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """An event on its last try (kept by an earlier server, its turn failed four times): its turn
    fails again, so it is kept with why, logged once as an error naming the fix, and not run
    again."""
    slack = await harness(tmp_path, fake)
    try:
        await slack.slash("UA", "start post_meeting Weekly")
        thread = (await slack.posts(2))[0]["ts"]
        conn = slack.services.db.conn
        conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON answers WHEN new.raw = 'explode'"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        await slack.turned()
        slack.channel.inbox.stopping = True  # (no pass while the row is set up)
        body = event_body(message("UA", "explode", thread_ts=thread), event_id="EvDoomed")
        assert (await acknowledged(slack, body))[0] == 200
        conn.execute("UPDATE slack_inbox SET tries = 4, failed = 'earlier', retry_at = NULL")
        slack.channel.inbox.stopping = False
        with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
            await wait_for(lambda: committed_rows(slack, KEPT) == [("EvDoomed", 5)], timeout=5)
            await asyncio.sleep(1.5)  # passes over the inbox go on: it is not run again
        assert committed_rows(slack, "SELECT tries, failed FROM slack_inbox") == [(5, "IntegrityError: disk on fire")]
        given_up = [r for r in caplog.records if "no longer run" in r.getMessage()]
        assert len(given_up) == 1 and given_up[0].levelno == logging.ERROR
        assert "EvDoomed" in given_up[0].getMessage() and "slack retry EvDoomed" in given_up[0].getMessage()
        assert committed_rows(slack, "SELECT count(*) FROM answers") == [(0,)]
    finally:
        await slack.client.close()


async def test_a_turn_not_begun_at_the_stop_stays_kept_and_the_next_server_turns_it(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """The stop lets the turn under way end; the next event of its thread, acknowledged and
    waiting behind it, is not begun: it stays kept, and the next server turns it."""
    slack = await harness(tmp_path, fake)
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]
    fake.slow_down("users.info", 3.0)  # the first turn waits for a name (given up after a second: its id kept)
    first = event_body(message("UA", "We ship with <@UNEW>", thread_ts=thread), event_id="EvFirst")
    second = event_body(message("UA", "Draft the plan", thread_ts=thread), event_id="EvSecond")
    assert (await acknowledged(slack, first))[0] == 200
    assert (await acknowledged(slack, second))[0] == 200
    await slack.client.close()  # the stop
    ledger = tmp_path / "slack.db"
    assert committed(ledger, KEPT) == [("EvSecond", 0)]
    assert committed(ledger, INBOUND) == [("We ship with @UNEW",)]
    again = await harness(tmp_path, fake)  # the next server, on the same ledger
    try:
        await wait_for(lambda: len(committed(ledger, INBOUND)) == 2)
        await again.turned()
        assert committed(ledger, INBOUND) == [("We ship with @UNEW",), ("Draft the plan",)]
        assert committed(ledger, KEPT) == []
        await wait_for(lambda: any("Who owns 'Draft the plan'" in p["text"] for p in fake.posted()))
    finally:
        await again.client.close()


@contextlib.asynccontextmanager
async def serving(db: Path, fake: FakeSlack) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """``decisionbot serve`` over HTTP against ``fake``, as a process of its own; its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url, PYTHONPATH=str(ROOT))
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        str(CLI), "--db", str(db), "--flows", str(ROOT / "flows"), "serve", "--port", str(port), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            break
                assert time.monotonic() < deadline, "serve did not start"
                await asyncio.sleep(0.1)
        yield server, base
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


async def post(base: str, body: bytes, form: bool = False) -> int:
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    headers = {"Content-Type": kind, **sign(body)}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/slack/events", data=body, headers=headers) as r,
    ):
        return r.status


async def test_an_event_acknowledged_before_a_crash_is_turned_by_the_restarted_server(
    tmp_path: Path, fake: FakeSlack
) -> None:
    db = tmp_path / "ledger.db"
    async with serving(db, fake) as (server, base):
        assert await post(base, slash_body("UA", "start post_meeting Weekly"), form=True) == 200
        thread = (await wait_for(lambda: len(fake.posted()) >= 2 and fake.posted()))[0]["ts"]
        fake.slow_down("users.info", 30.0)  # the turn is under way when the process dies
        body = event_body(message("UA", "We ship with <@UNEW>", thread_ts=thread), event_id="EvCrash")
        assert await post(base, body) == 200
        await wait_for(lambda: any(c.args.get("user") == "UNEW" for c in fake.of("users.info")))
        server.send_signal(signal.SIGKILL)
        await server.wait()
    assert committed(db, KEPT) == [("EvCrash", 0)] and committed(db, INBOUND) == []
    fake.slow_down("users.info", 0.0)
    async with serving(db, fake) as (_, base):
        await wait_for(lambda: committed(db, INBOUND) == [("We ship with @unew",)], timeout=15)
        await wait_for(lambda: committed(db, KEPT) == [])
        question = await wait_for(lambda: len(fake.posted()) >= 3 and fake.posted())
        assert question[2]["text"] == "<@UA> Action 1: What is the action?"
        assert await post(base, body) == 200  # Slack's retry after all: a repeat
        await asyncio.sleep(0.5)
        assert committed(db, INBOUND) == [("We ship with @unew",)] and len(fake.posted()) == 3


async def test_a_failed_turn_says_when_it_runs_again_and_its_traceback_once(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Each failed try said "kept, it runs again within a second" (it runs after 1 s, then 10 s,
    1 min, 5 min) and dumped its traceback every time. Now each says when, the first alone
    with the traceback."""
    slack = await harness(tmp_path, fake)
    try:
        await slack.slash("UA", "start post_meeting Weekly")
        thread = (await slack.posts(2))[0]["ts"]
        slack.services.db.conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON answers WHEN new.raw = 'explode'"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        body = event_body(message("UA", "explode", thread_ts=thread), event_id="EvTwice")
        with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
            assert (await acknowledged(slack, body))[0] == 200
            await wait_for(lambda: committed_rows(slack, "SELECT tries FROM slack_inbox") == [(2,)], timeout=10)
        failed = [r for r in caplog.records if "its turn failed (try" in r.getMessage()]
        assert [r.getMessage().split("; kept, ")[1] for r in failed] == [
            "it runs again in about 1 s.",
            "it runs again in about 10 s.",
        ]
        assert [r.exc_info is not None for r in failed] == [True, False]
    finally:
        await slack.client.close()
