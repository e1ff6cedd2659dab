"""An alert's run nobody has taken yet, whose channel the bot lost: its route's backup is told by
direct message to move it ('move N #channel') or end it ('cancel N'). Before, both were refused to
them ("Only the facilitator (facilitator) can move the run."): nobody could take the run, as its
question ("Who takes this one?") is answered only in the channel lost. Now the backup, whom the
notice addresses, may move or cancel it; anyone else is still refused. The real server, requests
signed as Slack signs them, slack-sdk against the fake Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, message, wait_for
from tests.test_slack_alert_channel_refused import served
from tests.test_slack_trigger_people import NOW, alert, hook


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def lost(tmp_path: Path, fake: FakeSlack, clock: Clock) -> AsyncIterator[Harness]:
    """An alert's run in #ops (Bob its route's backup), nobody has taken it; Alice removes the bot
    from #ops: Bob is told by direct message."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    fake.describe("C0OPS", "ops")
    fake.describe("C2", "ops-review")
    try:
        assert (await hook(slack, alert()))["started"] == [1]
        await slack.posts(1)
        fake.shut_out("C0OPS")
        await slack.event({"type": "channel_left", "channel": "C0OPS", "actor_id": "UA"})
        [told] = await wait_for(lambda: in_channel(fake, "DUB"))
        assert "'move 1 #channel'" in told["text"] and "'cancel 1'" in told["text"]
        yield slack
    finally:
        await slack.client.close()


def in_channel(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [p for p in fake.posted() if p["channel"] == channel]


async def test_the_backup_told_moves_the_run_and_it_is_taken_in_the_new_channel(lost: Harness, fake: FakeSlack) -> None:
    question = in_channel(fake, "C0OPS")[0]
    said = await lost.slash("UB", "move 1 <#C2|ops-review>", channel="DUB")
    assert said["text"].startswith("Run #1 moves to #ops-review")
    root, again = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[:2]
    assert root["text"].startswith(
        "*Metric breach decision*: Checkout error rate above 5% (run #1) goes on in this thread, moved from #ops by @Bob."
    )
    assert (again["thread_ts"], again["text"]) == (root["ts"], question["text"])
    n = len(fake.posted())
    await lost.event(message("UC", "me", channel="C2", thread_ts=root["ts"]))  # Carol takes it there
    await wait_for(lambda: len(fake.posted()) > n)
    assert lost.rows("SELECT conversation FROM runs") == [("slack:C2",)]
    assert lost.rows("SELECT actor_id FROM transitions WHERE event = 'thread_moved'") == [("slack:UB",)]


async def test_the_backup_told_cancels_the_run(lost: Harness, fake: FakeSlack) -> None:
    await lost.slash("UB", "cancel 1", channel="DUB")
    assert lost.rows("SELECT status FROM runs") == [("cancelled",)]


async def test_anyone_else_is_still_refused(lost: Harness, fake: FakeSlack) -> None:
    for typed in ("move 1 <#C2|ops-review>", "cancel 1"):
        said = await lost.slash("UC", typed, channel="DUC")
        assert said["text"].startswith(("Only", "No run #1")), said
    assert lost.rows("SELECT status, conversation FROM runs") == [("active", "slack:C0OPS")]


@pytest.mark.parametrize(("typed", "action"), [("move 1 <#C2|ops-review>", "move"), ("cancel 1", "cancel")])
async def test_anyone_else_is_told_who_may_not_the_placeholders_name(
    lost: Harness, fake: FakeSlack, typed: str, action: str
) -> None:
    """Before: *Only the facilitator (facilitator) can move the run.*, naming the stand-in of a run
    nobody has claimed. Now who may: the route's backup, or whoever claims the run."""
    said = await lost.slash("UC", typed, channel="C0OPS")
    named = "Run #1 ('Checkout error rate above 5%'): " if action == "cancel" else ""  # a cancel names its run
    assert said["text"] == (
        f"{named}Nobody has claimed this run yet: only the route's backup (Bob), or whoever claims it by answering"
        f" its question, can {action} the run."
    )
    assert lost.rows("SELECT status, conversation FROM runs") == [("active", "slack:C0OPS")]
