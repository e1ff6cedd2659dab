"""A ``/decision start`` whose outcome is not known within Slack's 3 s (Slack slow to take the
thread's root, the channel busy) is answered "working on it" in time, and its real outcome
("Started run #N", or the refusal and its fix) is told at the command's ``response_url`` once it
is known and stored; a response_url not on Slack's hosts (nor the fake's, in tests) is never
called. The real server and slack-sdk against the fake Web API, requests signed for real."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.channels.slack_late import ResponseUrls
from bot.channels.slack_limits import Pacer
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, slash_body, wait_for
from tests.test_slack_late_clicks import ledger_held

RUNS = "SELECT count(*) FROM runs"


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


async def test_a_start_slack_is_slow_to_root_is_told_working_on_it_then_started_at_its_response_url(
    slack: Harness, fake: FakeSlack
) -> None:
    """Slack takes the thread's root after 3.5 s. Before: answered "Slack refused my message (no
    answer in time); nothing was started", and the root taken back once it came."""
    fake.slow_down("chat.postMessage", 3.5)
    began = time.monotonic()
    answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("r1"))
    assert time.monotonic() - began < 2.9  # Slack's 3 s
    assert answer["response_type"] == "ephemeral" and answer["text"].startswith("Working on it")
    assert "nothing was started" not in answer["text"]
    told = await wait_for(lambda: fake.responses("r1"), timeout=10)
    assert told[0]["response_type"] == "ephemeral" and told[0]["text"].startswith("Started run #1")
    assert slack.rows("SELECT id, status FROM runs") == [(1, "active")]
    [root] = [p for p in fake.posted() if not p.get("thread_ts")]
    assert slack.rows("SELECT run_id FROM slack_threads WHERE thread_ts = ?", root["ts"]) == [(1,)]
    await asyncio.sleep(0.5)
    assert fake.of("chat.delete") == [] and len(fake.responses("r1")) == 1  # kept, told once


async def test_a_start_answered_in_time_tells_nothing_later(slack: Harness, fake: FakeSlack) -> None:
    answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("r2"))
    assert answer["text"].startswith("Started run #1")
    await asyncio.sleep(0.5)
    assert fake.responses() == [] and slack.rows(RUNS) == [(1,)]


async def test_a_late_start_the_channel_refuses_gets_the_refusal_and_its_fix_at_its_response_url(
    slack: Harness, fake: FakeSlack
) -> None:
    fake.slow_down("chat.postMessage", 3.2)
    fake.shut_out("C9")
    answer = await slack.slash(
        "UA", "start post_meeting Weekly sync", channel="C9", response_url=fake.response_url("r3")
    )
    assert answer["text"].startswith("Working on it")
    told = await wait_for(lambda: fake.responses("r3"), timeout=10)
    assert "Invite me first (/invite @decisionbot)" in told[0]["text"]
    assert slack.rows(RUNS) == [(0,)]


async def test_a_late_start_held_by_the_channels_pace_is_told_started_at_its_response_url(
    slack: Harness, fake: FakeSlack
) -> None:
    """Eight starts at once in one channel while Slack takes 3 s to post each: the channel's pacing
    takes four roots at once, a fifth a second later; the three beyond start with no root of their
    own once the roots under way there say the channel takes the bot's posts: past 3 s. Before,
    those were told "no answer in time", nothing started. Each is now told how it went."""
    slack.channel.poster.pacer = Pacer()  # the server's own pacing, as in production
    fake.slow_down("chat.postMessage", 3.0)
    urls = [fake.response_url(f"b{n}") for n in range(8)]
    starts = (slack.slash("UA", f"start post_meeting Sync {n}", response_url=url) for n, url in enumerate(urls))
    answers = await asyncio.gather(*starts)
    late = [n for n, a in enumerate(answers) if a["text"].startswith("Working on it")]
    assert late  # (all of them, Slack being that slow)
    await wait_for(lambda: all(fake.responses(f"b{n}") for n in late), timeout=15)
    said = [a["text"] for a in answers if not a["text"].startswith("Working")]
    said += [fake.responses(f"b{n}")[0]["text"] for n in late]
    assert sorted(s.split(" (")[0] for s in said) == sorted(f"Started run #{n}" for n in range(1, 9))
    assert sum("Slack takes about one message a second" in s for s in said) == 3  # no root of their own
    assert slack.rows(RUNS) == [(8,)]


