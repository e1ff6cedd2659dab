"""``/decision move RUN #channel``: a run started in the wrong channel, or whose channel the bot lost,
moved by its facilitator to another channel. Before, such a run could only be cancelled. Now it goes
on in a new thread there: its root says so, what waits in the old thread is asked again under it,
questions asked by direct message stay there, a note in the old thread points to it, and the ledger
keeps the move. The real server, requests signed as Slack signs them, slack-sdk against the fake
Web API."""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import pytest

from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, harness, message, wait_for
from tests.teams_support import ALICE, BOB, installed
from tests.teams_support import Harness as TeamsHarness
from tests.teams_support import in_channel as teams_said

ROOT_TEXT = (
    "*Post-meeting decision check*: Weekly sync (run #1) goes on in this thread, moved from #general by @Alice."
    " The answers given there are kept. What it still waits for is asked again below."
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


def ops(fake: FakeSlack) -> None:
    fake.describe("C1", "general")
    fake.describe("C2", "ops-review")


def in_channel(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [p for p in fake.posted() if p["channel"] == channel]


async def waiting_in_thread_and_by_dm(slack: Harness) -> str:
    """Alice's post_meeting in C1 with two actions, Bob's and Carol's: both asked by direct message;
    Carol misses three times, so her question goes to Alice in the run's thread. Bob's still waits
    in his direct message. The run's thread."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    answers = ("We ship in March", "Draft the plan", "<@UB>", JAN15, "Book the room", "<@UC>", JAN15, "done")
    await slack.say(thread, *answers)
    await wait_for(lambda: in_channel(slack.fake, "DUB") and in_channel(slack.fake, "DUC"))
    for _ in range(3):
        n = len(slack.fake.posted())
        await slack.event(message("UC", "purple", channel="DUC"))
        await wait_for(lambda n=n: len(slack.fake.posted()) > n)
    await wait_for(lambda: "could not answer" in slack.fake.posted()[-1]["text"])
    return thread


async def test_a_run_waiting_in_its_thread_and_by_dm_moves_to_another_channel(slack: Harness, fake: FakeSlack) -> None:
    ops(fake)
    thread = await waiting_in_thread_and_by_dm(slack)
    escalated = fake.posted()[-1]
    assert escalated["thread_ts"] == thread
    bob_asked = in_channel(fake, "DUB")[-1]
    n = len(fake.posted())
    told = await slack.slash("UA", "move 1 <#C2|ops-review>")
    assert told["text"] == (
        "Run #1 moves to #ops-review: its new thread starts there, and what waits in its thread is asked again"
        " under it (questions asked by direct message stay there)."
    )
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and len(fake.posted()) >= n + 3)
    root, again = in_channel(fake, "C2")[:2]
    assert (root.get("thread_ts"), root["text"]) == (None, ROOT_TEXT)
    assert (again["thread_ts"], again["text"]) == (root["ts"], escalated["text"])
    [note] = [p for p in fake.posted()[n:] if p["channel"] == "C1"]
    assert (note["thread_ts"], note["text"]) == (
        thread,
        "Run #1 goes on in a new thread in #ops-review, moved there by @Alice: what is typed here no longer reaches it.",
    )
    assert in_channel(fake, "DUB")[-1] == bob_asked  # his question stays in his direct message
    assert slack.rows("SELECT conversation FROM runs") == [("slack:C2",)]  # its thread: slack_threads
    assert slack.rows("SELECT channel, thread_ts FROM slack_threads") == [("C2", root["ts"])]
    moved = slack.rows("SELECT t.event, t.actor_id, m.from_conversation, m.to_conversation, m.by_id"
                       " FROM transitions t JOIN slack_moves m ON m.transition_id = t.id")  # fmt: skip
    assert moved == [("thread_moved", "slack:UA", f"slack:C1/{thread}", "slack:C2", "slack:UA")]
    # answered where each now is: Alice in the new thread, Bob in his direct message
    await slack.event(message("UA", "yes", channel="C2", thread_ts=root["ts"]))
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: "review this decision" in fake.posted()[-1]["text"])
    assert fake.posted()[-1]["thread_ts"] == root["ts"]
    assert slack.rows("SELECT actor_id, value FROM answers WHERE step = 'owner_accepts' ORDER BY actor_id") == [
        ("slack:UA", "true"),
        ("slack:UB", "true"),
    ]


async def test_the_mention_in_the_runs_thread_moves_it_too(slack: Harness, fake: FakeSlack) -> None:
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    root, question = await slack.posts(2)
    await slack.event(message("UA", "<@UBOT> move 1 <#C2|ops-review>", thread_ts=root["ts"], type="app_mention"))
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2)
    new_root, again = in_channel(fake, "C2")[:2]
    assert again["text"] == question["text"] and again["thread_ts"] == new_root["ts"]
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]  # no answer taken from the mention
    [answer] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert answer.args["text"].startswith("Run #1 moves to #ops-review")


@pytest.mark.parametrize(
    ("who", "typed", "said"),
    [
        ("UA", "move 9 <#C2|ops-review>", "No run #9 here. Say 'list' for the open runs of this conversation."),
        ("UB", "move 1 <#C2|ops-review>", "Only the facilitator (Alice) can move the run."),
        ("UA", "move 1 <#C1|general>", "Run #1 already lives in #general. To move it, name another channel: move 1 #channel."),
        ("UA", "move 1 #ops-review", "Say which run and where: move RUN #channel (RUN: its number, from 'list'; the"
                                    " channel picked from what Slack suggests as you type #)."),
        ("UA", "move 1 <#C3|lounge>", "Run #1 was not moved: the bot cannot post in #lounge (the bot is not in the"
                                     " channel (not_in_channel)). Invite the bot to that channel (/invite @decisionbot),"
                                     " then move it again."),
        ("UA", "move 1 <#C4|old>", "Run #1 was not moved: the bot cannot post in #old (the channel is archived"
                                   " (is_archived)). Unarchive the channel, then move it again."),
        ("UA", "move 1 <#C5|theirs>", "Run #1 was not moved: #theirs is a channel of another workspace, where the"
                                      " run's people may not be. Name a channel of this workspace."),
    ],
)  # fmt: skip
async def test_a_move_is_refused_with_the_fix(slack: Harness, fake: FakeSlack, who: str, typed: str, said: str) -> None:
    ops(fake)
    fake.shut_out("C3")
    fake.shut_out("C4", "is_archived")
    fake.describe("C5", "theirs", team="T999")
    await slack.slash("UA", "start post_meeting Weekly sync")
    await slack.posts(2)
    assert (await slack.slash(who, typed))["text"] == said
    assert slack.rows("SELECT conversation LIKE 'slack:C1/%' FROM runs") == [(1,)]
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'thread_moved'") == [(0,)]


async def test_a_finished_run_is_not_moved(slack: Harness, fake: FakeSlack) -> None:
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    await slack.posts(2)
    await slack.slash("UA", "cancel 1")
    assert (await slack.slash("UA", "move 1 <#C2|ops-review>"))["text"] == (
        "Run #1 has ended (cancelled): there is nothing to move. 'status 1' shows its record."
    )


async def test_a_lost_run_moved_to_a_new_channel_is_answered_there(slack: Harness, fake: FakeSlack) -> None:
    """The bot removed from C1: the run's question there can no longer be answered. Moved from a
    direct message, it is asked again in C2, answered there; no note is left where the bot cannot post."""
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    question = (await slack.posts(2))[1]
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UC"})
    await wait_for(lambda: in_channel(fake, "DUA"))
    await slack.event(message("UA", "move 1 <#C2|ops-review>", channel="DUA", channel_type="im"))
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2)
    root, again = in_channel(fake, "C2")[:2]
    assert root["text"].startswith(
        "*Post-meeting decision check*: Weekly sync (run #1) goes on in this thread, moved from #general by @Alice."
    )
    assert again["text"] == question["text"]
    await wait_for(lambda: in_channel(fake, "DUA")[-1]["text"].startswith("Run #1 moves to #ops-review"))
    assert [c for c in fake.of("chat.postMessage") if c.args.get("channel") == "C1" and not c.result.get("ok")] == []
    n = len(fake.posted())
    await slack.event(message("UA", "We ship in March", channel="C2", thread_ts=root["ts"]))
    await wait_for(lambda: len(fake.posted()) > n)
    assert slack.rows("SELECT step, value FROM answers") == [("decision", '"We ship in March"')]
    assert fake.posted()[-1]["thread_ts"] == root["ts"]


async def test_a_reply_queued_for_the_old_thread_goes_after_the_new_root(slack: Harness, fake: FakeSlack) -> None:
    """The question after Alice's answer waits in the outbox (Slack's 429) when she moves the run: it
    goes to the new thread, under its root, not to the old thread nor as the new root."""
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    root = (await slack.posts(2))[0]
    fake.refuse("chat.postMessage", status=429, retry_after="2")
    await slack.event(message("UA", "We ship in March", thread_ts=root["ts"]))
    await wait_for(lambda: fake.of("chat.postMessage")[-1].result.get("ok") is False)
    await slack.slash("UA", "move 1 <#C2|ops-review>")
    new_root, question = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[:2]
    assert new_root.get("thread_ts") is None and new_root["text"].endswith("Its next messages follow here.")
    assert (question["thread_ts"], question["text"]) == (new_root["ts"], "<@UA> Action 1: What is the action?")
    await wait_for(lambda: len(in_channel(fake, "C1")) == 3)  # the note, once the 429 is waited out
    assert [p["text"] for p in in_channel(fake, "C1")][2].startswith("Run #1 goes on in a new thread in #ops-review")


async def test_a_reply_posted_in_the_old_thread_as_the_run_moves_is_taken_back_and_posted_in_the_new_one(
    slack: Harness, fake: FakeSlack
) -> None:
    """The question after Alice's answer is on its way to the old thread (Slack slow to answer) when
    the move is kept: it lands there, is taken back, and is posted in the new thread, under its
    root: never only where the run no longer reads answers, never shown twice."""
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    root = (await slack.posts(2))[0]
    fake.slow_down("chat.postMessage", 1.0)
    await slack.event(message("UA", "We ship in March", thread_ts=root["ts"]))
    await wait_for(lambda: len(fake.of("chat.postMessage")) == 3)  # under way
    await slack.slash("UA", "move 1 <#C2|ops-review>")
    fake.slow_down("chat.postMessage", 0.0)
    new_root, question = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[:2]
    assert new_root.get("thread_ts") is None and new_root["text"].startswith("*Post-meeting decision check*")
    assert (question["thread_ts"], question["text"]) == (new_root["ts"], "<@UA> Action 1: What is the action?")
    stray = fake.of("chat.postMessage")[2]
    await wait_for(lambda: stray.result)  # Slack's slow answer
    assert (stray.args["channel"], stray.args["text"], stray.result["ok"]) == ("C1", question["text"], True)
    await wait_for(lambda: [c for c in fake.of("chat.delete") if c.args.get("ts") == stray.result["ts"]])
    assert [p["text"] for p in fake.posted()].count(question["text"]) == 1
    await slack.event(message("UA", "Draft the plan", channel="C2", thread_ts=new_root["ts"]))
    await wait_for(lambda: slack.rows("SELECT value FROM answers WHERE step = 'actions'"))
    assert slack.rows("SELECT value FROM answers WHERE step = 'actions'") == [('"Draft the plan"',)]


async def test_after_a_restart_the_moved_runs_replies_go_to_its_new_thread(tmp_path: Path, fake: FakeSlack) -> None:
    """Slack down when the run moves: its new root and its question wait in the outbox, the server
    restarts, and they go out then: the root in the new channel, the question under it."""
    ops(fake)
    slack = await harness(tmp_path, fake)
    try:
        await slack.slash("UA", "start post_meeting Weekly sync")
        question = (await slack.posts(2))[1]
        fake.refuse("chat.postMessage", times=50, status=503)
        told = await slack.slash("UA", "move 1 <#C2|ops-review>")
        assert told["text"].startswith("Run #1 moves to #ops-review")
        await wait_for(lambda: fake.of("chat.postMessage")[-1].result.get("ok") is False)
    finally:
        await slack.client.close()
    fake.refusals.clear()
    slack = await harness(tmp_path, fake)
    try:
        new_root, again = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[:2]
        assert new_root.get("thread_ts") is None and new_root["text"].startswith("*Post-meeting decision check*")
        assert (again["thread_ts"], again["text"]) == (new_root["ts"], question["text"])
        n = len(fake.posted())
        await slack.event(message("UA", "We ship in March", channel="C2", thread_ts=new_root["ts"]))
        await wait_for(lambda: len(fake.posted()) > n)
        assert fake.posted()[-1]["thread_ts"] == new_root["ts"]
        assert slack.rows("SELECT step, value FROM answers") == [("decision", '"We ship in March"')]
    finally:
        await slack.client.close()


async def test_teams_is_told_move_is_slack_only(tmp_path: Path) -> None:
    async with TeamsHarness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(teams_said(h.url, ALICE, "start post_meeting Launch review"))
        await h.next_post(0)
        await h.send(teams_said(h.url, ALICE, "move 1 general"))
        told = await h.next_post(1)
        assert (
            told.text
            == "Moving a run to another channel works in Slack only, for now: type /decision move RUN #channel there."
        )
        assert h.db("SELECT count(*) FROM transitions WHERE event = 'thread_moved'") == [(0,)]


MOVED_ELSEWHERE = """
import sqlite3, sys
from datetime import UTC, datetime
from bot import outbox_rows, texts
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
print("ready", flush=True)
sys.stdin.readline()  # moved once told
conn.execute("BEGIN IMMEDIATE")
outbox_rows.requeue(conn, 1, sys.argv[2], "slack:C2", 1_000_000, texts.slack_requeued(), datetime.now(UTC))
conn.execute("COMMIT")
"""


async def test_a_reply_posted_as_another_process_moves_its_run_is_taken_back(slack: Harness, fake: FakeSlack) -> None:
    """Two servers on one ledger (a rolling restart): the other one moves the run while this one
    posts its next question in the old thread. The reply's row withdrawn there is seen here all the
    same (this process made no move: its own count of moves says nothing): the post is taken back."""
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    await slack.posts(2)
    [(old,)] = slack.rows("SELECT conversation FROM runs WHERE id = 1")
    ledger = slack.rows("PRAGMA database_list")[0][2]
    mover = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MOVED_ELSEWHERE, ledger, old, stdin=PIPE, stdout=PIPE
    )
    assert mover.stdout is not None and await mover.stdout.readline() == b"ready\n"
    fake.slow_down("chat.postMessage", 1.0)
    await slack.event(message("UA", "We ship in March", thread_ts=old.split("/")[1]))
    await wait_for(lambda: len(fake.of("chat.postMessage")) == 3)  # under way
    await mover.communicate(b"move\n")
    assert mover.returncode == 0
    fake.slow_down("chat.postMessage", 0.0)
    stray = fake.of("chat.postMessage")[2]
    await wait_for(lambda: stray.result)
    assert (stray.args["channel"], stray.result["ok"]) == ("C1", True)
    await wait_for(lambda: [c for c in fake.of("chat.delete") if c.args.get("ts") == stray.result["ts"]])
    await wait_for(lambda: [p for p in in_channel(fake, "C2") if p["text"] == stray.args["text"]])
