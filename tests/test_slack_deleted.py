"""A message of an open run deleted in Slack: its thread's root (a channel admin, the facilitator
cleaning up), or the question it waits on. Before, the bot ignored the deletion of its own
messages: a root deleted with nothing under it took the thread along, the run's next post there
was refused (``thread_not_found``) and its facilitator told it could only be cancelled; a deleted
question waited for an answer nobody could see. Now a run whose thread is gone goes on at once in
a new thread of the same channel, its waiting questions asked again there; a question deleted is
asked again in its thread. The real server, events signed as Slack signs them, the fake Web API
refusing posts into a deleted thread as Slack does."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.fakes.slack_api import BOT_ID, BOT_USER, FakeSlack
from tests.slack_support import Harness, decided, message, wait_for
from tests.test_slack_alert_channel_refused import served
from tests.test_slack_trigger_people import NOW, alert, hook

_ts = itertools.count(1)

MOVED = (
    "*Post-meeting decision check*: Weekly sync (run #1) goes on in this thread: its first thread was deleted."
    " The answers given there are kept. What it still waits for is asked again below."
)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def deletion(posted: dict[str, Any], channel: str = "C1") -> dict[str, Any]:
    """Slack's ``message_deleted`` of the bot's message ``posted`` (as the fake recorded it)."""
    ts = f"1800000200.{next(_ts):06d}"
    before = {"type": "message", "bot_id": BOT_ID, "user": BOT_USER, "text": posted["text"], "ts": posted["ts"]}
    if posted.get("thread_ts"):
        before["thread_ts"] = posted["thread_ts"]
    return {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel, "ts": ts,
            "deleted_ts": posted["ts"], "event_ts": ts, "channel_type": "channel", "previous_message": before}  # fmt: skip


def tombstone(root: dict[str, Any], channel: str = "C1") -> dict[str, Any]:
    """Slack's ``message_changed`` of a thread's root deleted with replies under it: kept as a tombstone."""
    ts = f"1800000200.{next(_ts):06d}"
    stone = {"type": "message", "subtype": "tombstone", "text": "This message was deleted.", "user": "USLACKBOT",
             "hidden": True, "ts": root["ts"], "thread_ts": root["ts"], "reply_count": 1}  # fmt: skip
    before = {"type": "message", "bot_id": BOT_ID, "text": root["text"], "ts": root["ts"], "thread_ts": root["ts"]}
    return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": channel, "ts": ts,
            "event_ts": ts, "channel_type": "channel", "message": stone, "previous_message": before}  # fmt: skip


def refused_threads(fake: FakeSlack) -> list[str]:
    return [c.args["thread_ts"] for c in fake.of("chat.postMessage") if c.result.get("error") == "thread_not_found"]


async def test_a_deleted_root_moves_the_run_to_a_new_thread_where_its_question_is_asked_again(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice's run lives in the thread of its "started" root; the root is deleted: a new thread
    says so at once, the question waiting is asked again under it, and it takes the answers."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    root, question = await slack.posts(2)
    fake.remove("C1", root["ts"])
    resp = await slack.event(deletion(root), event_id="EvGONE1")
    assert resp.status == 200
    new_root, asked = (await slack.posts(3))[1:3]
    assert (new_root["channel"], new_root.get("thread_ts"), new_root["text"]) == ("C1", None, MOVED)
    assert (asked["thread_ts"], asked["text"]) == (new_root["ts"], question["text"])
    assert slack.rows("SELECT thread_ts FROM slack_threads WHERE run_id = 1") == [(new_root["ts"],)]
    assert slack.rows("SELECT source, target, event FROM transitions WHERE event = 'thread_moved'") == [
        ("decision", "decision", "thread_moved")
    ]
    await slack.say(new_root["ts"], "We ship in March")
    assert slack.rows("SELECT step, value FROM answers") == [("decision", '"We ship in March"')]
    assert fake.posted()[-1]["thread_ts"] == new_root["ts"]  # the next question follows it there
    assert refused_threads(fake) == []


async def test_slacks_retry_of_the_deletion_moves_the_run_once(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    root = (await slack.posts(2))[0]
    fake.remove("C1", root["ts"])
    gone = deletion(root)
    await slack.event(gone, event_id="EvGONE2")
    await slack.posts(3)  # the question, the new root, the question again (the old root gone)
    assert (await slack.event(gone, event_id="EvGONE2")).status == 200  # Slack's retry: the same id
    assert (await slack.event(gone)).status == 200  # a twin under another id: the thread moved already
    await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert [p["text"] for p in fake.posted()].count(MOVED) == 1
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'thread_moved'") == [(1,)]


async def test_an_alerts_deleted_root_question_is_asked_again_in_a_new_thread(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """An alert's run in #ops: its first question is its thread's root; deleted before anyone
    answered, it is asked again as the first reply of the new thread, and answered there."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        await hook(slack, alert())
        [root] = await slack.posts(1)
        fake.remove("C0OPS", root["ts"])
        await slack.event(deletion(root, channel="C0OPS"))
        new_root, asked = await slack.posts(2)  # (the old root gone)
        assert (new_root["channel"], new_root.get("thread_ts")) == ("C0OPS", None)
        assert "(run #1) goes on in this thread: its first thread was deleted." in new_root["text"]
        assert (asked["thread_ts"], asked["text"]) == (new_root["ts"], root["text"])
        n = len(fake.posted())
        await slack.event(message("UA", "me", channel="C0OPS", thread_ts=new_root["ts"]))
        await wait_for(lambda: len(fake.posted()) > n)
        assert slack.rows("SELECT facilitator_id FROM runs") == [("slack:UA",)]
        assert refused_threads(fake) == []
    finally:
        await slack.client.close()


