"""A run moved twice in a row (``/decision move 1 #a``, then ``move 1 #b`` before the first move's
root is out): the thread people see is still the first channel's, so the second move goes on from
there. The real server, requests signed as Slack signs them, slack-sdk against the fake Web API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for
from tests.test_slack_deleted import deletion

GOES_ON = "goes on in this thread"


def in_channel(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [p for p in fake.posted() if p["channel"] == channel]


def shown(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """What is still shown in ``channel``: its posts less those the bot took back."""
    deleted = {c.args["ts"] for c in fake.of("chat.delete") if c.args.get("channel") == channel}
    return [p for p in in_channel(fake, channel) if p["ts"] not in deleted]


async def moving_to_ops(slack: Harness, fake: FakeSlack) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alice's post_meeting in #general, moved to #ops-review with Slack slow: the move's root is on
    its way (not out yet). The run's root and its first question in #general."""
    fake.describe("C1", "general")
    fake.describe("C2", "ops-review")
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread, question = (await slack.posts(2))[:2]
    fake.slow_down("chat.postMessage", 0.5)
    await slack.slash("UA", "move 1 <#C2|ops-review>")
    await wait_for(lambda: [c for c in fake.calls if c.method == "chat.postMessage"])  # (on its way)
    return thread, question


async def test_a_run_moved_again_before_its_new_root_is_out_goes_on_from_its_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    """Slack slow: the root of the move to #ops-review is still on its way when Alice moves the
    run on to #third. Before, #third showed its own root ('moved from #ops-review', a channel that
    never showed the run) and then the first move's root under it ('goes on in this thread, moved
    from #general'), and #general's thread still pointed to #ops-review. Now #third shows one root,
    'moved from #general', the question under it; #general's thread is told it went to #third."""
    fake.describe("C3", "third")
    thread, question = await moving_to_ops(slack, fake)
    await slack.slash("UA", "move 1 <#C3|third>")
    told_third = "Run #1 goes on in a new thread in #third, moved there by @Alice"
    await wait_for(
        lambda: len(in_channel(fake, "C3")) >= 2 and in_channel(fake, "C1")[-1]["text"].startswith(told_third), 15
    )
    fake.slow_down("chat.postMessage", 0.0)
    root, again = in_channel(fake, "C3")[:2]
    assert root.get("thread_ts") is None and root["text"].startswith(
        "*Post-meeting decision check*: Weekly sync (run #1) goes on in this thread, moved from #general by @Alice."
    )
    assert (again["thread_ts"], again["text"]) == (root["ts"], question["text"])
    assert [p["text"] for p in shown(fake, "C3") if GOES_ON in p["text"]] == [root["text"]]
    await wait_for(lambda: shown(fake, "C2") == [])  # a root that landed there is taken back
    assert all(p["thread_ts"] == thread["ts"] for p in in_channel(fake, "C1")[1:])
    n = len(fake.posted())
    await slack.event(message("UA", "We ship in March", channel="C3", thread_ts=root["ts"]))
    await wait_for(lambda: len(fake.posted()) > n)
    assert (fake.posted()[-1]["thread_ts"], fake.posted()[-1]["text"]) == (
        root["ts"],
        "<@UA> Action 1: What is the action?",
    )
    assert slack.rows("SELECT step, value FROM answers") == [("decision", '"We ship in March"')]


