"""Bursts in one workspace against Slack's rate limits (the fake Web API answers 429 with
``Retry-After`` as Slack does): a ``/decision start`` whose root Slack rate-limits is posted after
the wait Slack names, within the command's 3 s, instead of refused; replies held back by a 429
say so in the log, once a hold."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.channels.slack_limits import Pacer
from bot.model import Actor, ConversationKey, Trigger
from bot.server import SENDERS
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness, message, wait_for


async def test_a_start_whose_root_slack_rate_limits_is_posted_after_retry_after(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """A script starting runs after an all-hands meets Slack's one message a second: a root
    answered 429 (Retry-After: 1) used to refuse the start ("Slack refused my message (HTTP 429
    ratelimited); nothing was started. Please try again in a moment")."""
    slack = await harness(tmp_path, fake)
    try:
        fake.refuse("chat.postMessage", status=429, retry_after="1")
        began = time.monotonic()
        answer = await slack.slash("UA", "start post_meeting Sync 1")
        assert time.monotonic() - began < 2.9  # Slack's 3 s
        assert answer["text"].startswith("Started run"), answer["text"]
        posted = await slack.posts(2)
        assert posted[0]["text"].startswith("<@UA> started") and posted[1]["thread_ts"] == posted[0]["ts"]
        roots = [c for c in fake.of("chat.postMessage") if "thread_ts" not in c.args]
        assert [c.result.get("ok") for c in roots] == [False, True]  # tried again once, posted once
        assert roots[1].at - roots[0].at >= 1.0  # after the wait Slack asked for
        assert slack.rows("SELECT count(*) FROM runs") == [(1,)]
    finally:
        await slack.client.close()


async def test_a_call_slack_is_slow_to_answer_holds_up_no_other_conversation(tmp_path: Path, fake: FakeSlack) -> None:
    """A direct message to an owner waits on Slack (``conversations.open`` not answered: the call
    times out after 10 s); meanwhile a run started in another channel gets its first question at
    once. Before, the outbox sent in passes, each waiting for all its conversations: the other
    channel's question waited for the owner's call to time out."""
    slack = await harness(tmp_path, fake)
    try:
        thread = await slack.started("start post_meeting Weekly sync")
        await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", JAN15)
        fake.hang("conversations.open")  # Slack takes Bob's direct message and goes silent
        await slack.event(message("UA", "done", thread_ts=thread))
        await wait_for(lambda: fake.of("conversations.open"))
        began = time.monotonic()
        await slack.slash("UA", "start post_meeting Other sync", channel="C2")
        await wait_for(lambda: [p for p in fake.posted() if p["text"].endswith("What was decided in Other sync?")])
        assert time.monotonic() - began < 3.0  # not the 10 s of the call that hangs
        asked = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"], timeout=20)
        assert len(asked) == 1  # Bob is asked once the call is made again, once
    finally:
        await slack.client.close()