async def test_a_deleted_question_is_asked_again_in_its_thread_once(slack: Harness, fake: FakeSlack) -> None:
    """The facilitator cleaning up deletes the question the run waits on: asked again in the thread."""
    thread = await slack.started()
    await slack.say(thread, "We ship in March")
    question = fake.posted()[-1]
    assert question["text"] == "<@UA> Action 1: What is the action?"
    fake.remove("C1", question["ts"])
    gone = deletion(question)
    await slack.event(gone, event_id="EvQ1")
    again = (await slack.posts(3))[2]  # (the question deleted)
    assert (again["thread_ts"], again["text"]) == (
        thread,
        "<@UA> Asked again (its message was deleted): Action 1: What is the action?",
    )
    await slack.event(gone, event_id="EvQ1")  # Slack's retry
    await slack.event(deletion(question))  # a twin: the question was asked again since
    await slack.say(thread, "Draft the plan")
    assert [p["text"] for p in fake.posted()].count(again["text"]) == 1
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'asked_again'") == [(1,)]
    assert slack.rows("SELECT value FROM answers WHERE step = 'actions'") == [('"Draft the plan"',)]


async def test_a_root_kept_as_a_tombstone_keeps_the_thread(slack: Harness, fake: FakeSlack) -> None:
    """A root with replies under it deleted: Slack keeps the thread, and so does the run."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    root = (await slack.posts(2))[0]
    await slack.event(tombstone(root))
    await slack.say(root["ts"], "We ship in March")
    assert fake.posted()[-1]["thread_ts"] == root["ts"]
    assert len(fake.posted()) == 3
    assert slack.rows("SELECT count(*) FROM transitions WHERE event IN ('thread_moved', 'asked_again')") == [(0,)]


async def test_a_finished_runs_deleted_root_changes_nothing(slack: Harness, fake: FakeSlack) -> None:
    thread = await decided(slack)
    root = next(p for p in fake.posted() if p["ts"] == thread)
    fake.remove("C1", thread)
    await slack.event(deletion(root))
    await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))  # a turn after it
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert [p for p in fake.posted() if p["channel"] == "C1" and not p.get("thread_ts")] == []
    assert slack.rows("SELECT count(*) FROM transitions WHERE event IN ('thread_moved', 'asked_again')") == [(0,)]


async def test_a_root_deleted_while_the_server_was_down_moves_the_run_at_its_next_post(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """The deletion's event never came (the server down past Slack's retries): the run's next post
    into the thread, its reminder, is refused ``thread_not_found``. Before, it was given up and
    the backup told the run could only be cancelled; now the run moves then: its note saying why
    roots the new thread (before, the reminder queued ahead of it took the root's place, the note
    under it), the reminder, posted again, follows it there, and the run goes on there."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        await hook(slack, alert())
        [root] = await slack.posts(1)
        fake.remove("C0OPS", root["ts"])  # and no event
        clock.at(hours=1, minutes=1)
        said, reminder = await slack.posts(2)
        assert (said["channel"], said.get("thread_ts")) == ("C0OPS", None)
        assert "(run #1) goes on in this thread: its first thread was deleted." in said["text"]
        assert reminder["thread_ts"] == said["ts"]
        assert reminder["text"].startswith("Reminder: "), reminder["text"]
        assert refused_threads(fake) == [root["ts"]]
        assert slack.rows(  # the reminder refused, queued again after the note: withdrawn, not given up
            "SELECT last_error FROM messages WHERE failed_at IS NOT NULL"
        ) == [("its run moved to a new thread before it went out: queued again there",)]
        assert [p for p in fake.posted() if p["channel"] == "DUB"] == []  # nobody told it is lost
        n = len(fake.posted())
        await slack.event(message("UA", "me", channel="C0OPS", thread_ts=said["ts"]))
        await wait_for(lambda: len(fake.posted()) > n)
        assert slack.rows("SELECT facilitator_id FROM runs") == [("slack:UA",)]
    finally:
        await slack.client.close()


