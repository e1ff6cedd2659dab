"""Why the bot cannot post in a Teams conversation a route names is one record in the ledger
(``teams_conversations.refused``), written for every kind of it: Teams said the bot was removed
(conversationUpdate), the app uninstalled (installationUpdate), the channel deleted, or a post
there refused 403 / 404. Before, only what Teams announced was saved: a route listed in ``/healthz``
(``routes_refused``) for a refused post left the list at a restart, though nothing had changed,
and any message heard from the channel took it off, though hearing proves the bot is there, not
that it may post (a 403 may be a permission). The real server and botbuilder against the fake Bot
Connector, a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.channels.teams_inbound import TOLD_AT_MOST
from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, TEAM, Harness, activity, at, in_channel, installed, wait_for
from tests.test_teams_removed import team_update
from tests.test_teams_route_channels import ENV, refused

REFUSED_403 = (
    f"teams:{CHANNEL}: Teams no longer lets the bot post there, perhaps it was removed from the team or chat (HTTP 403)"
)


async def refused_403(h: Harness) -> None:
    """The app in the team; the post opening a run's thread refused 403 (Teams never said why)."""
    await h.send(installed(h.url, "channel", (ALICE, BOB)))
    await wait_for(lambda: refused(h) == {})
    h.fake.refuse("create", 403)
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    await wait_for(lambda: refused(h) == {"default": REFUSED_403})
    await h.settle()


async def restarted(h: Harness) -> dict[str, str] | None:
    await h.restart()
    await wait_for(lambda: refused(h) is not None)  # the start-up check done
    return refused(h)


def mark(h: Harness) -> list[tuple[object, ...]]:
    return h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", CHANNEL)


async def test_a_post_refused_403_stays_listed_after_a_restart_until_a_post_goes_through(tmp_path: Path) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await refused_403(h)
        assert mark(h) == [("403",)]
        assert await restarted(h) == {"default": REFUSED_403}  # before: {}
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Retro", BOB))
        await wait_for(lambda: refused(h) == {})  # the post opening its thread went through
        assert mark(h) == [(None,)]
        assert await restarted(h) == {}


async def test_a_message_heard_from_the_channel_does_not_lift_a_403_but_the_app_added_back_does(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await refused_403(h)
        await h.send(in_channel(h.url, CAROL, "list"))  # the bot hears the channel: it is there, not allowed to post
        await h.settle()
        assert refused(h) == {"default": REFUSED_403}  # before: {}
        assert mark(h) == [("403",)]
        await h.send(installed(h.url, "channel", (ALICE,)))  # the app added back to the team
        await wait_for(lambda: refused(h) == {})
        assert mark(h) == [(None,)]
        assert await restarted(h) == {}


async def test_a_message_heard_from_a_conversation_refused_404_lifts_it(tmp_path: Path) -> None:
    """404: Teams could not find the conversation; a message from it says it is there."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        h.fake.refuse("create", 404)
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await wait_for(lambda: bool(refused(h)))
        await h.settle()
        assert mark(h) == [("404",)]
        await h.send(in_channel(h.url, CAROL, "list"))
        await wait_for(lambda: refused(h) == {})
        assert mark(h) == [(None,)]


async def test_the_app_uninstalled_from_the_team_says_so_not_teamMemberRemoved(tmp_path: Path) -> None:
    """Teams' installationUpdate (remove) read as a teamMemberRemoved: the admin was told of an
    event that did not come; and the run's facilitator that the bot was removed, not the app."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await h.next_post(0)
        await h.settle()
        conv = {"id": TEAM, "conversationType": "channel", "isGroup": True}
        uninstalled = activity(h.url, CAROL, conv, "", None, type="installationUpdate", action="remove")
        uninstalled.pop("text")
        await h.send(uninstalled)
        said = f"teams:{CHANNEL}: the app was uninstalled from the team (installationUpdate: remove)"
        await wait_for(lambda: refused(h) == {"default": said})
        told = await h.next_post(1)
        assert told.text.startswith("Run #1 ('Weekly sync') can no longer post in its conversation: the app was")
        assert "the app was uninstalled from its team" in told.text
        assert await restarted(h) == {"default": said}
        removed = team_update(h.url, eventType="teamMemberRemoved", team={"id": TEAM}, channel={"id": TEAM})
        removed["membersRemoved"] = [{"id": "28:11111111-2222-3333-4444-555555555555"}]
        await h.send(removed)  # Teams sends both, in either order: the first one says which
        assert refused(h) == {"default": said}


async def test_the_people_told_an_answer_was_taken_elsewhere_are_bounded(tmp_path: Path) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        told = h.channel.turns.told_here
        for run in range(TOLD_AT_MOST + 1):
            told[(run, "teams:29:1alice")] = None
        assert len(told) == TOLD_AT_MOST
        assert (0, "teams:29:1alice") not in told
        assert (TOLD_AT_MOST, "teams:29:1alice") in told


def test_the_marks_an_earlier_version_kept_are_carried_over_by_the_upgrade(tmp_path: Path) -> None:
    """A ledger whose ``installed`` 0 / ``deleted_at`` were the only record: upgraded, ``refused`` says why."""
    from sqlite_utils import Database

    from bot.channels import teams_store
    from bot.store import schema

    db = Database(tmp_path / "old.db")
    schema.migrations.apply(db)
    teams_store.migrations.apply(db, stop_before="m004_refused")
    rows = [
        ("19:removed@thread.tacv2", "channel", 0, None),
        ("19:deleted@thread.tacv2", "channel", 0, "2026-11-01T10:00:00Z"),
        ("19:chat@thread.v2", "groupChat", 0, None),
        ("19:there@thread.tacv2", "channel", 1, None),
    ]
    for conversation, kind, on, deleted in rows:
        db.execute(
            "INSERT INTO teams_conversations (conversation_id, conversation_type, service_url, bot_id, reference,"
            " installed, updated_at, deleted_at) VALUES (?, ?, 'https://smba.example/', '28:bot', '{}', ?, '', ?)",
            (conversation, kind, on, deleted),
        )
    teams_store.migrations.apply(db)
    found = db.execute("SELECT conversation_id, refused FROM teams_conversations ORDER BY rowid").fetchall()
    assert found == [
        ("19:removed@thread.tacv2", "team"),
        ("19:deleted@thread.tacv2", "channel"),
        ("19:chat@thread.v2", "chat"),
        ("19:there@thread.tacv2", None),
    ]


async def test_a_403_stays_through_a_restart_a_message_and_a_channel_restored_where_it_was_said(
    tmp_path: Path,
) -> None:
    """After a restart (nothing cached) a message heard from the channel keeps its 403; a
    ``channelRestored`` of another channel, said in this one, lifts that one only."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await refused_403(h)
        assert await restarted(h) == {"default": REFUSED_403}
        await h.send(in_channel(h.url, CAROL, "list"))
        conv = {"id": CHANNEL, "conversationType": "channel", "isGroup": True}
        restored = activity(h.url, ALICE, conv, "", None, type="conversationUpdate")
        restored.pop("text")
        restored["channelData"].update(eventType="channelRestored", channel={"id": "19:other-a@thread.tacv2"})
        await h.send(restored)
        await h.settle()
        assert refused(h) == {"default": REFUSED_403}
        assert mark(h) == [("403",)]
