"""Quiet days (DECISIONBOT_QUIET_DAYS=sat,sun): whole days of the week, on the clock of the person
a chase reaches, that reminders, escalations, expiries and owner digests wait out, as the quiet
hours. Before, a team with quiet hours still had a Friday afternoon meeting's owner reminded on
Saturday at 08:00 and its facilitator escalated to on Sunday at 08:00.

post_meeting's timers: remind after 4h, escalate after 1d. The clock starts on Thursday
2026-11-26 15:00 UTC (16:00 in Paris, the dispatcher's zone)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.model import Trigger
from bot.quiet_hours import QuietHours
from tests.clock import Clock
from tests.triggers.conftest import ALICE, BOB, CONV, Process

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def test_a_quiet_day_lasts_until_the_morning_of_the_next_working_day() -> None:
    quiet = QuietHours.parse("20:00-08:00", "sat,sun")
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)
    assert quiet.until(datetime(2026, 11, 27, 19, 0, tzinfo=PARIS)) is None  # Friday evening, before 20:00
    assert quiet.until(datetime(2026, 11, 27, 21, 0, tzinfo=PARIS)) == monday  # Friday night
    assert quiet.until(datetime(2026, 11, 28, 12, 0, tzinfo=PARIS)) == monday  # Saturday noon
    assert quiet.until(datetime(2026, 11, 30, 3, 0, tzinfo=PARIS)) == monday  # Monday night: the quiet hours
    assert quiet.until(datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)) is None
    # the weekend the clocks go forward in New York (2027-03-14): Monday 08:00 on the wall, EDT
    morning = quiet.until(datetime(2027, 3, 13, 10, 0, tzinfo=NEW_YORK))
    assert morning == datetime(2027, 3, 15, 8, 0, tzinfo=NEW_YORK) and morning.utcoffset().total_seconds() == -4 * 3600
    days_only = QuietHours.parse("", "Saturday, SUN")  # no quiet hours: the working day starts at midnight
    assert days_only.until(datetime(2026, 11, 29, 23, 0, tzinfo=PARIS)) == datetime(2026, 11, 30, 0, 0, tzinfo=PARIS)
    assert days_only.until(datetime(2026, 11, 27, 23, 0, tzinfo=PARIS)) is None
    for bad in ("sa", "weekend", "sat;sun", "mon,tue,wed,thu,fri,sat,sun"):
        with pytest.raises(ValueError):
            QuietHours.parse("20:00-08:00", bad)


def test_quiet_for_days_is_a_quiet_day_keeping_someone_past_the_quiet_hours() -> None:
    quiet = QuietHours.parse("20:00-08:00", "sat,sun")
    assert quiet.for_days(datetime(2026, 11, 28, 12, 0, tzinfo=PARIS))  # Saturday noon
    assert quiet.for_days(datetime(2026, 11, 27, 21, 0, tzinfo=PARIS))  # Friday night: Monday, not Saturday 08:00
    assert not quiet.for_days(datetime(2026, 11, 26, 21, 0, tzinfo=PARIS))  # Thursday night: the hours alone
    assert not quiet.for_days(datetime(2026, 11, 30, 3, 0, tzinfo=PARIS))  # Monday night
    assert not quiet.for_days(datetime(2026, 11, 27, 12, 0, tzinfo=PARIS))  # Friday noon: not quiet


def run_due(proc: Process) -> list[tuple[str, str]]:
    return [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]


def test_a_friday_meetings_owner_is_reminded_on_monday_morning(proc: Process, clock: Clock) -> None:
    proc.bot.quiet = QuietHours.parse("20:00-08:00", "sat,sun")
    clock.at(days=1)  # Friday 16:00 in Paris
    proc.bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=ALICE, participants=[BOB]), CONV)
    for text in ("We ship in March", "Draft plan", "@bob", "in 10 days", "done"):
        proc.say(ALICE, text)
    seen = proc.last_message_id()
    clock.at(days=1, hours=4)  # Friday 20:00 in Paris
    assert run_due(proc) == [("remind", "put off: quiet hours until 2026-11-30T07:00:00.000Z")]
    clock.at(days=2, hours=-6)  # Saturday 10:00: before, bob was reminded at 08:00
    assert run_due(proc) == []
    clock.at(days=3, hours=16)  # Monday 08:00 in Paris
    assert run_due(proc) == [("remind", "done")]
    assert [row[1] for row in proc.outbox(seen)] == ["bob"]
    assert proc.rows("SELECT kind, due_at FROM jobs WHERE done_at IS NULL") == [
        ("escalate", "2026-12-01T03:00:00.000Z")  # a day after the reminder (then put off to 08:00), not on Sunday
    ]


def test_bad_quiet_days_stop_the_start_naming_the_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DECISIONBOT_QUIET_DAYS", "weekend")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "q.db"), "jobs", "run-due"])
    assert result.exit_code == 1
    assert "DECISIONBOT_QUIET_DAYS must name days of the week such as sat,sun (not all seven), not 'weekend'." in (
        result.output
    )


def test_a_review_due_on_a_quiet_day_starts_on_the_next_working_morning_once(proc: Process, clock: Clock) -> None:
    """The review date a facilitator picked falls on a Saturday: with quiet days it starts on
    Monday, once, linked to its decision (before: Saturday 09:00), at a review's 09:00 (it started
    at the quiet hours' end, 08:00, where the docs say reviews keep their 09:00)."""
    proc.bot.quiet = QuietHours.parse("20:00-08:00", "sat,sun")
    proc.bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=ALICE, participants=[BOB]), CONV)
    for text in ("We ship in March", "Draft plan", "@bob", "in 3 days", "done"):
        proc.say(ALICE, text)
    proc.say(BOB, "yes")
    assert proc.say(ALICE, "in 9 days")[-1][2].endswith("Review on 2026-12-05.")  # a Saturday
    clock.at(days=8, hours=17)  # Saturday 09:00 in Paris
    assert run_due(proc) == [("start_flow", "put off: quiet days until 2026-12-07T08:00:00.000Z")]
    assert proc.rows("SELECT count(*) FROM runs") == [(1,)]
    clock.at(days=10, hours=16)  # Monday 08:00 in Paris: the quiet hours are over, the review's hour not yet
    assert run_due(proc) == []
    clock.at(days=10, hours=17)  # Monday 09:00 in Paris
    assert run_due(proc) == [("start_flow", "done: run 2")]
    assert proc.rows("SELECT decision_id, due_at, run_id FROM reviews") == [(1, "2026-12-05", 2)]
    clock.at(days=11)
    assert [kind for kind, _ in run_due(proc)] == []  # its chain starts from the review: nothing else
