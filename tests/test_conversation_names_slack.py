"""Slack channels named where no command gave their name (bot/store/names.py). Before, a move's
``conversations.info`` about both channels taught their names and they were not kept, and a run
started by a mention or a message in a channel no command was typed in and no route names showed
its channel's id forever. Now the move's names are kept, and such channels are asked about in the
background (bot/channels/slack_naming.py): a few ``conversations.info`` a minute at most, a refusal
not asked again for hours, no write lock held while Slack answers. The real server, requests signed
as Slack signs them, slack-sdk against the fake Web API, a real SQLite ledger."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from pathlib import Path
from typing import Any

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_move import in_channel, ops


def mention(user: str, text: str, channel: str) -> dict[str, Any]:
    event = message(user, f"<@{BOT_USER}> {text}", channel=channel, type="app_mention")
    del event["channel_type"]  # app_mention events carry none
    return event


def named(slack: Harness) -> dict[str, str]:
    return dict(slack.rows("SELECT conversation, name FROM conversation_names"))


def asked(fake: FakeSlack, channel: str) -> int:
    return len([c for c in fake.of("conversations.info") if c.args.get("channel") == channel])


async def started_by_mention(slack: Harness, channel: str) -> None:
    await slack.event(mention("UA", "start post_meeting Weekly sync", channel))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE conversation LIKE ?", f"slack:{channel}%"))


async def test_a_move_keeps_the_names_slack_gave_of_both_channels(slack: Harness, fake: FakeSlack) -> None:
    slack.channel.naming.next_at = math.inf  # (nothing named in the background here, however slow)
    ops(fake)  # C1 is #general, C2 #ops-review
    await slack.slash("UA", "start post_meeting Weekly sync")  # (no channel_name given)
    root = (await slack.posts(2))[0]
    assert named(slack) == {}
    await slack.event(message("UA", "move 1 <#C2>", thread_ts=root["ts"]))  # typed: no name in the text
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2)
    assert named(slack) == {"slack:C1": "general", "slack:C2": "ops-review"}
    assert asked(fake, "C1") == asked(fake, "C2") == 1  # (the move's own check: no call more)


async def test_a_channel_runs_live_in_is_named_in_the_background_once(slack: Harness, fake: FakeSlack) -> None:
    fake.describe("C7", "incident-42")
    fake.describe("C8", "launch")
    fake.shut_out("C9", "channel_not_found")  # a private channel the bot was removed from
    slack.channel.naming.next_at = 0.0  # (as if the server had started EVERY seconds ago)
    await started_by_mention(slack, "C7")
    await wait_for(lambda: named(slack) == {"slack:C7": "incident-42"}, timeout=5)
    await started_by_mention(slack, "C8")
    await started_by_mention(slack, "C9")
    await asyncio.sleep(2.5)  # (housekeeping's ticks: none asks before EVERY has passed)
    assert named(slack) == {"slack:C7": "incident-42"}
    assert (asked(fake, "C7"), asked(fake, "C8"), asked(fake, "C9")) == (1, 0, 0)
    slack.channel.naming.every = 0.0  # (time passed, as in a few minutes)
    slack.channel.naming.next_at = 0.0
    await wait_for(lambda: named(slack) == {"slack:C7": "incident-42", "slack:C8": "launch"}, timeout=5)
    await wait_for(lambda: asked(fake, "C9") == 1, timeout=5)
    await asyncio.sleep(2.5)  # refused: not asked again for hours; named: not asked again at all
    assert (asked(fake, "C7"), asked(fake, "C8"), asked(fake, "C9")) == (1, 1, 1)
    assert slack.rows("SELECT count(*) FROM runs") == [(3,)]


async def test_no_write_lock_is_held_while_slack_answers(slack: Harness, fake: FakeSlack, tmp_path: Path) -> None:
    fake.describe("C7", "incident-42")
    fake.slow_down("conversations.info", 1.0)
    slack.channel.naming.next_at = 0.0  # (as if the server had started EVERY seconds ago)
    await started_by_mention(slack, "C7")
    await wait_for(lambda: asked(fake, "C7") == 1, timeout=5)  # (Slack is answering)
    other = sqlite3.connect(tmp_path / "slack.db", isolation_level=None, timeout=0.2, check_same_thread=False)
    try:
        await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")  # another process writes meanwhile
        other.execute("COMMIT")
    finally:
        other.close()
    await wait_for(lambda: named(slack) == {"slack:C7": "incident-42"}, timeout=5)


async def test_slacks_rate_limit_holds_the_naming_for_its_retry_after(slack: Harness, fake: FakeSlack) -> None:
    fake.describe("C7", "incident-42")
    fake.describe("C8", "launch")
    await wait_for(lambda: [c for c in fake.of("conversations.info") if c.result])  # (the routes' check first)
    fake.refuse("conversations.info", status=429, retry_after="30")
    naming = slack.channel.naming
    naming.every, naming.next_at = 0.0, 0.0  # (one a second, were Slack not holding it back)
    await started_by_mention(slack, "C7")
    await started_by_mention(slack, "C8")
    await wait_for(lambda: asked(fake, "C7") + asked(fake, "C8") == 1, timeout=5)
    await asyncio.sleep(2.5)
    assert asked(fake, "C7") + asked(fake, "C8") == 1 and named(slack) == {}  # nothing more asked for 30 s
    naming.next_at = 0.0  # (30 s later)
    for channel in list(naming.later):
        naming.later[channel] = 0.0
    await wait_for(lambda: named(slack) == {"slack:C7": "incident-42", "slack:C8": "launch"}, timeout=5)
