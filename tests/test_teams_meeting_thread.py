"""A run started in a reply chain of a channel (a channel meeting's chat is one: the meeting's
post and its replies): it opened a new post in the channel, away from the meeting, and the
thread where it was asked for stayed silent, so the facilitator saw nothing happen there. As on
Slack (a run started in a thread lives in that thread), it now lives in that reply chain."""

from __future__ import annotations

from pathlib import Path

from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed


async def test_a_run_started_in_a_channel_meetings_reply_chain_lives_there(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        meeting = "1699999999000"  # the channel meeting's post: its chat is this reply chain
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB, root=meeting))
        first = await h.next_post(0)
        assert (first.method, first.conversation) == ("send", f"{CHANNEL};messageid={meeting}")
        assert first.card is not None and first.card["body"][1]["text"].endswith("What was decided in Weekly sync?")
        assert h.fake.of("create") == []
        assert h.db("SELECT run_id, conversation_id, root_id FROM teams_threads") == [(1, CHANNEL, meeting)]
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=meeting))
        what = await h.next_post(1)
        assert what.conversation == f"{CHANNEL};messageid={meeting}"
        assert h.db("SELECT actor_id, value FROM answers") == [("teams:29:1alice", '"We move the launch to March"')]

        # a second run started in that reply chain opens its own post, as before: a chain holds one run
        await h.send(in_channel(h.url, BOB, "start post_meeting Another one", root=meeting))
        second = await h.next_post(2)
        assert second.method == "create"
        assert h.db("SELECT run_id, root_id = ? FROM teams_threads ORDER BY run_id", meeting) == [(1, 1), (2, 0)]
