"""Posts Teams refuses, as an operator and a facilitator see them: an owner's personal chat
refused 403 is recorded in the ledger (``teams_conversations.refused``) as a channel's is; a
404 replying in one run's thread (its root deleted) is that thread's, not the channel's: the
run goes on in a new thread and the channel's routes stay off ``/healthz``'s ``routes_refused``;
a run posting where Teams said the channel was deleted (or the bot removed) tells its facilitator
what Teams said, and its fix. The real server and botbuilder against the fake Bot Connector."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.channels.teams_activities import key_for
from bot.model import Actor, Trigger
from tests.teams_support import (
    ALICE,
    BOB,
    BOT,
    CAROL,
    CHANNEL,
    TEAM,
    Harness,
    at,
    in_channel,
    installed,
    personal,
    submit,
    wait_for,
)
from tests.test_teams_removed import team_update

ENV = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{CHANNEL}"}
BOB_CHAT = "a:chat-with-29:1bob"


def refused(h: Harness) -> dict[str, str] | None:
    return h.services.extra.get("routes_refused")


async def run_to_the_owner(h: Harness, n: int = 0) -> str:
    """A post_meeting run in the channel up to Bob's confirmation (sent to his personal chat);
    the run's thread root."""
    due = (date.today() + timedelta(days=30)).isoformat()
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    first = await h.next_post(n + 0)
    root = str(first.answer_id)
    await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
    await h.next_post(n + 1)
    await h.send(in_channel(h.url, ALICE, "Fix the payroll export", root=root))
    owner = await h.next_post(n + 2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(n + 3)
    await h.send(submit(h.url, ALICE, when, {"answer": due}))
    more = await h.next_post(n + 4)
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    return root


async def test_an_owners_personal_chat_refused_403_is_recorded_in_the_ledger(tmp_path: Path) -> None:
    """Before, only a run's own conversation refused was recorded: the owner's chat refusing the bot
    (the app blocked or uninstalled for him) left nothing but the facilitator's notice."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(personal(h.url, BOB, "hi"))  # his personal chat is known
        await h.next_post(0)  # its answer
        await wait_for(lambda: refused(h) == {})
        h.fake.refused_in[BOB_CHAT] = 403
        await run_to_the_owner(h, 1)
        await h.settle()
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", BOB_CHAT) == [("403",)]
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", CHANNEL) == [(None,)]
        notice = h.db("SELECT conversation, text FROM messages WHERE kind = 'notice'")
        assert len(notice) == 1 and "Bob Builder" in notice[0][1], notice
        assert refused(h) == {}  # the channel's route is not his chat's
        del h.fake.refused_in[BOB_CHAT]  # the app unblocked: his next message there goes through
        await h.send(personal(h.url, BOB, "help"))
        await h.settle()
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", BOB_CHAT) == [(None,)]


async def test_a_404_in_a_runs_thread_moves_the_run_to_a_new_thread_not_the_channel_refused(tmp_path: Path) -> None:
    """The thread's root deleted: Teams answers 404 to a reply in it. Before, the whole channel was
    recorded refused (404, 'perhaps the channel was deleted'), its route listed in routes_refused,
    and the run's next questions were given up there."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)
        root = str(first.answer_id)
        h.fake.refused_in[f"{CHANNEL};messageid={root}"] = 404  # its root deleted
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        refused_there = await h.next_post(1)  # the next question, refused in the old thread
        assert refused_there.conversation == f"{CHANNEL};messageid={root}" and not refused_there.posted
        moved = await h.next_post(2)  # ... a new thread, saying why
        assert (moved.method, moved.text) == (
            "create",
            "Run #1 ('Weekly sync') goes on in this thread: Teams no longer has its first thread (deleted?). The"
            " answers given there are kept; its next messages follow here.",
        )
        asked = await h.next_post(3)  # the question, in it
        assert asked.conversation == f"{CHANNEL};messageid={moved.answer_id}" and asked.card == refused_there.card
        await h.settle()
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", CHANNEL) == [(None,)]
        assert refused(h) == {}
        assert h.db("SELECT root_id FROM teams_threads") == [(moved.answer_id,)]
        assert h.db("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(0,)]
        await h.send(in_channel(h.url, ALICE, "Fix the payroll export", root=str(moved.answer_id)))
        owner = await h.next_post(4)  # the run goes on in the new thread
        assert owner.conversation == f"{CHANNEL};messageid={moved.answer_id}"


async def test_a_404_in_the_thread_and_in_the_channel_records_the_channel(tmp_path: Path) -> None:
    """The channel itself gone (Teams' channelDeleted lost): the new thread is refused 404 too, and
    that is recorded for the channel, its route listed, as before."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        h.fake.refused_in[f"{CHANNEL};messageid={root}"] = 404
        h.fake.refuse("create", 404)
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await wait_for(lambda: bool(refused(h)))
        assert refused(h) == {
            "default": f"teams:{CHANNEL}: Teams cannot find the conversation, perhaps the channel was deleted (HTTP 404)"
        }
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", CHANNEL) == [("404",)]
        await h.settle()
        assert h.db("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL AND kind = 'prompt'") == [(1,)]


async def test_a_404_to_what_a_bystander_is_told_in_the_thread_moves_the_run_too(tmp_path: Path) -> None:
    """What is said to one person where they wrote (a bystander's answer in the run's thread) goes
    to the run's thread: its 404 moves the run as a question's does; the channel is not refused."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await wait_for(lambda: refused(h) == {})
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        await h.settle()
        h.fake.refused_in[f"{CHANNEL};messageid={root}"] = 404
        await h.send(in_channel(h.url, CAROL, "We ship in April", root=root))
        await h.settle()
        told, asked = h.fake.posts()[-2:]  # what Carol is told, then Alice's question asked again (once)
        thread = told.conversation  # the run's new thread, opened for what Carol is told
        assert (
            thread != f"{CHANNEL};messageid={root}" and thread == f"{CHANNEL};messageid={h.fake.posts()[-3].answer_id}"
        )
        assert told.text.startswith(f"{at(CAROL)} This question is for Alice Example.")
        assert asked.conversation == thread and "What was decided in Weekly sync?" in str(asked.card)
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", CHANNEL) == [(None,)]
        assert refused(h) == {}


@pytest.mark.parametrize(
    ("event", "status", "why", "fix"),
    [
        (
            {"eventType": "channelDeleted", "channel": {"id": CHANNEL}},
            404,
            "the channel was deleted (channelDeleted)",
            "Restore the channel (in Teams, within 21 days of its deletion: the team's ... > Manage team > Channels >"
            " Deleted > Restore) and the run goes on",
        ),
        (
            {"eventType": "teamMemberRemoved", "channel": {"id": TEAM}},
            403,
            "the bot was removed from the team (teamMemberRemoved)",
            "Add the app back to the team (in Teams: the team's ... > Manage team > Apps, or Apps > the bot > Add to a"
            " team) and the run goes on",
        ),
    ],
)
async def test_a_run_posting_where_teams_said_the_bot_cannot_tells_its_facilitator_what_teams_said(
    tmp_path: Path, event: dict[str, Any], status: int, why: str, fix: str
) -> None:
    """A run started (an alert, ``decisionbot trigger``) in a channel Teams said was deleted, or whose
    team the bot was removed from: its post is refused, as every later one is (each a reply of its own,
    tried: a post going through is what says the bot is back). Before, its facilitator was told a
    guess, 'perhaps it was deleted (HTTP 404)', and to 'Add the bot back to that conversation',
    which does not bring a deleted channel back; now what the ledger records, and its fix."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(personal(h.url, ALICE, "hi"))
        await h.next_post(0)
        await h.settle()
        gone = team_update(h.url, team={"id": TEAM}, **event)
        if event["eventType"] == "teamMemberRemoved":
            gone["membersRemoved"] = [dict(BOT)]
        await h.send(gone)
        await wait_for(lambda: bool(refused(h)))
        h.fake.refuse("create", status)
        alice = Actor("teams:29:1alice", "Alice Example")
        h.services.dispatcher.start(
            Trigger(flow="post_meeting", title="Disk full", facilitator=alice), key_for(CHANNEL)
        )
        h.services.notify("teams")
        await h.settle()
        told = h.db("SELECT text FROM messages WHERE kind = 'notice'")
        assert len(told) == 1, told
        assert told[0][0].startswith(f"Run #1 ('Disk full') cannot post in its conversation, teams:{CHANNEL}: {why}.")
        assert fix in told[0][0] and "perhaps" not in told[0][0], told[0][0]