async def test_a_run_moved_again_after_a_restart_while_slack_was_down_shows_the_last_move_only(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Slack down (503): Alice's answers' questions wait in the outbox when she moves the run to
    #ops-review; the server restarts; she moves it on to #third; Slack comes back. #general's
    thread is told once, of #third (not first of #ops-review, which never shows the run); #third
    shows one root, 'moved from #general', and the questions waiting, in order."""
    fake.describe("C1", "general")
    fake.describe("C2", "ops-review")
    fake.describe("C3", "third")
    first = await harness(tmp_path, fake)
    thread = await first.started("start post_meeting Weekly")
    fake.refuse("chat.postMessage", times=1000, status=503)
    await first.event(message("UA", "We ship", thread_ts=thread))
    await first.event(message("UA", "Draft the plan", thread_ts=thread))
    await wait_for(lambda: len(fake.of("chat.postMessage")) >= 3)
    assert (await first.slash("UA", "move 1 <#C2|ops-review>"))["text"].startswith("Run #1 moves to #ops-review")
    await first.client.close()
    second = await harness(tmp_path, fake)
    try:
        assert (await second.slash("UA", "move 1 <#C3|third>"))["text"].startswith("Run #1 moves to #third")
        fake.refusals.clear()
        await wait_for(lambda: len(in_channel(fake, "C3")) >= 3 and len(in_channel(fake, "C1")) >= 3, timeout=15)
        await asyncio.sleep(0.5)  # (anything else on its way)
        assert [p["text"] for p in in_channel(fake, "C1")[2:]] == [
            "Run #1 goes on in a new thread in #third, moved there by @Alice: what is typed here no longer reaches it."
        ]
        assert in_channel(fake, "C2") == []
        root, *questions = in_channel(fake, "C3")
        assert root["text"].startswith(
            "*Post-meeting decision check*: Weekly (run #1) goes on in this thread, moved from #general"
        )
        assert [(p["thread_ts"], p["text"]) for p in questions] == [
            (root["ts"], "<@UA> Action 1: What is the action?"),
            (root["ts"], "<@UA> Action 1: Who owns 'Draft the plan'?"),
        ]
    finally:
        await second.client.close()


async def test_a_run_whose_thread_was_deleted_moved_before_its_new_root_is_out(slack: Harness, fake: FakeSlack) -> None:
    """Its root deleted while Slack is down (503): the run's new root in #general waits in the outbox
    when Alice moves it to #ops-review. #ops-review shows one root, 'moved from #general', then the
    question; nothing is posted into the deleted thread, nor as a second root in #general."""
    fake.describe("C1", "general")
    fake.describe("C2", "ops-review")
    await slack.slash("UA", "start post_meeting Weekly sync")
    root, question = await slack.posts(2)
    fake.refuse("chat.postMessage", times=1000, status=503)
    fake.remove("C1", root["ts"])
    await slack.event(deletion(root))
    await wait_for(lambda: slack.rows("SELECT 1 FROM slack_moves"))
    assert (await slack.slash("UA", "move 1 <#C2|ops-review>"))["text"].startswith("Run #1 moves to #ops-review")
    fake.refusals.clear()
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2, timeout=15)
    await asyncio.sleep(0.5)  # (anything else on its way)
    new_root, again = in_channel(fake, "C2")
    assert new_root["text"].startswith("*Post-meeting decision check*: Weekly sync (run #1) goes on in this thread")
    assert "moved from #general by @Alice" in new_root["text"]
    assert (again["thread_ts"], again["text"]) == (new_root["ts"], question["text"])
    assert in_channel(fake, "C1") == [question]  # (its root removed)
    await slack.event(message("UA", "We ship in March", channel="C2", thread_ts=new_root["ts"]))
    await wait_for(lambda: slack.rows("SELECT step, value FROM answers") == [("decision", '"We ship in March"')])


async def test_a_run_moved_straight_back_before_its_new_root_is_out_goes_on_in_its_old_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    """Slack slow: the root of the move to #ops-review is still on its way when Alice moves the run
    back to #general. Before, #general got a new thread ('goes on in this thread, moved from #general'
    to #general). Now the run goes on in its old thread: told so there, its question asked again
    under it, nothing shown in #ops-review, no second root in #general; answered there."""
    thread, question = await moving_to_ops(slack, fake)
    assert (await slack.slash("UA", "move 1 <#C1|general>"))["text"] == (
        "Run #1 goes on in its thread in #general: it was moved back before it left it."
    )
    await wait_for(lambda: len(in_channel(fake, "C1")) >= 4, 15)
    fake.slow_down("chat.postMessage", 0.0)
    await asyncio.sleep(0.5)  # (anything else on its way)
    assert [p for p in shown(fake, "C1") if not p.get("thread_ts")] == [thread]  # one root: no new thread
    told, again = [p for p in shown(fake, "C1")][2:]
    assert (told["thread_ts"], told["text"]) == (
        thread["ts"],
        "Run #1 goes on in this thread: @Alice moved it back before it left. Its next messages follow here.",
    )
    assert (again["thread_ts"], again["text"]) == (thread["ts"], question["text"])
    await wait_for(lambda: shown(fake, "C2") == [])  # a root that landed there is taken back
    assert slack.rows("SELECT channel, thread_ts FROM slack_threads") == [("C1", thread["ts"])]
    await slack.event(message("UA", "We ship in March", channel="C1", thread_ts=thread["ts"]))
    await wait_for(lambda: slack.rows("SELECT step, value FROM answers") == [("decision", '"We ship in March"')])
