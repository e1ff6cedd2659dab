"""What counts as silence for the reminder chain: the chain is timed from the run's last
activity, and a message the run took nothing from (someone it asks nothing saying something in
its conversation) is no activity: the owner who has said nothing is still reminded on time.

post_meeting's timers: remind after 4h, escalate after 1d. The clock starts on Thursday
2026-11-26 15:00 UTC (16:00 in Paris, the dispatcher's zone).
"""

from __future__ import annotations

import asyncio

from bot.model import Trigger
from tests.triggers.conftest import ALICE, BOB, CAROL, CONV, Process

ACCEPT = "alice assigned you an action from 'Weekly sync': 'Draft plan', due 2026-12-01. Do you accept it?"


def to_owner(proc: Process) -> None:
    trigger = Trigger(flow="post_meeting", title="Weekly sync", facilitator=ALICE, participants=[BOB, CAROL])
    proc.bot.start(trigger, CONV)
    for text in ("We ship in March", "Draft plan", "@bob", "in 5 days", "done"):
        proc.say(ALICE, text)


def run_due(proc: Process) -> list[tuple[str, str]]:
    return [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]


def pending(proc: Process) -> list[tuple]:
    return proc.rows("SELECT kind, due_at FROM jobs WHERE done_at IS NULL ORDER BY id")


def test_chatter_from_someone_asked_nothing_does_not_put_off_the_owners_reminder(proc: Process, clock) -> None:
    to_owner(proc)
    assert pending(proc) == [("remind", "2026-11-26T19:00:00.000Z")]
    clock.at(hours=3)
    assert proc.say(ALICE, "bob, are you there?")[0][1] == "error"  # not taken: nothing waits on alice
    proc.say(CAROL, "help")  # nor on carol: what the run waits for, told to her alone
    assert pending(proc) == [("remind", "2026-11-26T19:00:00.000Z")]  # before: 22:00 and 22:00, from their words
    clock.at(hours=4)
    seen = proc.last_message_id()
    assert run_due(proc) == [("remind", "done")]
    assert proc.outbox(seen) == [(1, "bob", "prompt", 1, f"Reminder: {ACCEPT}")]


def test_the_owners_own_words_are_activity_and_restart_the_chain(proc: Process, clock) -> None:
    to_owner(proc)
    clock.at(hours=3, minutes=59)
    proc.say(BOB, "what is this?")  # not a yes or a no, but bob is there: he is asked again
    assert pending(proc) == [("remind", "2026-11-26T22:59:00.000Z")]
    clock.at(hours=4)
    assert run_due(proc) == []  # bob, who just spoke, is not reminded a minute later


def test_runs_show_dates_the_lines_of_a_run_that_went_on_over_days(proc: Process, clock) -> None:
    """A transcript shows each line's time of day; a run chased over days named no day, so the
    escalation a day later read as if sent the same minute as the question."""
    from click.testing import CliRunner

    from bot.cli import main

    to_owner(proc)
    clock.at(days=2)
    assert run_due(proc) == [("remind", "done: escalate")]
    shown = CliRunner().invoke(main, ["--db", str(proc.path), "runs", "show", "1"]).output
    transcript = shown.split("Transcript:\n")[1].split("\n\n")[0].splitlines()
    assert transcript[-3:] == [
        f"  15:00:00 bot -> bob: {ACCEPT}",
        "  -- Sat 2026-11-28 (UTC) --",
        f"  15:00:00 bot -> alice: Still no answer from: bob, asked Thu 2026-11-26 16:00 CET ('{ACCEPT}').",
    ]
    assert not any(line.startswith("  --") for line in transcript[:-2])  # the day it started is in its header


def test_an_owner_who_answers_while_the_reminder_is_being_claimed_is_not_reminded(proc: Process, clock) -> None:
    """The server claims the due reminder; bob's yes commits before it runs: it finds the chain
    moved on from his answer and sends nothing; cron, beside the server, finds nothing due."""
    from datetime import timedelta

    from bot.store import jobs, transaction

    to_owner(proc)
    clock.at(hours=4)
    with transaction(proc.db) as conn:
        [claimed] = jobs.claim_due(conn, clock.now, 10, clock.now - timedelta(minutes=5))
    seen = proc.last_message_id()
    proc.say(BOB, "yes")
    assert proc.bot.run_job(claimed) == "moved"
    cron = proc.restart()
    assert run_due(cron) == []
    assert [m for m in cron.outbox(seen) if m[4].startswith("Reminder")] == []
    assert pending(cron) == [("remind", "2026-11-26T23:00:00.000Z")]  # 4 h after his answer, for alice's question
