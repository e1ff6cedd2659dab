"""Slack's size limits end to end (the fake Web API refuses what Slack refuses: ``text`` over 40,000
characters, a section over 3,000, more than 50 blocks): a summary too long for one message goes in
parts, each fitting, none posted twice after a retry or a restart; a question repeating a long
answer keeps its question and its widgets; a 50 KB answer is stored whole; a reply refused for
good is marked failed, logged with its run, and the conversation goes on."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot.channels.slack_blocks import escape
from bot.channels.slack_limits import Pacer
from tests.dates import JAN15
from tests.fakes.slack_api import BLOCK_TEXT_LIMIT, BOT_USER, TEXT_LIMIT, FakeSlack
from tests.slack_support import Harness, harness, message, wait_for

UNSENT = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
LONG = ("We ship in March & keep <the> EU price. " * 1300)[:50_000].strip()  # as typed: Slack escapes it


async def run_to_summary(slack: Harness, decision: str, what: str = "Draft the plan") -> str:
    """post_meeting from the slash command to its summary; the thread's ts."""
    await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in (decision, what, "<@UB>", JAN15, "done"):
        count = len(slack.fake.posted())
        await slack.event(message("UA", text, thread_ts=thread))
        await slack.posts(count + 1)
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.posts(8)
    await slack.event(message("UA", "ok", thread_ts=thread))
    return thread


async def test_a_summary_over_slacks_limit_is_posted_in_parts_and_the_answer_kept_whole(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake)
    try:
        thread = await run_to_summary(slack, escape(LONG))
        posted = await slack.posts(10)
        first, second = posted[8], posted[9]
        assert first["text"].startswith("Decision recorded: Weekly sync")
        assert all(len(p["text"]) <= TEXT_LIMIT and p["thread_ts"] == thread for p in (first, second))
        assert escape(LONG) in f"{first['text']} {second['text']}"  # cut at a space, nothing lost
        assert "Review on" in second["text"]
        assert not [c for c in fake.calls if c.result.get("ok") is False]
        await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
        # both parts counted (before: 1, the last part delivered never counted)
        assert slack.rows("SELECT parts_sent, failed_at FROM messages WHERE kind = 'summary'") == [(2, None)]
        assert slack.rows("SELECT text FROM decisions") == [(LONG,)]  # stored whole
        assert slack.rows("SELECT status FROM runs") == [("completed",)]
    finally:
        await slack.client.close()


async def test_a_question_repeating_a_long_answer_keeps_its_question_and_widgets(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake)
    try:
        await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        await slack.event(message("UA", "We ship in March", thread_ts=thread))
        await slack.posts(3)
        await slack.event(message("UA", escape(LONG), thread_ts=thread))
        owner = (await slack.posts(4))[3]  # "Action 1: Who owns '<50,000 characters>'?"
        assert len(owner["text"]) < TEXT_LIMIT and owner["text"].endswith("'?")
        section, actions = owner["blocks"]
        shown = section["text"]["text"]
        assert len(shown) <= BLOCK_TEXT_LIMIT and shown.endswith(" EU price.'?")
        assert shown.startswith("<@UA> Action 1: Who owns 'We ship in March &amp; keep &lt;the&gt;")
        assert actions["elements"][0]["type"] == "users_select"
        await slack.click("UA", owner, {"type": "users_select", "selected_user": "UB"})
        due = (await slack.posts(5))[4]
        assert due["text"].startswith("<@UA> Action 1: By when should 'We ship") and len(due["text"]) < TEXT_LIMIT
        assert slack.rows("SELECT json_extract(value, '$') FROM answers WHERE field = 'what'") == [(LONG,)]  # whole
        assert not [c for c in fake.calls if c.result.get("ok") is False]
    finally:
        await slack.client.close()


async def test_a_reply_in_parts_goes_on_after_a_restart_from_the_part_not_yet_sent(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake)
    try:
        await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        for text in (escape(LONG), "Draft the plan", "<@UB>", JAN15, "done"):
            count = len(fake.posted())
            await slack.event(message("UA", text, thread_ts=thread))
            await slack.posts(count + 1)
        await slack.event(message("UB", "yes", channel="DUB"))
        await slack.posts(8)
        fake.refuse("chat.postMessage", after=1, status=429, retry_after="60")  # the summary's second part waits
        await slack.event(message("UA", "ok", thread_ts=thread))
        await wait_for(lambda: fake.of("chat.postMessage")[-1].result.get("ok") is False)
        assert slack.rows("SELECT parts_sent, delivered_at FROM messages WHERE kind = 'summary'") == [(1, None)]
    finally:
        await slack.client.close()  # stopped while the second part waits: the next server goes on
    slack = await harness(tmp_path, fake)
    try:
        await wait_for(
            lambda: slack.rows("SELECT delivered_at IS NOT NULL FROM messages WHERE kind = 'summary'") == [(1,)]
        )
        firsts = [p for p in fake.posted() if p["text"].startswith("Decision recorded")]
        assert len(firsts) == 1  # the first part was not posted again
        assert slack.rows("SELECT parts_sent FROM messages WHERE kind = 'summary'") == [(2,)]
        second = fake.posted()[-1]
        assert second["thread_ts"] == thread and "\nReview on " in second["text"]
        assert escape(LONG) in f"{firsts[0]['text']} {second['text']}"
    finally:
        await slack.client.close()


