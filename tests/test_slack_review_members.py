"""Runs that reopen a decision weeks later, in its Slack channel: its review (started by the
scheduler at the review date) and an action's handover (``give A1 @carol``). People leave channels
in those weeks; before, a review whose facilitator could no longer see its thread stalled silently
(analysts saw "reviews that never happen"), as the check of who is in the channel ran for the runs
triggers start only. Now, once such a run's first message is delivered, the bot asks Slack who of
its people is a member (``conversations.members``) and tells its facilitator by direct message,
once a run; nobody to tell, or Slack refusing to say, is one log line. The real server and its
scheduler at chosen instants, signed requests, the real slack-sdk against the fake Web API, a
SQLite file."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.store import utc_now
from bot.triggers.hooks import SCHEDULER
from tests.clock import Clock
from tests.dates import FEB1, JAN10
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import ALICE_IN_PARIS_BOB_IN_NEW_YORK, Harness, SlackPeople, harness, message, wait_for

REVIEW = "run #2, the review of decision #1 ('Weekly sync'), which you lead"


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_IN_PARIS_BOB_IN_NEW_YORK, "UC": ("Carol", "UTC")}


@pytest.fixture
def clock() -> Clock:
    return Clock(utc_now())


@pytest.fixture
async def decided(tmp_path: Path, fake: FakeSlack, clock: Clock) -> AsyncIterator[Harness]:
    """Alice led 'Weekly sync' in C1 today: Bob owns 'Draft the plan' (A1), accepted by direct
    message; the review is on FEB1. The scheduler loop is stopped: the test runs its jobs."""
    slack = await harness(tmp_path, fake, clock=clock)
    await slack.client.server.app[SCHEDULER].stop()
    try:
        thread = await slack.started()
        await slack.say(thread, "We ship", "Draft the plan", "<@UB>", JAN10, "done")
        await slack.event(message("UB", "yes", channel="DUB"))
        await wait_for(lambda: "review" in fake.posted()[-1]["text"].lower())
        await slack.say(thread, FEB1)
        await wait_for(lambda: slack.rows("SELECT count(*) FROM reviews") == [(1,)])
        yield slack
    finally:
        await slack.client.close()


async def review_started(slack: Harness, clock: Clock) -> None:
    """The review date has come: the scheduler starts the review (run 2) in C1."""
    (due,) = slack.rows("SELECT due_at FROM jobs WHERE kind = 'start_flow'")
    clock.now = datetime.fromisoformat(due[0].replace("Z", "+00:00"))
    ran = await slack.client.server.app[SCHEDULER].run_due(clock.now)
    slack.services.notify("slack")
    assert [outcome for job, outcome in ran if job.kind == "start_flow"] == ["done: run 2"]


def direct(fake: FakeSlack, user: str) -> list[str]:
    return [p["text"] for p in fake.posted() if p["channel"] == f"D{user}" and p["text"].startswith("Heads up")]


def heads_up(fake: FakeSlack) -> list[str]:
    return [p["text"] for p in fake.posted() if p["text"].startswith("Heads up")]


def logged(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


async def settled(fake: FakeSlack, channel: str, text: str) -> None:
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == channel and text in p["text"]])
    await asyncio.sleep(0.3)


async def test_a_review_tells_its_facilitator_who_left_the_channel_since_the_decision(
    decided: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Alice and Bob left C1 after the decision. Before, the review asked Bob by direct message and
    asked Alice in C1, where she no longer looks: it stalled, nobody told. Now Alice hears at once."""
    fake.set_members("C1", BOT_USER)
    asked = len(fake.of("conversations.members"))
    await review_started(decided, clock)
    [told] = await wait_for(lambda: direct(fake, "UA"))
    assert told == (
        f"Heads up: you and <@UB> are not in <#C1>, so neither of you can see the thread of {REVIEW}."
        " Join it and invite them (/invite <@UB>), or they can answer only what the flow asks them directly,"
        " by direct message."
    )
    assert [c.args["channel"] for c in fake.of("conversations.members")[asked:]] == ["C1"]
    assert [p for p in fake.posted() if p["channel"] == "DUB" and p["text"].startswith("Review of")]  # as before
    await decided.event(message("UB", "yes", channel="DUB"))  # the review goes on: its question to Alice in C1
    await settled(fake, "C1", "Time to review")
    assert len(fake.of("conversations.members")) == asked + 1 and len(heads_up(fake)) == 1  # once a run


async def test_a_reviews_facilitator_alone_out_of_the_channel_is_told_to_join_it(
    decided: Harness, fake: FakeSlack, clock: Clock
) -> None:
    fake.set_members("C1", "UB", BOT_USER)
    await review_started(decided, clock)
    [told] = await wait_for(lambda: direct(fake, "UA"))
    assert told == (
        f"Heads up: you are not in <#C1>, so you cannot see the thread of {REVIEW}."
        " Join it to see its questions and answer them there."
    )


