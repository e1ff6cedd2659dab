"""A Teams conversation a route names, lost while ``serve`` runs: the bot removed from its team or
chat, its channel deleted, or a post there refused (403, 404). Before, ``/healthz``'s
``routes_refused`` said nothing of it (Slack's routes joined it at once: ``Known.refuses_posts``);
now the routes naming it join it at once, with one warning each and the fix in a Teams admin's
words, and leave it when the bot is added back or a post there goes through; one the bot was removed from
stays listed after a restart. The real server and
botbuilder against the fake Bot Connector."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.teams_support import ALICE, BOB, BOT, CHANNEL, TEAM, Harness, at, in_channel, installed, wait_for
from tests.test_teams_removed import team_update

ENV = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{CHANNEL}"}


def refused(h: Harness) -> dict[str, str] | None:
    return h.services.extra.get("routes_refused")


def warned(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "DEFAULT_CHANNEL" in r.getMessage()
    ]


async def test_the_bot_removed_from_the_team_shows_in_routes_refused_until_added_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})  # the start-up check done: the channel takes posts
        removed = team_update(h.url, eventType="teamMemberRemoved", team={"id": TEAM}, channel={"id": TEAM})
        removed["membersRemoved"] = [dict(BOT)]
        await h.send(removed)
        await wait_for(lambda: bool(refused(h)))
        assert refused(h) == {"default": f"teams:{CHANNEL}: the bot was removed from the team (teamMemberRemoved)"}
        assert warned(caplog) == [
            f"The DECISIONBOT_DEFAULT_CHANNEL sends its runs to teams:{CHANNEL}, where the bot cannot post: the bot"
            " was removed from the team (teamMemberRemoved). Its alerts would start runs nobody there sees. Fix: Add"
            " the app back to the team (in Teams: the team's ... > Manage team > Apps, or Apps > the bot > Add to a"
            " team), or set it to another channel."
        ]
        await h.send(removed)  # Teams says it again: nothing more
        await h.send(installed(h.url, "channel", (ALICE,)))  # the app added back to the team
        await wait_for(lambda: refused(h) == {})
        assert len(warned(caplog)) == 1


async def test_the_channel_deleted_shows_in_routes_refused(tmp_path: Path) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        await h.send(team_update(h.url, eventType="channelDeleted", team={"id": TEAM}, channel={"id": CHANNEL}))
        await wait_for(lambda: bool(refused(h)))
        assert refused(h) == {"default": f"teams:{CHANNEL}: the channel was deleted (channelDeleted)"}
        await h.restart()  # the ledger's mark says which: before, "removed from the team, or the channel deleted"
        await wait_for(lambda: refused(h) is not None)
        assert refused(h) == {"default": f"teams:{CHANNEL}: the channel was deleted (channelDeleted)"}


async def test_a_post_refused_403_joins_routes_refused_and_one_going_through_leaves_it(tmp_path: Path) -> None:
    """Teams never said the bot was removed (the event lost): the post opening a run's thread is
    refused 403; the next one goes through."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        h.fake.refuse("create", 403)
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await wait_for(lambda: bool(refused(h)))
        assert refused(h) == {
            "default": f"teams:{CHANNEL}: Teams no longer lets the bot post there, perhaps it was removed from the"
            " team or chat (HTTP 403)"
        }
        await h.settle()
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Retro", BOB))
        await wait_for(lambda: refused(h) == {})


async def test_a_route_to_a_team_the_bot_was_removed_from_stays_listed_after_a_restart(tmp_path: Path) -> None:
    """Before, the check at start-up (and at each change of routes.yaml) asked nothing of Teams, and
    replaced the list: the route left it though the bot was still out of the team."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        removed = team_update(h.url, eventType="teamMemberRemoved", team={"id": TEAM}, channel={"id": TEAM})
        removed["membersRemoved"] = [dict(BOT)]
        await h.send(removed)
        await wait_for(lambda: bool(refused(h)))
        await h.restart()
        await wait_for(lambda: refused(h) is not None)  # the start-up check done
        assert refused(h) == {"default": f"teams:{CHANNEL}: the bot was removed from the team (teamMemberRemoved)"}
        await h.send(installed(h.url, "channel", (ALICE,)))
        await wait_for(lambda: refused(h) == {})


@pytest.mark.parametrize(("routed", "listed"), [("19:other-a@thread.tacv2", False), ("19:old-a@thread.tacv2", True)])
async def test_the_app_added_back_to_the_team_brings_its_channels_back_but_a_deleted_one(
    tmp_path: Path, routed: str, listed: bool
) -> None:
    """The default route to another channel of the team: after the app is added back (Teams says so
    in the General channel only) and a restart, it is not listed; to a channel deleted before, it is."""
    other, deleted = "19:other-a@thread.tacv2", "19:old-a@thread.tacv2"
    async with Harness(tmp_path, env={**ENV, "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{routed}"}) as h:
        for channel in (other, deleted):
            added = installed(h.url, "channel", (ALICE,))
            added["conversation"]["id"] = added["channelData"]["channel"]["id"] = channel
            await h.send(added)
        await wait_for(lambda: refused(h) == {})
        await h.send(team_update(h.url, eventType="channelDeleted", team={"id": TEAM}, channel={"id": deleted}))
        removed = team_update(h.url, eventType="teamMemberRemoved", team={"id": TEAM}, channel={"id": TEAM})
        removed["membersRemoved"] = [dict(BOT)]
        await h.send(removed)
        await wait_for(lambda: set(refused(h) or {}) == {"default"})
        back = team_update(h.url, eventType="teamMemberAdded", team={"id": TEAM}, channel={"id": TEAM})
        back["membersAdded"] = [dict(BOT)]
        await h.send(back)
        await h.restart()
        await wait_for(lambda: refused(h) is not None)
        assert set(refused(h) or {}) == ({"default"} if listed else set())


async def test_the_channel_restored_leaves_routes_refused_and_stays_out_after_a_restart(tmp_path: Path) -> None:
    """Teams says a channel is restored in a ``channelRestored`` conversationUpdate (in the team's
    General channel, the channel's id in channelData). Before, it was not heard: the channel stayed
    marked deleted, and its route in ``routes_refused`` (whose fix says to restore it) for good."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await wait_for(lambda: refused(h) == {})
        await h.send(team_update(h.url, eventType="channelDeleted", team={"id": TEAM}, channel={"id": CHANNEL}))
        await wait_for(lambda: bool(refused(h)))
        await h.send(team_update(h.url, eventType="channelRestored", team={"id": TEAM}, channel={"id": CHANNEL}))
        await wait_for(lambda: refused(h) == {})
        marks = "SELECT installed, deleted_at FROM teams_conversations WHERE conversation_id = ?"
        assert h.db(marks, CHANNEL) == [(1, None)]
        await h.restart()
        await wait_for(lambda: refused(h) is not None)  # the start-up check done
        assert refused(h) == {}