async def test_a_reply_refused_for_good_is_failed_logged_with_its_run_and_the_conversation_goes_on(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await harness(tmp_path, fake)
    try:
        await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        fake.refuse("chat.postMessage", error="invalid_blocks")  # refused for good: retrying cannot help
        with caplog.at_level(logging.WARNING, logger="bot.outbox"):
            await slack.event(message("UA", "We ship in March", thread_ts=thread))
            gone = "SELECT id, run_id, last_error FROM messages WHERE failed_at IS NOT NULL"
            [(mid, run, error)] = await wait_for(lambda: slack.rows(gone))
        assert error == "failed: invalid_blocks"
        said = [r.getMessage() for r in caplog.records if "given up" in r.getMessage()]
        assert said == [
            f"slack: reply {mid} (prompt) of run #{run} given up, not delivered: failed: invalid_blocks. The"
            f" conversation's next reply goes on; the reply stays in the ledger: decisionbot runs show {run}"
        ]
        told = (await slack.posts(3))[2]  # the facilitator is told in the thread, which still takes the bot
        assert told["channel"] == "C1" and told["thread_ts"] == thread
        assert told["text"] == (
            "<@UA> A message of this run to you was refused: Slack refused the message's layout (invalid_blocks)."
            ' You have not seen: "Action 1: What is the action?". You can answer it here all the same.'
        )
        await slack.event(message("UA", "Draft the plan", thread_ts=thread))  # answered all the same
        owner = (await slack.posts(4))[3]
        assert owner["text"] == "<@UA> Action 1: Who owns 'Draft the plan'?" and owner["thread_ts"] == thread
    finally:
        await slack.client.close()


async def test_the_list_of_a_busy_channel_is_answered_in_parts(tmp_path: Path, fake: FakeSlack) -> None:
    from bot.model import Actor, ConversationKey, Trigger

    slack = await harness(tmp_path, fake)
    try:
        alice = Actor("slack:UA", "Alice")
        titles = [f"Run {n}: " + "the quarterly pricing review of the EU region " * 45 for n in range(25)]
        for title in titles:  # 25 open runs of long titles: about 53,000 characters to list
            slack.services.dispatcher.start(
                Trigger("post_meeting", facilitator=alice, title=title), ConversationKey("slack", "C1")
            )
        await slack.event(message("UA", f"<@{BOT_USER}> list", type="app_mention"))
        said = await wait_for(lambda: len(fake.of("chat.postEphemeral")) >= 2 and fake.of("chat.postEphemeral"))
        assert all(c.result.get("ok") for c in said) and all(len(c.args["text"]) <= TEXT_LIMIT for c in said)
        listed = "\n".join(c.args["text"] for c in said)
        assert listed.startswith("Open decision runs here:") and all(title.strip() in listed for title in titles)
    finally:
        await slack.client.close()


async def test_a_burst_of_slash_starts_in_one_channel_is_paced_roots_and_all(tmp_path: Path, fake: FakeSlack) -> None:
    """About one message a second per channel after a short burst: the roots /decision start posts
    take their turn too (they went out at once, uncounted: 8 starts put 12 messages in C1 in 46 ms).
    Each start is still answered within Slack's 3 s; a start whose turn is further off than that
    starts all the same, its first question its thread's root (it used to post beyond the pace)."""
    slack = await harness(tmp_path, fake)
    slack.channel.poster.pacer = Pacer()  # the server's own pacing, as in production
    try:
        for i in range(6):
            began = time.monotonic()
            answer = await slack.slash("UA", f"start post_meeting Sync {i}")
            assert answer["text"].startswith("Started run") and time.monotonic() - began < 2.5
        asked = "SELECT count(*) FROM messages WHERE text LIKE 'What was decided%' AND delivered_at IS NOT NULL"
        await wait_for(lambda: slack.rows(asked) == [(6,)], timeout=20)
        at = sorted(c.at for c in fake.of("chat.postMessage") if c.args.get("channel") == "C1")
        assert len([t for t in at if t - at[0] < 0.9]) <= 4  # the burst
        assert at[-1] - at[0] >= len(at) - 4 - 1  # then about one a second (a root waits 1 s at most)
        assert all(b - a > 0.5 for a, b in zip(at[4::2], at[6::2], strict=False))  # never more than 2 a second
        roots = [c.args["text"] for c in fake.of("chat.postMessage") if "thread_ts" not in c.args]
        assert len(roots) == 6
    finally:
        await slack.client.close()
