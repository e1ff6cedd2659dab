"""Quiet hours (DECISIONBOT_QUIET_HOURS): a run's reminder, escalation or expiry that falls due at
night on the facilitator's clock waits for the morning, and the rest of its chain with it. An alert
at 22:00 used to remind its facilitator at 02:00."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.model import Trigger
from bot.quiet_hours import QuietHours
from tests.clock import Clock
from tests.triggers.conftest import ALICE, BOB, CONV, Process

PARIS = ZoneInfo("Europe/Paris")


def test_the_span_reads_over_midnight_and_across_a_clock_change() -> None:
    quiet = QuietHours.parse("20:00-08:00")
    assert quiet.until(datetime(2026, 11, 26, 19, 59, tzinfo=PARIS)) is None
    assert quiet.until(datetime(2026, 11, 26, 22, 0, tzinfo=PARIS)) == datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)
    assert quiet.until(datetime(2026, 11, 27, 3, 0, tzinfo=PARIS)) == datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)
    assert quiet.until(datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)) is None
    # the night the clocks go back (2026-10-25 in Paris): 08:00 is still 08:00 on the wall
    morning = quiet.until(datetime(2026, 10, 24, 23, 0, tzinfo=PARIS))
    assert morning is not None and morning.astimezone(UTC) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    lunch = QuietHours.parse("12:00-13:30")  # within one day
    assert lunch.until(datetime(2026, 11, 26, 12, 30, tzinfo=PARIS)) == datetime(2026, 11, 26, 13, 30, tzinfo=PARIS)
    for bad in ("20-8", "20:00", "25:00-08:00", "08:00-08:00", "8pm-8am"):
        with pytest.raises(ValueError):
            QuietHours.parse(bad)


LONDON = ZoneInfo("Europe/London")


def test_quiet_hours_ending_in_the_hour_an_autumn_change_repeats_end_ahead_never_in_the_past() -> None:
    """00:30-01:30 in London on 2027-10-31 (01:00-02:00 BST is lived twice): at 01:10 on the second pass
    the end was 01:30 of the first, already past, and jobs run-due put a reminder off to it without end
    (1,281 jobs in 10 s, the chain's start moved weeks back), then the run stalled unreminded."""
    quiet = QuietHours.parse("00:30-01:30")
    second = datetime(2027, 10, 31, 1, 10, tzinfo=UTC).astimezone(LONDON)  # 01:10 GMT, the second pass
    assert second.fold == 1
    assert quiet.until(second).astimezone(UTC) == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    first = datetime(2027, 10, 31, 0, 10, tzinfo=UTC).astimezone(LONDON)  # 01:10 BST, the first pass
    assert quiet.until(first).astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    for minute in range(0, 24 * 60, 7):  # every moment of the day: an end, if any, is ahead of it
        moment = (datetime(2027, 10, 30, 22, 0, tzinfo=UTC) + timedelta(minutes=minute)).astimezone(LONDON)
        for span in ("00:30-01:30", "01:59-01:01", "23:00-01:15", "20:00-08:00"):
            end = QuietHours.parse(span).until(moment)
            assert end is None or end.astimezone(UTC) > moment.astimezone(UTC), (span, moment)


def run_due(proc: Process) -> list[tuple[str, str]]:
    return [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]


def test_a_reminder_due_at_night_waits_for_the_morning_and_its_chain_with_it(proc: Process, clock: Clock) -> None:
    proc.bot.quiet = QuietHours.parse("20:00-08:00")
    clock.at(hours=2)  # 17:00 UTC, 18:00 in Paris: the run starts; its reminder is due 4 h later, at 22:00
    proc.bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=ALICE, participants=[BOB]), CONV)
    seen = proc.last_message_id()
    clock.at(hours=6)  # 22:00 in Paris
    assert run_due(proc) == [("remind", "put off: quiet hours until 2026-11-27T07:00:00.000Z")]
    assert proc.outbox(seen) == []  # nobody woken
    assert proc.rows("SELECT kind, due_at, payload FROM jobs WHERE done_at IS NULL") == [
        ("remind", "2026-11-27T07:00:00.000Z", '{"since": "2026-11-27T03:00:00.000Z"}')
    ]  # the chain moved by the 10 quiet hours: started at 17:00, it is timed as if started at 03:00
    proc = proc.restart()
    proc.bot.quiet = QuietHours.parse("20:00-08:00")
    clock.at(hours=16)  # 08:00 in Paris: the reminder, and the escalation a day after it
    assert run_due(proc) == [("remind", "done")]
    assert [row[-1] for row in proc.outbox(seen)] == ["Reminder: What was decided in Weekly sync?"]
    assert proc.rows("SELECT kind, due_at FROM jobs WHERE done_at IS NULL") == [
        ("escalate", "2026-11-28T03:00:00.000Z")
    ]


def test_a_bad_span_stops_the_start_naming_the_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DECISIONBOT_QUIET_HOURS", "8pm-8am")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "q.db"), "jobs", "run-due"])
    assert result.exit_code == 1
    assert "DECISIONBOT_QUIET_HOURS must be a span of the day such as 20:00-08:00, not '8pm-8am'." in result.output
