"""Bursts in one workspace against Slack's rate limits (the fake Web API answers 429 with
``Retry-After`` as Slack does): a ``/decision start`` whose root Slack rate-limits is posted after
the wait Slack names, within the command's 3 s, instead of refused; replies held back by a 429
say so in the log, once a hold."""

from __future__ import annotations

import time
from pathlib import Path

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
