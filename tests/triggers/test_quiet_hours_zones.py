"""Quiet hours on the clock of the person a chase reaches (acceptance review, a team over three
zones). The facilitator is in Berlin, the action owners in New York and Singapore, in Slack (the
real server and slack-sdk against the fake Web API, whose users.info gives each their zone).
Before, quiet hours were read on the facilitator's clock alone: a reminder at 08:00 in Berlin
reached New York at 03:00, one at 14:00 Singapore at 21:00."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.scheduler import Scheduler
from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, SlackPeople, harness, message, wait_for

QUIET = "20:00-08:00"
STARTED = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # Mon 09:00 in Berlin, 04:00 in New York (EDT), 16:00 in Singapore


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Anna", "Europe/Berlin"), "UN": ("Nate", "America/New_York"), "US": ("Siti", "Asia/Singapore")}


@pytest.fixture
async def team(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSlack
) -> AsyncIterator[tuple[Harness, Clock]]:
    monkeypatch.setenv("DECISIONBOT_QUIET_HOURS", QUIET)
    monkeypatch.setenv("DECISIONBOT_TIMEZONE", "Europe/Berlin")
    clock = Clock(STARTED)
    slack = await harness(tmp_path, fake, clock=clock)
    yield slack, clock
    await slack.client.close()


async def meeting(slack: Harness) -> str:
    """Anna's post_meeting: an action for Nate, one for Siti, each asked by direct message."""
    await slack.slash("UA", "start post_meeting <@UN> <@US> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    answers = ["We ship in April", "Draft plan", "<@UN>", "friday", "Book venue", "<@US>", "in 2 weeks", "done"]
    for n, text in enumerate(answers):
        await slack.event(message("UA", text, thread_ts=thread))
        await slack.posts(3 + n)
    await wait_for(lambda: {p["channel"] for p in slack.fake.posted()} >= {"DUN", "DUS"})
    return thread


def to(slack: Harness, channel: str) -> list[str]:
    return [p["text"] for p in slack.fake.posted() if p["channel"] == channel]


async def due_run(slack: Harness, clock: Clock, now: datetime) -> None:
    """The clock moves to ``now``; the server's scheduler runs what is due then, and the outbox
    delivers what it queued."""
    clock.now = now
    await wait_for(
        lambda: slack.rows("SELECT count(*) FROM jobs WHERE done_at IS NULL AND due_at <= ?", iso(now)) == [(0,)]
    )
    unsent = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"
    await wait_for(lambda: slack.rows(unsent) == [(0,)])


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def pending(slack: Harness) -> list[tuple[str, str, dict[str, Any]]]:
    rows = slack.rows("SELECT kind, due_at, payload FROM jobs WHERE done_at IS NULL AND run_id IS NOT NULL ORDER BY id")
    return [(kind, due, json.loads(payload or "{}")) for kind, due, payload in rows]


async def test_a_reminder_waits_for_the_morning_of_the_person_it_goes_to(team: tuple[Harness, Clock]) -> None:
    slack, clock = team
    await meeting(slack)
    clock.now = datetime(2027, 3, 16, 3, 0, tzinfo=UTC)  # 11:00 in Singapore: Siti accepts, the chain restarts
    await slack.event(message("US", "yes", channel="DUS"))
    await wait_for(lambda: pending(slack) and pending(slack)[0][1] == "2027-03-16T07:00:00.000Z")
    # 08:00 in Berlin, 03:00 in New York: the reminder for Nate waits for 08:00 there (12:00Z)
    await due_run(slack, clock, datetime(2027, 3, 16, 7, 0, tzinfo=UTC))
    assert to(slack, "DUN") == [
        "Anna assigned you an action from 'Weekly sync': 'Draft plan', due 2027-03-19. Do you accept it?"
    ]  # before: "Reminder: ..." at 03:00 in New York
    assert slack.rows("SELECT kind, outcome FROM jobs WHERE due_at = '2027-03-16T07:00:00.000Z'") == [
        ("remind", "put off: quiet hours until 2027-03-16T12:00:00.000Z")
    ]
    # the quiet hours are no silence: the chain moved by the 5 hours waited out
    assert pending(slack) == [("remind", "2027-03-16T12:00:00.000Z", {"since": "2027-03-16T08:00:00.000Z"})]
    await due_run(slack, clock, datetime(2027, 3, 16, 12, 0, tzinfo=UTC))
    await wait_for(lambda: len(to(slack, "DUN")) == 2)
    assert to(slack, "DUN")[1].startswith("Reminder: Anna assigned you an action")
    assert pending(slack) == [("escalate", "2027-03-17T08:00:00.000Z", {"since": "2027-03-16T08:00:00.000Z"})]


async def test_the_reminders_of_two_zones_go_each_in_its_own_day(team: tuple[Harness, Clock]) -> None:
    slack, clock = team
    await meeting(slack)
    # 4 h after the questions: 13:00 in Berlin, 08:00 in New York, 20:00 in Singapore
    await due_run(slack, clock, datetime(2027, 3, 15, 12, 0, tzinfo=UTC))
    await wait_for(lambda: len(to(slack, "DUN")) == 2)
    assert to(slack, "DUN")[1].startswith("Reminder: ")
    assert len(to(slack, "DUS")) == 1  # before: reminded at 20:00 in Singapore
    # Siti's waits for her morning (00:00Z); the chain goes on from the run's last activity
    assert pending(slack) == [
        ("remind", "2027-03-16T00:00:00.000Z", {"since": "2027-03-15T08:00:00.000Z", "to": ["slack:US"]}),
        ("escalate", "2027-03-16T08:00:00.000Z", {"since": "2027-03-15T08:00:00.000Z"}),
    ]
    await due_run(slack, clock, datetime(2027, 3, 16, 0, 0, tzinfo=UTC))
    await wait_for(lambda: len(to(slack, "DUS")) == 2)
    assert to(slack, "DUS")[1].startswith("Reminder: Anna assigned you an action from 'Weekly sync': 'Book venue'")
    assert len(to(slack, "DUN")) == 2  # Nate is not reminded twice
    assert pending(slack) == [("escalate", "2027-03-16T08:00:00.000Z", {"since": "2027-03-15T08:00:00.000Z"})]


async def test_an_answer_meanwhile_restarts_the_chain_and_drops_a_waiting_reminder(team: tuple[Harness, Clock]) -> None:
    slack, clock = team
    await meeting(slack)
    await due_run(slack, clock, datetime(2027, 3, 15, 12, 0, tzinfo=UTC))  # Siti's reminder waits for her morning
    clock.now = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    await slack.event(message("UN", "yes", channel="DUN"))  # Nate accepts: the run's chain starts again
    await wait_for(lambda: [j[0] for j in pending(slack)] == ["remind"])
    assert pending(slack) == [("remind", "2027-03-15T18:00:00.000Z", {})]  # one reminder, not two


def digests_to(slack: Harness, channel: str) -> list[str]:
    return [text for text in to(slack, channel) if "your open actions" in text]


async def test_the_owner_digest_comes_at_nine_on_each_owners_clock(team: tuple[Harness, Clock]) -> None:
    """The digest's schedule (``0 9 * * 1-5``) is read on each owner's clock, as Slack's users.info
    gives it: 09:00 in Singapore, 09:00 in New York. Before, both got it at 09:00 in Berlin (the
    server's zone): 16:00 in Singapore, and 04:00 in New York, put off to 08:00 by the quiet hours."""
    slack, clock = team
    thread = await meeting(slack)
    clock.now = datetime(2027, 3, 15, 13, 0, tzinfo=UTC)  # both accept; Anna sets the review date
    await slack.event(message("UN", "yes", channel="DUN"))
    await slack.event(message("US", "yes", channel="DUS"))
    await wait_for(lambda: "When should we review" in slack.fake.posted()[-1]["text"])
    await slack.event(message("UA", "2027-04-12", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT count(*) FROM actions") == [(2,)])
    Scheduler(slack.services.dispatcher).plan()  # as the server does each minute: the owners' zones known
    planned = "SELECT due_at FROM jobs WHERE kind = 'digest' AND done_at IS NULL"
    assert slack.rows(planned) == [("2027-03-16T01:00:00.000Z",)]  # Tuesday 09:00 in Singapore
    await due_run(slack, clock, datetime(2027, 3, 16, 1, 0, tzinfo=UTC))
    assert len(digests_to(slack, "DUS")) == 1 and digests_to(slack, "DUN") == []
    await due_run(slack, clock, datetime(2027, 3, 16, 8, 0, tzinfo=UTC))  # 09:00 in Berlin: Anna owns nothing
    assert len(digests_to(slack, "DUS")) == 1 and digests_to(slack, "DUN") == []
    assert slack.rows(planned) == [("2027-03-16T13:00:00.000Z",)]
    await due_run(slack, clock, datetime(2027, 3, 16, 13, 0, tzinfo=UTC))  # 09:00 in New York (EDT)
    assert digests_to(slack, "DUN") == [
        "Nate, your open actions (1):\n  A1 Draft plan ('Weekly sync'), due 2027-03-19\n"
        "When one is done, tell me: done A1 (its code). More time: due A1 DATE."
        " Someone else's now? give A1 @person. Stuck? Tell the facilitator."
    ]
    assert len(digests_to(slack, "DUS")) == 1  # one a day each
    assert slack.rows("SELECT count(*) FROM jobs WHERE kind = 'digest' AND payload LIKE '%\"to\"%'") == [(0,)]