async def test_a_burst_in_one_channel_says_in_the_log_that_replies_are_paced_once(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """An alert storm of ten runs in one channel is sent at about one message a second: the log
    says so, once (not once a reply). Before, nothing said why the last run was asked 6 s late."""
    slack = await harness(tmp_path, fake)
    slack.channel.poster.pacer = Pacer()  # the server's own pacing, as in production
    caplog.set_level(logging.INFO, logger="decisionbot.slack")
    try:
        alice = Actor("slack:UA", "Alice")
        for n in range(10):  # ten runs started at once in C1 (as by a route): ten roots to post
            slack.services.dispatcher.start(
                Trigger("post_meeting", facilitator=alice, title=f"Alert {n}"), ConversationKey("slack", "C1")
            )
        slack.client.server.app[SENDERS]["slack"].notify()
        await slack.posts(10, timeout=15)
        said = [r.getMessage() for r in caplog.records if "a burst of replies in C1" in r.getMessage()]
        assert len(said) == 1 and "about one message a second per channel" in said[0]
        at = sorted(c.at for c in fake.of("chat.postMessage"))
        assert at[-1] - at[0] >= 5.0  # paced: 4 at once, then one a second
    finally:
        await slack.client.close()


async def test_a_429_says_in_the_log_what_slack_refused_and_how_long_replies_wait_once(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await harness(tmp_path, fake)
    caplog.set_level(logging.INFO, logger="decisionbot.slack")
    try:
        thread = await slack.started()
        fake.refuse("chat.postMessage", times=2, status=429, retry_after="1")
        await slack.say(thread, "We ship in March")
        said = [r.getMessage() for r in caplog.records if "Slack's rate limit refused" in r.getMessage()]
        assert said == [
            "slack: Slack's rate limit refused chat.postMessage (C1) for now: the replies it holds back wait 1 s"
            " (Retry-After), then go out in order; the other conversations go on (said once a minute while it lasts)"
        ]
        assert [p["text"] for p in fake.posted()][-1] == "<@UA> Action 1: What is the action?"  # once
        assert len([p for p in fake.posted() if p["text"].endswith("What is the action?")]) == 1
    finally:
        await slack.client.close()


async def test_a_start_slack_will_not_take_a_root_for_now_starts_its_thread_with_its_first_question(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Slack rate-limits the channel beyond the command's 3 s (a script starting 30 runs in a few
    seconds): the run starts all the same, in the channel, and its first question becomes its
    thread's root when Slack takes it, as for a run an alert starts. Before, the start was refused
    and the facilitator had to type it again."""
    slack = await harness(tmp_path, fake)
    try:
        fake.refuse("chat.postMessage", times=3, status=429, retry_after="1")  # the root, and its retries
        began = time.monotonic()
        answer = await slack.slash("UA", "start post_meeting Sync 1")
        assert time.monotonic() - began < 2.9  # Slack's 3 s
        assert answer["text"].startswith("Started run #1"), answer["text"]
        assert "about one message a second" in answer["text"]
        [first] = await slack.posts(1)
        assert first["text"] == "<@UA> What was decided in Sync 1?" and "thread_ts" not in first  # the root
        await slack.say(first["ts"], "We ship in March")
        nxt = fake.posted()[-1]
        assert nxt["thread_ts"] == first["ts"] and nxt["text"] == "<@UA> Action 1: What is the action?"
        assert slack.rows("SELECT count(*) FROM runs") == [(1,)]
    finally:
        await slack.client.close()


async def test_a_start_refused_while_slack_takes_no_root_says_why_and_nothing_comes_later(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """The same burst, a start refused (its title too long): the answer is the refusal alone, not
    that its first question comes in a moment; no run, nothing posted or taken back later, and the
    command's delivery is kept (answered once)."""
    slack = await harness(tmp_path, fake)
    try:
        fake.refuse("chat.postMessage", times=3, status=429, retry_after="1")
        answer = await slack.slash("UA", "start post_meeting " + "x" * 501)
        assert answer["text"] == "Nothing started: that title is too long (501 characters; 500 at most).", answer
        assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
        assert slack.rows("SELECT count(*) FROM deliveries WHERE platform = 'slack'") == [(1,)]
        await asyncio.sleep(1.5)  # past Retry-After: nothing follows
        assert fake.posted() == [] and fake.of("chat.delete") == []
    finally:
        await slack.client.close()


async def test_a_429_storm_waits_what_each_retry_after_says_not_a_doubling_backoff(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Slack answers a reply 429 six times running, each saying ``Retry-After: 0.2``: each try waits
    that, as docs/slack.md says. Before, the tries fed the backoff of failures (1, 2, 4, 8, 16 s
    from the third: 145 s of silence in a thread where Slack had asked for 16)."""
    slack = await harness(tmp_path, fake)
    try:
        thread = await slack.started()
        before = len(fake.of("chat.postMessage"))
        fake.refuse("chat.postMessage", times=6, status=429, retry_after="0.2")
        await slack.say(thread, "We ship in March")
        await wait_for(lambda: fake.posted()[-1]["text"] == "<@UA> Action 1: What is the action?", timeout=30)
        tries = [c.at for c in fake.of("chat.postMessage")[before:]]
        assert len(tries) == 7  # six refused, then taken
        gaps = [round(b - a, 2) for a, b in zip(tries, tries[1:], strict=False)]
        assert max(gaps) < 1.5, gaps  # before: 1.0, 2.0, 4.0, 8.0 and 16.0 s from the second
    finally:
        await slack.client.close()
