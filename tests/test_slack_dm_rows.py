"""What an owner's direct message leaves in the ledger: each `messages` row names the conversation
where it was said or sent. The owner's question, the bot's re-prompt of an answer that does not fit
("maybe" to a yes/no) and its note on a decline go to the owner's direct message (`slack:DUB`), and
their rows say so, as the owner's own answers' rows do, each for the owner alone (`private` 1).
Before, the bot's rows named the run's thread (`slack:C1/<root ts>`), where nobody saw them, and the
re-prompt's said it was for everyone there (`private` 0). A decline's reason said there is not quoted
in the run's thread either: it goes to the facilitator's direct message.

The real server and slack-bolt against the fake Web API, signed events, a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.server import SENDERS
from bot.store import group
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, bob_asked_to_accept, committed_rows, message, wait_for

BOBS = "SELECT direction, kind, step, conversation, private, text FROM messages WHERE actor_id = 'slack:UB' ORDER BY id"


def delivered(slack: Harness, count: int) -> bool:
    """Whether Bob's rows are ``count``, those out delivered (and what their posts taught kept)."""
    sql = "SELECT direction = 'in' OR delivered_at IS NOT NULL FROM messages WHERE actor_id = 'slack:UB'"
    rows = committed_rows(slack, sql)
    return len(rows) == count and all(done for (done,) in rows)


def in_dm(fake: FakeSlack) -> list[str]:
    return [str(c.args.get("text")) for c in fake.of("chat.postMessage") if c.args.get("channel") == "DUB"]


