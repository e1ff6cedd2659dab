"""``move RUN #channel`` typed to the bot in a message (a direct message, a mention) while Slack is
slow to describe the channels (``conversations.info``): the event is answered within Slack's 3 s.
Before, its acknowledgement waited for Slack (3.5 s here): Slack counts that a failure, sends the
event again, and turns off the app's events when it happens often. Now Slack is given 1.5 s, and
the person is told nothing moved and to try again. The real server, events signed as Slack signs
them, slack-sdk against the fake Web API."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for


def in_channel(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [p for p in fake.posted() if p["channel"] == channel]


async def test_a_move_typed_by_direct_message_is_answered_within_3_s_when_slack_is_slow(
    slack: Harness, fake: FakeSlack
) -> None:
    fake.describe("C1", "general")
    fake.describe("C2", "ops-review")
    await slack.started()
    fake.slow_down("conversations.info", 3.5)
    began = time.monotonic()
    resp = await slack.event(message("UA", "move 1 <#C2|ops-review>", channel="DUA"))
    assert resp.status == 200 and time.monotonic() - began < 2.9  # Slack's 3 s
    [told] = await wait_for(lambda: in_channel(fake, "DUA"))
    assert told["text"] == (
        "Run #1 was not moved: Slack did not say whether the bot can post in #ops-review (no answer in time)."
        " Try again in a moment."
    )
    assert slack.rows("SELECT conversation LIKE 'slack:C1/%' FROM runs") == [(1,)]
    fake.slow_down("conversations.info", 0.0)
    await slack.event(message("UA", "move 1 <#C2|ops-review>", channel="DUA"))
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2)
    assert slack.rows("SELECT conversation FROM runs") == [("slack:C2",)]
