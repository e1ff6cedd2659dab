"""The owner digest on quiet days (DECISIONBOT_QUIET_DAYS=sat,sun, DECISIONBOT_QUIET_HOURS=20:00-08:00):
a digest missed while the server was down, run when it comes back on a Saturday, waits for the
next working morning, as a reminder does; and an owner gets one digest that morning, not the
weekend's put-off one at 08:00 and the scheduled one at 09:00. The clock starts on Thursday
2026-11-26 15:00 UTC (16:00 in Paris, the dispatcher's zone)."""

from __future__ import annotations

import asyncio

import pytest

from bot.quiet_hours import QuietHours
from tests.clock import Clock
from tests.triggers.conftest import CONV, Process
from tests.triggers.test_timers import complete


def run_due(proc: Process) -> list[tuple[str, str]]:
    return [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]


def digests(proc: Process, after: int) -> list[str]:
    return [m[1] for m in proc.outbox(after) if "your open actions" in m[4]]


def restarted(proc: Process) -> Process:
    proc = proc.restart()
    proc.bot.quiet = QuietHours.parse("20:00-08:00", "sat,sun")
    return proc


@pytest.mark.parametrize("schedule", ["0 9 * * 1-5", "0 9 * * *"])  # working days; every day
def test_a_digest_missed_while_down_comes_once_on_the_next_working_morning(
    proc: Process, clock: Clock, flows, schedule: str
) -> None:
    complete(proc, "Weekly sync", CONV, [("Draft plan", "bob", "2026-12-10")])
    (flows / "checks.yaml").write_text(f'digest: {{schedule: "{schedule}"}}\n')
    proc = restarted(proc)
    proc.scheduler.plan()
    assert proc.rows("SELECT due_at FROM jobs WHERE kind = 'digest'") == [("2026-11-27T08:00:00.000Z",)]
    clock.at(days=2, hours=-4)  # down from Thursday to Saturday 12:00 in Paris: Friday's digest was missed
    proc = restarted(proc)
    seen = proc.last_message_id()
    assert [kind for kind, _ in run_due(proc)] == ["digest"]
    assert digests(proc, seen) == []  # not on Saturday
    for hours in range(1, 47):  # to Monday 10:00 in Paris, hour by hour, as the server would
        clock.at(days=2, hours=-4 + hours)
        run_due(proc)
        if hours < 45:  # before Monday 09:00 in Paris, the digest's hour
            assert digests(proc, seen) == [], hours
    assert digests(proc, seen) == ["bob"]  # one, on Monday morning (before: at 08:00 and again at 09:00)
    assert proc.rows("SELECT count(*) FROM jobs WHERE kind = 'digest' AND payload LIKE '%\"to\"%'") == [(0,)]


def test_a_digest_put_off_by_a_quiet_day_says_so(proc: Process, clock: Clock, flows) -> None:
    complete(proc, "Weekly sync", CONV, [("Draft plan", "bob", "2026-12-10")])
    (flows / "checks.yaml").write_text('digest: {schedule: "0 12 * * *"}\n')
    proc = restarted(proc)
    proc.scheduler.plan()
    clock.at(days=2, hours=-4)  # Saturday 12:00 in Paris: not in the quiet hours, on a quiet day
    assert run_due(proc) == [("digest", "done: 0 owner(s); 1 put off for their quiet days")]  # before: quiet hours