async def test_slack_an_owner_re_prompted_in_their_direct_message_is_stored_there(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await bob_asked_to_accept(slack)
    await wait_for(lambda: in_dm(fake))
    await slack.event(message("UB", "maybe", channel="DUB"))
    told = await wait_for(lambda: [t for t in in_dm(fake) if t.startswith("Please answer yes or no.")])
    assert len(told) == 1  # the re-prompt went to his direct message, not the thread
    assert not [c for c in fake.of("chat.postMessage") if "Please answer yes or no" in str(c.args.get("text"))
                and c.args.get("channel") != "DUB"]  # fmt: skip
    await wait_for(lambda: delivered(slack, 3))
    rows = committed_rows(slack, BOBS)
    assert [row[:5] for row in rows] == [
        ("out", "prompt", "owner_accepts", "slack:DUB", 1),  # the question (before: the thread's, private 1)
        ("in", "invalid", "owner_accepts", "slack:DUB", 0),  # his "maybe", where he typed it
        ("out", "error", "owner_accepts", "slack:DUB", 1),  # the re-prompt (before: the thread's, private 0)
    ]
    assert rows[2][5].startswith("Please answer yes or no.")
    assert slack.rows("SELECT conversation FROM runs") == [(f"slack:C1/{thread}",)]  # the run lives on in its thread


async def test_slack_a_decline_in_a_direct_message_is_acknowledged_there(slack: Harness, fake: FakeSlack) -> None:
    await bob_asked_to_accept(slack)
    await wait_for(lambda: in_dm(fake))
    await slack.event(message("UB", "no", channel="DUB"))
    await wait_for(lambda: [t for t in in_dm(fake) if t.startswith("Noted.")])
    await wait_for(lambda: delivered(slack, 3))
    assert [row[:5] for row in committed_rows(slack, BOBS)] == [
        ("out", "prompt", "owner_accepts", "slack:DUB", 1),
        ("in", "answer", "owner_accepts", "slack:DUB", 0),
        ("out", "info", "owner_accepts", "slack:DUB", 1),  # "Noted. I'll ask Alice to reassign it."
    ]


REASON = "No, I'm out that week"


async def test_slack_a_decline_s_reason_said_in_a_direct_message_is_told_to_the_facilitator_alone(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob declines in his direct message with a reason: the thread says he declined and asks
    Alice who should own it instead; his words go to Alice's direct message, not the thread.
    Before, the thread's question quoted them for the whole channel: 'Bob declined Action 1
    ('Draft the plan'): "No, I'm out that week". Who should own it instead?'."""
    thread = await bob_asked_to_accept(slack)
    await wait_for(lambda: in_dm(fake))
    await slack.event(message("UB", REASON, channel="DUB"))
    asked = await wait_for(
        lambda: [p for p in fake.posted() if p.get("thread_ts") == thread and "Who should own it" in p["text"]]
    )
    assert asked[0]["channel"] == "C1"
    assert "Bob declined Action 1 ('Draft the plan'), with a reason told to you alone." in asked[0]["text"]
    told = await wait_for(lambda: [c.args for c in fake.of("chat.postMessage") if "out that week" in str(c.args)])
    assert [(t["channel"], t.get("thread_ts"), t["text"]) for t in told] == [
        (
            "DUA",
            None,
            f"Bob's reason for declining Action 1 ('Draft the plan') of 'Weekly sync', for you alone: \"{REASON}\"",
        )
    ]
    assert not [c for c in fake.of("chat.postEphemeral") if "out that week" in str(c.args)]
    await wait_for(
        lambda: committed_rows(
            slack, "SELECT 1 FROM messages WHERE text LIKE 'Bob''s reason%' AND delivered_at IS NOT NULL"
        )
    )
    rows = committed_rows(
        slack,
        "SELECT direction, conversation, actor_id, private FROM messages WHERE text LIKE '%out that week%' ORDER BY id",
    )
    assert rows == [("in", "slack:DUB", "slack:UB", 0), ("out", "slack:DUA", "slack:UA", 1)]  # nothing in the thread


async def test_slack_an_owner_s_question_is_posted_once_while_another_pass_of_the_outbox_runs(
    slack: Harness, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question with buttons, once Slack has it, waits for its group commit before looking
    whether it was answered meanwhile (``Posted._answered_meanwhile``); under load other turns
    wake the outbox then. Before, its row already named Bob's direct message during that wait,
    a conversation no pass was sending: the next pass read it, still unmarked, and posted it
    again (bench_slack at saturation: every owner asked twice, each turn after it late). Now the
    row names his direct message from its mark on, as its delivery does."""
    sender = slack.client.server.app[SENDERS]["slack"]
    settled = group.settled

    async def another_pass_meanwhile(conn: sqlite3.Connection) -> None:
        sender.notify()  # another turn's commit wakes the outbox while this one waits for its own
        await asyncio.sleep(0.05)
        await settled(conn)

    monkeypatch.setattr(group, "settled", another_pass_meanwhile)
    await bob_asked_to_accept(slack)
    await wait_for(lambda: delivered(slack, 1))
    await asyncio.sleep(0.2)  # a second post would be under way by now
    assert len(in_dm(fake)) == 1
    assert [row[:5] for row in committed_rows(slack, BOBS)] == [("out", "prompt", "owner_accepts", "slack:DUB", 1)]


async def test_slack_a_run_started_in_the_bots_direct_message_keeps_its_start_and_its_replies_there_private(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.event(message("UA", "Start post_meeting Weekly sync", channel="DUA"))  # any case
    await wait_for(
        lambda: [c for c in fake.of("chat.postMessage") if c.args.get("text") == "What was decided in Weekly sync?"]
    )
    await slack.event(message("UA", "We ship in March", channel="DUA"))
    await wait_for(lambda: [c for c in fake.of("chat.postMessage") if "What is the action?" in str(c.args.get("text"))])
    sql = "SELECT direction, kind, conversation, private, text FROM messages WHERE delivered_at IS NOT NULL OR direction = 'in'"
    rows = await wait_for(lambda: len(got := committed_rows(slack, sql + " ORDER BY id")) == 4 and got)
    assert [row[:4] for row in rows] == [
        ("in", "start", "slack:DUA", 0),  # how the run began (before: not in its transcript)
        ("out", "prompt", "slack:DUA", 1),  # for Alice alone, as every reply to a direct message (before: 0)
        ("in", "answer", "slack:DUA", 0),
        ("out", "prompt", "slack:DUA", 1),
    ]
    assert rows[0][4] == "Start post_meeting Weekly sync"  # as typed: the bot was not named
    assert slack.rows("SELECT conversation FROM runs") == [("slack:DUA",)]
    assert committed_rows(slack, "SELECT count(*) FROM messages WHERE run_id IS NULL") == [(0,)]
