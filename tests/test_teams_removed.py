"""The bot removed from a team, or a run's channel deleted, while runs live there. Before, Teams'
conversationUpdate only marked that conversation uninstalled: the facilitator of a run waiting on
her question in the thread heard nothing until its next message was refused (a reminder, hours
later). She is told at once, in her personal chat, which run can no longer post where, and what
to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.teams_support import (
    ALICE,
    BOB,
    BOT,
    CAROL,
    CHANNEL,
    TEAM,
    TENANT,
    Harness,
    activity,
    at,
    in_channel,
    installed,
)
from tests.test_teams_group_chat import MEETING_CHAT, in_meeting_chat


def team_update(service_url: str, **channel_data: Any) -> dict[str, Any]:
    """A conversationUpdate of the team, as Teams sends it: in the team's General channel (its id the team's)."""
    conv = {"id": TEAM, "conversationType": "channel", "isGroup": True}
    act = activity(service_url, ALICE, conv, "", None, type="conversationUpdate")
    act.pop("text")
    act["channelData"].update(channel_data)
    return act


async def started(h: Harness) -> None:
    await h.send(installed(h.url, "channel", (ALICE, BOB)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    await h.next_post(0)
    await h.settle()


async def test_the_bot_removed_from_the_team_tells_each_facilitator_of_a_run_there_at_once(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await started(h)
        removed = team_update(h.url, eventType="teamMemberRemoved", team={"id": TEAM}, channel={"id": TEAM})
        removed["membersRemoved"] = [dict(BOT)]
        await h.send(removed)
        told = await h.next_post(1)
        assert told.conversation == "a:chat-with-29:1alice"
        assert told.text == (
            "Run #1 ('Weekly sync') can no longer post in its conversation: the bot was removed from its team."
            " Add the bot back there and the run goes on with its next message ('status 1' says what it waits"
            " for); or end it with the bot's command 'cancel 1'."
        )
        assert h.db("SELECT installed FROM teams_conversations WHERE conversation_id = ?", CHANNEL) == [(0,)]


async def test_a_runs_channel_deleted_tells_its_facilitator(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await started(h)
        await h.send(team_update(h.url, eventType="channelDeleted", team={"id": TEAM}, channel={"id": CHANNEL}))
        told = await h.next_post(1)
        assert told.conversation == "a:chat-with-29:1alice"
        assert told.text.startswith(
            "Run #1 ('Weekly sync') can no longer post in its conversation: its channel was deleted."
        )
        await h.send(team_update(h.url, eventType="channelDeleted", team={"id": TEAM}, channel={"id": CHANNEL}))
        await h.settle()
        assert len(h.fake.posts()) == 2  # said once


async def test_the_app_removed_from_a_group_chat_tells_the_facilitators_of_its_runs(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(in_meeting_chat(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await h.next_post(0)
        await h.settle()
        conv = {"id": MEETING_CHAT, "conversationType": "groupChat", "isGroup": True, "tenantId": TENANT}
        uninstalled = activity(h.url, CAROL, conv, "", None, type="installationUpdate", action="remove")
        uninstalled.pop("text")
        await h.send(uninstalled)
        told = await h.next_post(1)
        assert told.conversation == "a:chat-with-29:1alice"
        assert told.text.startswith(
            "Run #1 ('Weekly sync') can no longer post in its conversation: the app was uninstalled from its chat."
        )


async def test_a_conversation_id_beyond_sqlites_like_pattern_limit_is_told_all_the_same(tmp_path: Path) -> None:
    """The runs of a conversation were found with LIKE: beside a run, an id over SQLite's pattern
    limit (50,000 bytes) was an error ("LIKE or GLOB pattern too complex"), not nothing to tell."""
    from datetime import UTC, datetime

    from bot.channels.teams_removed import tell
    from bot.store import open_db

    async with Harness(tmp_path) as h:
        await started(h)
        db = open_db(tmp_path / h.db_name)
        with db.conn:
            assert tell(db.conn, ["19:" + "x" * 60_000], "gone", datetime(2026, 11, 30, tzinfo=UTC)) == []
        db.conn.close()
