"""A removal or an archiving Slack delivers late (its retries last an hour; Socket Mode redelivers
after a reconnection), after the bot was invited back or the channel unarchived: before, the run
was marked as having lost its channel and its lead was told so, the bot being in the channel. Now
Slack is asked first (``conversations.info``): a channel that still takes the bot's posts changes
nothing (one debug line); Slack that cannot tell (a scope missing, Slack down) leaves the event
believed, as before. The real server, events signed as Slack signs them."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, wait_for
from tests.test_slack_lifecycle import REMOVED, asked_alice_the_first_action, clock, told_to

__all__ = ["clock"]

LEFT = {"type": "channel_left", "channel": "C1", "actor_id": "UB"}
ARCHIVED = {"type": "channel_archive", "channel": "C1", "user": "UB"}
BACK = {"type": "member_joined_channel", "user": "UBOT", "channel": "C1", "channel_type": "C", "team": "T111"}
UNARCHIVED = {"type": "channel_unarchive", "channel": "C1", "user": "UA"}


def lost_rows(slack: Harness) -> list[tuple[Any, ...]]:
    return slack.rows("SELECT event FROM transitions WHERE event IN ('channel_lost', 'channel_back')")


@pytest.mark.parametrize(
    ("lost", "code", "back"), [(LEFT, "not_in_channel", BACK), (ARCHIVED, "is_archived", UNARCHIVED)]
)
async def test_a_loss_delivered_after_the_return_changes_nothing(
    slack: Harness,
    fake: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    lost: dict[str, Any],
    code: str,
    back: dict[str, Any],
) -> None:
    caplog.set_level(logging.DEBUG, logger="decisionbot.slack")
    thread = await asked_alice_the_first_action(slack)
    fake.shut_out("C1", code)  # removed (archived) ...
    fake.let_in("C1")  # ... and back at once; Slack delivers the return first, the loss late
    await slack.event({**back, "event_ts": "1800000100.2"}, event_id="EvBACK")
    resp = await slack.event({**lost, "event_ts": "1800000100.1"}, event_id="EvLOST")
    assert resp.status == 200
    assert [c.args["channel"] for c in fake.of("conversations.info")].count("C1") == 1
    assert lost_rows(slack) == []
    [line] = [r for r in caplog.records if "came after the return" in r.getMessage()]
    assert line.levelno == logging.DEBUG and line.getMessage().startswith("slack: slack:C1: an event says ")
    await slack.say(thread, "Draft the plan")  # the run goes on in its thread
    await wait_for(lambda: [p for p in fake.posted() if p.get("thread_ts") == thread and "Who owns" in p["text"]])
    assert [t for t in told_to(fake, "DUA") if "can no longer be answered" in t] == []


@pytest.mark.parametrize("refusal", [{"error": "missing_scope"}, {"status": 503}])
async def test_slack_unable_to_tell_leaves_the_event_believed(
    slack: Harness, fake: FakeSlack, refusal: dict[str, Any]
) -> None:
    """``channels:read`` missing (an app installed from an older manifest), or Slack down: the
    removal is believed, as before (the lead told, the run's ``channel_lost`` kept)."""
    await asked_alice_the_first_action(slack)
    fake.refuse("conversations.info", **refusal)
    await slack.event({**LEFT, "event_ts": "1800000100.1"})
    [said] = await wait_for(lambda: told_to(fake, "DUA"))
    assert said.startswith(REMOVED)
    assert lost_rows(slack) == [("channel_lost",)]


async def test_a_loss_slack_confirms_is_told(slack: Harness, fake: FakeSlack) -> None:
    """The usual case: Slack says the bot is not in the channel; its lead is told at once."""
    await asked_alice_the_first_action(slack)
    fake.shut_out("C1")
    await slack.event({**LEFT, "event_ts": "1800000100.1"})
    [said] = await wait_for(lambda: told_to(fake, "DUA"))
    assert said.startswith(REMOVED)
    assert lost_rows(slack) == [("channel_lost",)]


async def test_slacks_retry_of_a_loss_told_already_asks_slack_nothing(slack: Harness, fake: FakeSlack) -> None:
    """A retry of the event (the same event id: Slack's retries, Socket Mode's redelivery) is
    dropped by its id before Slack is asked anything: no ``conversations.info`` call, nothing told again."""
    await asked_alice_the_first_action(slack)
    fake.shut_out("C1")
    await slack.event({**LEFT, "event_ts": "1800000100.1"}, event_id="EvLOST")
    await wait_for(lambda: told_to(fake, "DUA"))
    asked = len(fake.of("conversations.info"))
    resp = await slack.event({**LEFT, "event_ts": "1800000100.1"}, event_id="EvLOST")
    assert resp.status == 200
    assert len(fake.of("conversations.info")) == asked
    assert len(told_to(fake, "DUA")) == 1
    assert lost_rows(slack) == [("channel_lost",)]