async def test_a_foreign_response_url_is_never_called(slack: Harness, fake: FakeSlack) -> None:
    """Another server's URL (another port on this machine: not the Web API's, nor Slack's hooks):
    the start is answered within Slack's 3 s as before, and that URL is never called."""
    other = await FakeSlack().start()
    try:
        fake.slow_down("chat.postMessage", 3.5)
        answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=other.response_url("x"))
        assert (
            "nothing was started" in answer["text"] and "did not take the run's first message in time" in answer["text"]
        )
        await wait_for(lambda: fake.of("chat.delete"), timeout=8)  # the root taken back, as before
        await asyncio.sleep(0.5)
        assert other.calls == [] and fake.responses() == []
        assert slack.rows(RUNS) == [(0,)]
    finally:
        await other.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/commands/T1/1/x",
        "https://hooks.slack.com.evil.example/commands/T1/1/x",
        "https://evil.example/commands",
        "https://user:pw@hooks.slack.com/commands/T1/1/x",
        "",
        "not a url",
        "https://hooks.slack.com:8443/commands/T1/1/x",
        "https://slack.com.evil.example/api/",
        "https://slack.com/api/chat.postMessage",  # the Web API's own origin, in production: not a response_url
    ],
)
def test_only_slacks_response_urls_are_usable(url: str) -> None:
    responses = ResponseUrls(None, "https://slack.com/api/")  # type: ignore[arg-type]
    assert not responses.usable(url)
    assert responses.usable("https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN")


async def test_a_response_url_slack_refuses_for_now_is_posted_again_and_never_logged(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.slow_down("chat.postMessage", 3.2)
    fake.refuse("response", status=503)
    fake.refuse("response", status=429, retry_after="0")
    await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("r4"))
    told = await wait_for(lambda: fake.responses("r4"), timeout=12)
    assert told[0]["text"].startswith("Started run #1")
    assert len([c for c in fake.calls if c.method == "response"]) == 3
    assert "/response/" not in caplog.text


async def test_an_outcome_slack_will_not_take_is_one_log_line_and_the_run_is_kept(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.slow_down("chat.postMessage", 3.2)
    fake.refuse("response", status=404, error="expired_url")
    await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("r5"))
    lost = await wait_for(lambda: [r for r in caplog.records if "could not be told" in r.getMessage()], timeout=10)
    assert len(lost) == 1 and "HTTP 404 expired_url" in lost[0].getMessage() and "UA" in lost[0].getMessage()
    assert len([c for c in fake.calls if c.method == "response"]) == 1  # no retry changes a 404
    assert slack.rows("SELECT status FROM runs") == [("active",)]
    assert "/response/" not in caplog.text


async def test_over_socket_mode_the_ack_says_working_on_it_and_the_outcome_comes_at_the_response_url(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake, env={"SLACK_APP_TOKEN": "xapp-test", "SLACK_SIGNING_SECRET": ""})
    try:
        await fake.wait_connected()
        fake.slow_down("chat.postMessage", 3.5)
        slash = {"user_id": "UA", "channel_id": "C1", "text": "start post_meeting Sync", "trigger_id": "e1.1.z",
                 "team_id": "T111", "api_app_id": "A111", "command": "/decision",
                 "response_url": fake.response_url("s1")}  # fmt: skip
        began = time.monotonic()
        await fake.send_envelope({"envelope_id": "e1", "type": "slash_commands", "payload": slash})
        await wait_for(lambda: fake.acks)
        assert time.monotonic() - began < 2.9
        assert fake.acks[0]["payload"]["text"].startswith("Working on it")
        told = await wait_for(lambda: fake.responses("s1"), timeout=10)
        assert told[0]["text"].startswith("Started run #1") and slack.rows(RUNS) == [(1,)]
    finally:
        await slack.client.close()


async def test_a_start_waiting_for_a_busy_ledger_is_told_started_at_its_response_url(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """Another process holds the ledger's write lock for 3.5 s (a backup, cron's ``jobs run-due``).
    Before: the start gave up after 2 s, "The decision ledger is busy ...; nothing was done", its
    root taken back. Now it waits for the lock (LATE_WITHIN in all) and is told how it went."""
    await slack.slash("UA", "help")  # Alice known: nothing of her to write meanwhile
    other = sqlite3.connect(tmp_path / "slack.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        start = asyncio.ensure_future(
            slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("l1"))
        )
        await asyncio.sleep(3.5)
        assert start.done() and (await start)["text"].startswith("Working on it")
        assert fake.responses("l1") == []  # nothing said before it is stored
    finally:
        other.execute("COMMIT")
        other.close()
    told = await wait_for(lambda: fake.responses("l1"), timeout=10)
    assert told[0]["text"].startswith("Started run #1")
    assert slack.rows("SELECT status FROM runs") == [("active",)] and fake.of("chat.delete") == []


def as_slack_sends(body: bytes, channel_name: str) -> bytes:
    """A slash command's body with the ``channel_name`` Slack always adds (the ledger has no name for it yet)."""
    return body + b"&" + urlencode({"channel_name": channel_name}).encode()


async def test_the_form_opens_at_once_in_a_channel_new_to_the_ledger_while_it_is_held(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """``/decision start`` alone writes nothing: the form opens at once (its trigger id lasts 3 s).
    Before: "The decision ledger is busy" after 2 s, no form."""
    with ledger_held(tmp_path / "slack.db"):
        began = time.monotonic()
        resp = await slack.post(as_slack_sends(slash_body("UA", "start", "C1"), "general"), form=True)
        assert resp.status == 200 and time.monotonic() - began < 1.0
        assert await resp.text() == ""
    assert [v["callback_id"] for v in fake.modals()] == ["start_decision"]