async def test_a_finished_runs_deleted_thread_is_told_with_nothing_to_do(slack: Harness, fake: FakeSlack) -> None:
    """A finished run's thread deleted, then Bob reports his action done: the news for the thread
    is refused there. Its facilitator is told the run has ended and its record is kept: no fix to
    make, no 'cancel' for a run that completed."""
    thread = await decided(slack)
    await wait_for(lambda: fake.posted()[-1]["text"].startswith("Decision recorded"))
    root = next(p for p in fake.posted() if p["ts"] == thread)
    fake.remove("C1", thread)
    await slack.event(deletion(root))
    await slack.event(message("UB", "done A1", channel="DUB", channel_type="im"))
    [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert told["text"] == (
        "Run #1 ('Weekly sync') cannot post in its conversation, slack:C1: the run's thread is gone (its first"
        " message was deleted) (thread_not_found). Nobody there has seen: \"Bob reported their action done: 'Draft"
        " the plan' (from 'Weekly sync').\". The run has ended and its record is kept ('status 1' shows it): nothing"
        " needs doing; its news has nowhere to go there."
    )
    assert "cancel" not in told["text"]


async def test_an_answered_question_deleted_while_the_next_waits_to_go_asks_nothing_again(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice answered the first question; the next one to her waits in the outbox (Slack refused
    it for now). An admin cleaning up deletes the first, answered question. Before, it counted as
    the question she is waited on (the latest of hers that went out): the next question was
    queued again, 'Asked again (its message was deleted)', and once Slack took posts again she got
    it twice. Now a question deleted is asked again only when it is the latest put to her."""
    thread = await slack.started()
    first = fake.posted()[-1]
    fake.refuse("chat.postMessage", status=503)  # the next question: refused for now, tried again shortly
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: any(c.result.get("error") for c in fake.of("chat.postMessage")))
    fake.remove("C1", first["ts"])
    await slack.event(deletion(first), event_id="EvANSWERED")
    await wait_for(lambda: "Action 1: What is the action?" in fake.posted()[-1]["text"])
    await asyncio.sleep(0.3)
    asked = [p["text"] for p in fake.posted() if "What is the action?" in p["text"]]
    assert asked == ["<@UA> Action 1: What is the action?"]
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'asked_again'") == [(0,)]
