"""``/decision list`` and ``/decision status N`` named each run by its number and title, but gave
no way to get to its thread: in a busy channel the facilitator scrolled for it, and a run of
another channel (``status 2`` typed anywhere) did not say where it lives. Now each run's number
is a link to its thread (built from the workspace's address ``auth.test`` gave, no call to Slack
per run). The real server, signed requests, the real slack-sdk against the fake Web API."""

from __future__ import annotations

from bot.model import Actor, ConversationKey, Trigger
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, decided, message, wait_for


def link(channel: str, ts: str) -> str:
    return f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"


async def test_list_and_status_link_each_run_to_its_thread(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    await slack.slash("UA", "start post_meeting Q4 planning")
    [one, two] = await wait_for(lambda: [p["ts"] for p in fake.posted() if p.get("thread_ts") is None][:2] or None)
    listed = (await slack.slash("UA", "list"))["text"]
    assert f"  <{link('C1', one)}|#1> post_meeting: Weekly sync (active;" in listed, listed
    assert f"  <{link('C1', two)}|#2> post_meeting: Q4 planning (active;" in listed, listed
    told = (await slack.slash("UA", "status #2", channel="C9"))["text"]  # from another channel
    assert told.startswith(f"<{link('C1', two)}|Run #2> post_meeting 'Q4 planning': active;"), told


async def test_a_finished_runs_status_links_its_thread_too(slack: Harness, fake: FakeSlack) -> None:
    thread = await decided(slack)
    told = (await slack.slash("UB", "status 1"))["text"]
    assert told.startswith(f"<{link('C1', thread)}|Run #1> post_meeting 'Weekly sync': completed"), told


async def test_a_mentions_list_links_them_too(slack: Harness, fake: FakeSlack) -> None:
    thread = str((await slack.started())[0:])
    event = message("UA", f"<@{BOT_USER}> list", type="app_mention")
    del event["channel_type"]
    await slack.event(event)
    [told] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert f"<{link('C1', thread)}|#1> post_meeting" in told.args["text"], told.args["text"]


async def test_a_title_that_looks_like_a_run_is_not_linked(slack: Harness, fake: FakeSlack) -> None:
    """Only the line's own number: a title "#1 priority" stays words."""
    await slack.slash("UA", "start post_meeting #1 priority")
    await slack.posts(2)
    listed = (await slack.slash("UA", "list"))["text"]
    assert listed.count("<https://") == 1 and "post_meeting: #1 priority (active" in listed, listed


async def test_a_run_whose_first_question_became_its_thread_is_linked_too(slack: Harness, fake: FakeSlack) -> None:
    """An alert's run (or a start paced behind a burst) has no root of its own: its first question
    starts its thread, and ``runs.conversation`` keeps the bare channel. Before, ``list`` and
    ``status N`` gave it no link."""
    alice = Actor("slack:UA", "Alice")
    slack.services.dispatcher.start(
        Trigger(flow="post_meeting", title="Disk full", facilitator=alice), ConversationKey("slack", "C1")
    )
    slack.services.notify("slack")
    [root] = await wait_for(lambda: [p["ts"] for p in fake.posted() if "Disk full" in p["text"]] or None)
    listed = (await slack.slash("UA", "list"))["text"]
    assert f"  <{link('C1', root)}|#1> post_meeting: Disk full (active;" in listed, listed
    told = (await slack.slash("UA", "status 1", channel="C9"))["text"]
    assert told.startswith(f"<{link('C1', root)}|Run #1> post_meeting 'Disk full': active;"), told