async def test_a_review_whose_people_are_all_in_the_channel_says_nothing_more(
    decided: Harness, fake: FakeSlack, clock: Clock
) -> None:
    fake.set_members("C1", "UA", "UB", BOT_USER)
    asked = len(fake.of("conversations.members"))
    await review_started(decided, clock)
    await wait_for(lambda: fake.of("conversations.members")[asked:])
    await settled(fake, "C1", "The review of 'Weekly sync' has begun")
    assert heads_up(fake) == []


async def test_a_review_nobody_leads_now_is_one_log_line(
    decided: Harness, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Alice left the company: the review is led by whoever answers first, so nobody can be told
    that Bob is not in C1 either: the log says it, once."""
    caplog.set_level(logging.INFO)
    fake.deactivate("UA")
    fake.set_members("C1", BOT_USER)
    await review_started(decided, clock)
    [line] = await wait_for(lambda: logged(caplog, "nobody to tell"))
    assert line == (
        "Slack: UB of run 2's people is not in channel C1, so cannot see its thread; it has nobody to tell"
        " (nobody leads it now: whoever answers first does): invite them (/invite)"
    )
    await asyncio.sleep(0.3)
    assert heads_up(fake) == [] and len(logged(caplog, "nobody to tell")) == 1


async def test_slack_refusing_to_say_about_a_review_is_one_line_and_no_warning(
    decided: Harness, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.set_members("C1", BOT_USER)
    fake.refuse("conversations.members", error="missing_scope")
    await review_started(decided, clock)
    [line] = await wait_for(lambda: logged(caplog, "conversations.members"))
    assert "run 2" in line and "missing_scope" in line and "C1" in line
    await settled(fake, "C1", "The review of 'Weekly sync' has begun")
    assert heads_up(fake) == [] and len(logged(caplog, "conversations.members")) == 1
    assert decided.rows("SELECT status FROM runs WHERE id = 2") == [("active",)]


async def test_a_handover_tells_its_asker_that_the_new_owner_is_not_in_the_decisions_channel(
    decided: Harness, fake: FakeSlack
) -> None:
    """Bob gives A1 to Carol, who is not in C1: she is asked by direct message as before, and then
    Bob hears that she cannot see the decision's thread."""
    fake.set_members("C1", "UA", "UB", BOT_USER)
    answer = await decided.slash("UB", "give A1 <@UC|carol> she runs it now")
    assert answer["text"].startswith("Asked Carol to take over 'Draft the plan'.")
    [told] = await wait_for(lambda: direct(fake, "UB"))
    assert told == (
        "Heads up: <@UC> is not in <#C1>, so they cannot see the thread of 'Weekly sync', the decision whose"
        " action A1 ('Draft the plan') run #2 hands over, as you asked. Invite them (/invite <@UC>) to follow"
        " the decision there; they are asked whether they take it over by direct message either way."
    )
    assert [p for p in fake.posted() if p["channel"] == "DUC" and "take over" in p["text"]]  # asked first
    await decided.event(message("UC", "yes", channel="DUC"))
    await settled(fake, "C1", "Carol took over")
    assert len(heads_up(fake)) == 1  # once a run


async def test_a_handover_whose_people_are_in_the_channel_says_nothing_more(decided: Harness, fake: FakeSlack) -> None:
    fake.set_members("C1", "UA", "UB", "UC", BOT_USER)
    asked = len(fake.of("conversations.members"))
    await decided.slash("UB", "give A1 <@UC|carol>")
    await wait_for(lambda: fake.of("conversations.members")[asked:])
    await settled(fake, "DUC", "take over")
    assert heads_up(fake) == []


async def test_an_owner_who_left_the_company_is_not_said_to_be_out_of_the_channel(
    decided: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Bob's account is deactivated: Alice is told he cannot be reached (tests/test_slack_months_later.py),
    not also that he is not in C1."""
    fake.deactivate("UB")
    fake.set_members("C1", "UA", BOT_USER)
    await review_started(decided, clock)
    await settled(fake, "C1", "reach Bob")
    assert heads_up(fake) == []


async def test_a_restarted_server_does_not_ask_again_about_a_handover_it_asked_about(
    decided: Harness, fake: FakeSlack, clock: Clock, tmp_path: Path
) -> None:
    """Once a run: the server restarted on the same ledger, the reminder to Carol a day later (the
    handover's messages all go to one person) asks Slack nothing and tells Bob nothing again."""
    fake.set_members("C1", "UA", "UB", BOT_USER)
    await decided.slash("UB", "give A1 <@UC|carol>")
    await wait_for(lambda: direct(fake, "UB"))
    asked = len(fake.of("conversations.members"))
    await decided.client.close()
    again = await harness(tmp_path, fake, clock=clock)
    try:
        await again.client.server.app[SCHEDULER].stop()
        clock.now = clock.now + timedelta(days=1, minutes=1)
        ran = await again.client.server.app[SCHEDULER].run_due(clock.now)
        again.services.notify("slack")
        assert [outcome for job, outcome in ran if job.kind == "remind"] == ["done"]
        await settled(fake, "DUC", "Reminder:")
        assert len(fake.of("conversations.members")) == asked and len(heads_up(fake)) == 1
    finally:
        await again.client.close()
