"""Starts that tell the truth about a channel that refuses the bot's posts: a burst of
``/decision start`` in a channel the bot is not in is told, every one of them, to invite the bot;
none is told "Started" for a run that could never post there."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.channels.slack_limits import Pacer
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import harness, wait_for


async def test_a_burst_of_starts_in_a_channel_the_bot_is_not_in_tells_each_to_invite_it(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Eight ``/decision start`` at once in C9, where the bot is not: the channel's pacing takes
    four roots at once, a fifth a second later; the three beyond used to start without a root of
    their own ("its first question starts its thread in a moment"), runs that could never post.
    Now each start waits on the roots under way there and is told what they learnt."""
    slack = await harness(tmp_path, fake)
    slack.channel.poster.pacer = Pacer()  # the server's own pacing, as in production
    fake.shut_out("C9")
    try:
        began = time.monotonic()
        starts = (slack.slash("UA", f"start post_meeting Sync {n}", channel="C9") for n in range(8))
        answers = await asyncio.gather(*starts)
        assert time.monotonic() - began < 2.9  # Slack's 3 s
        said = [a.get("text", "") for a in answers]
        assert all("Invite me first (/invite @decisionbot)" in s for s in said), said
        assert not any("Started" in s for s in said), said
        assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
        assert slack.rows("SELECT count(*) FROM deliveries WHERE platform = 'slack'") == [(0,)]
        await asyncio.sleep(1.5)  # nothing tried later in C9 for them
        assert [c.result.get("ok") for c in fake.of("chat.postMessage")] == [False] * len(fake.of("chat.postMessage"))
        assert len(fake.of("chat.postMessage")) <= 5
    finally:
        await slack.client.close()


async def test_once_invited_a_burst_there_starts_every_run(tmp_path: Path, fake: FakeSlack) -> None:
    """The refusal the burst learnt is not kept past Slack's word that the bot was invited
    (``member_joined_channel``): a burst there then starts all eight runs, those beyond the pace
    without a root of their own, each asked its first question."""
    slack = await harness(tmp_path, fake)
    slack.channel.poster.pacer = Pacer()
    fake.shut_out("C9")
    try:
        refused = await slack.slash("UA", "start post_meeting Early", channel="C9")
        assert "Invite me first" in refused["text"]
        fake.let_in("C9")
        joined = {"type": "member_joined_channel", "user": BOT_USER, "channel": "C9", "channel_type": "C"}
        assert (await slack.event(joined)).status == 200
        starts = (slack.slash("UA", f"start post_meeting Sync {n}", channel="C9") for n in range(8))
        said = [a.get("text", "") for a in await asyncio.gather(*starts)]
        assert all(s.startswith("Started run") for s in said), said
        assert slack.rows("SELECT count(*) FROM runs") == [(8,)]
        asked = "SELECT count(*) FROM messages WHERE text LIKE 'What was decided%' AND delivered_at IS NOT NULL"
        await wait_for(lambda: slack.rows(asked) == [(8,)], timeout=20)
    finally:
        await slack.client.close()


async def test_a_start_in_a_burst_is_told_nothing_started_when_slack_has_not_answered_the_others_in_time(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Slack slow to answer the roots under way (3 s each): a start beyond the pace cannot know in
    its 3 s whether the channel takes the bot's posts, and is told nothing was started, as a start
    whose own root is that slow is; nothing is kept of it."""
    slack = await harness(tmp_path, fake)
    slack.channel.poster.pacer = Pacer()
    fake.slow_down("chat.postMessage", 3.0)
    fake.shut_out("C9")
    try:
        starts = (slack.slash("UA", f"start post_meeting Sync {n}", channel="C9") for n in range(8))
        said = [a.get("text", "") for a in await asyncio.gather(*starts)]
        assert all("nothing was started" in s for s in said), said
        assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
        assert slack.rows("SELECT count(*) FROM deliveries WHERE platform = 'slack'") == [(0,)]
    finally:
        await slack.client.close()
