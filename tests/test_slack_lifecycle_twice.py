"""Defects of the Slack lifecycle events found in review: the same change told by two events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_alert_channel_refused import served
from tests.test_slack_lifecycle import asked_alice_the_first_action, clock, told_to
from tests.test_slack_trigger_people import alert, hook

__all__ = ["clock"]

DUE_REMINDERS = "SELECT 1 FROM jobs WHERE kind = 'remind' AND done_at IS NULL AND payload LIKE '%\"to\"%'"


async def test_unarchived_and_invited_back_asks_again_once(slack: Harness, fake: FakeSlack) -> None:
    """The channel archived, the run's next question refused there; then unarchived and the bot
    invited back (two events, or the event and its message twin): the question is asked again once,
    not once an event (the first event's reminder had not gone yet)."""
    thread = await asked_alice_the_first_action(slack)
    fake.shut_out("C1", "is_archived")
    await slack.event({"type": "channel_archive", "channel": "C1", "user": "UB", "event_ts": "1800000100.1"})
    await wait_for(lambda: told_to(fake, "DUA"))
    await slack.event(message("UA", "Draft the plan", channel="DUA", channel_type="im"))  # her next question: refused
    await wait_for(
        lambda: slack.rows("SELECT 1 FROM messages WHERE conversation LIKE 'slack:C1%' AND failed_at IS NOT NULL")
    )
    fake.let_in("C1")
    in_thread = len([p for p in fake.posted() if p.get("thread_ts") == thread])
    await slack.event({"type": "channel_unarchive", "channel": "C1", "user": "UA", "event_ts": "1800000100.2"})
    await slack.event(message("UA", "un-archived the channel", subtype="channel_unarchive"))
    joined = {"type": "member_joined_channel", "user": "UBOT", "channel": "C1", "channel_type": "C", "team": "T111"}
    await slack.event({**joined, "event_ts": "1800000100.3"})
    again = await wait_for(lambda: [p for p in fake.posted() if p.get("thread_ts") == thread][in_thread:])
    await wait_for(lambda: not slack.rows(DUE_REMINDERS))
    await wait_for(
        lambda: (
            not slack.rows(
                "SELECT 1 FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"
            )
        )
    )
    again = [p for p in fake.posted() if p.get("thread_ts") == thread][in_thread:]
    assert len(again) == 1, again
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'channel_back'") == [(1,)]


async def test_the_backup_of_an_alerts_run_is_told_only_what_works(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """An alert's run nobody has taken, the bot removed from its channel: its backup is told. Its
    question waits on whoever answers first there, not on the backup: told "you can answer it here",
    she would answer in the direct message and reach nothing."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        assert (await hook(slack, alert()))["started"] == [1]
        await slack.posts(1)
        fake.shut_out("C0OPS")
        await slack.event({"type": "channel_left", "channel": "C0OPS", "actor_id": "UA", "event_ts": "1800000100.6"})
        [said] = await wait_for(lambda: told_to(fake, "DUB"))
        [question] = [" ".join(p["text"].split()) for p in fake.posted() if p["channel"] == "C0OPS"]
        assert "you can answer it here" not in said
        assert f'Its question "{question}" waits for whoever answers first in the channel.' in said
        await slack.event(message("UB", "me", channel="DUB", channel_type="im"))  # what she was told not to do
        await wait_for(lambda: len(told_to(fake, "DUB")) > 1)
        assert told_to(fake, "DUB")[1].startswith("Nothing is waiting for your answer here.")
    finally:
        await slack.client.close()


async def test_removed_and_invited_back_at_once_ends_with_the_bot_back(slack: Harness, fake: FakeSlack) -> None:
    """The bot removed and invited back, Slack's two events arriving together (a burst of retries
    after an outage): the removal, which first looks up who did it, was written after the return,
    so the run stayed lost (and its lead was told so) with the bot in the channel. Now the events
    of the workspace are handled one at a time, in the order they came."""
    thread = await asked_alice_the_first_action(slack)
    fake.slow_down("users.info", 0.5)  # who removed the bot: looked up first
    lost = {"type": "channel_left", "channel": "C1", "actor_id": "UC", "event_ts": "1800000100.1"}
    joined = {"type": "member_joined_channel", "user": "UBOT", "channel": "C1", "channel_type": "C", "team": "T111"}

    async def back_soon() -> None:
        await asyncio.sleep(0.1)
        await wait_for(lambda: [c for c in fake.of("conversations.info") if c.args.get("channel") == "C1" and c.result])
        fake.let_in("C1")  # (the removal was checked with Slack: true then)
        await slack.event({**joined, "event_ts": "1800000100.2"})

    fake.shut_out("C1")

    in_thread = len([p for p in fake.posted() if p.get("thread_ts") == thread])
    await asyncio.gather(slack.event(lost), back_soon())
    assert [r[0] for r in slack.rows("SELECT event FROM transitions ORDER BY id")][-2:] == [
        "channel_lost",
        "channel_back",
    ]
    await wait_for(lambda: [p for p in fake.posted() if p.get("thread_ts") == thread][in_thread:])  # asked again
