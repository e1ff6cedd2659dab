"""What people are told of a metric run's latest reading when its questions go unanswered: the
escalation says when the metric changed or resolved since the run started, as the reminder does,
and the time it was last seen is shown in the reader's time zone (not as the ledger's UTC).

The clock starts on Thursday 2026-11-26 15:00 UTC; the dispatcher's zone is Paris (CET)."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.admission import Admission
from bot.model import Actor, ConversationKey, Trigger
from tests.triggers.conftest import ALICE, CAROL, PARIS, Process

QUESTION = "Conversion dropped in {key}: conversion is 1.9% (threshold 2.5%)."


def conversion(
    key: str, value: str, status: str = "firing", backup: Actor | None = None, facilitator: Actor | None = ALICE
) -> Admission:
    return Admission(Trigger(
        flow="metric_breach", source="generic", kind="metric", title=f"Conversion dropped in {key}",
        data={"metric": "conversion", "value": value, "threshold": "2.5%",
              **({"escalate_to": backup.to_dict()} if backup else {})},
        facilitator=facilitator, status=status, dedup_key=f"generic:{key}", conversation=ConversationKey("console", key),
    ))  # fmt: skip


def fired(proc: Process, clock, **at: int) -> list[tuple]:
    seen = proc.last_message_id()
    clock.at(**at)
    asyncio.run(proc.scheduler.run_due())
    return proc.outbox(seen)


def test_an_escalation_gives_the_latest_reading_when_the_metric_moved_in_the_readers_zone(proc: Process, clock) -> None:
    zones = {CAROL.id: ZoneInfo("America/New_York")}
    proc.bot.tz_for = lambda actor: zones.get(actor.id, PARIS)
    proc.bot.admit([conversion("us", "1.9%", backup=CAROL), conversion("eu", "1.9%"), conversion("ch", "1.9%")])
    clock.at(minutes=30)
    proc.bot.admit([conversion("us", "2.3%", backup=CAROL), conversion("ch", "1.9%")])
    clock.at(minutes=45)
    proc.bot.admit([conversion("eu", "2.7%", "resolved")])
    reminders = {run: text for run, _, _, _, text in fired(proc, clock, hours=1)}
    assert reminders[1].startswith(
        "Reminder (values as when it fired; latest: conversion 2.3% (threshold 2.5%), last seen"
        " Thu 2026-11-26 16:30 CET):"
    )  # alice's zone
    assert fired(proc, clock, hours=4) == [
        (1, "carol", "info", 0,
         "Escalated to you as the backup for alice's decision run. Still no answer from: alice,"
         f" asked Thu 2026-11-26 10:00 EST ('{QUESTION.format(key='us')}'). The question shows the values as when it fired; latest: conversion"
         " 2.3% (threshold 2.5%), last seen Thu 2026-11-26 10:30 EST."),  # carol's zone
        (2, None, "info", 0,
         f"Still no answer from: alice, asked Thu 2026-11-26 16:00 CET ('{QUESTION.format(key='eu')}'). The question shows the values as when it"
         " fired; latest: conversion 2.7% (threshold 2.5%), last seen Thu 2026-11-26 16:45 CET, resolved since."),
        (3, None, "info", 0, f"Still no answer from: alice, asked Thu 2026-11-26 16:00 CET ('{QUESTION.format(key='ch')}')."),  # the same value since
    ]  # fmt: skip


def test_an_escalation_of_a_run_nobody_has_taken_does_not_name_the_placeholder(proc: Process, clock) -> None:
    """An alert routed without a facilitator: whoever answers first leads its run. Its escalation
    read "Escalated to you as the backup for facilitator's decision run. Still no answer from:
    facilitator (...)", naming a placeholder nobody is."""
    proc.bot.admit(
        [conversion("us", "1.9%", backup=CAROL, facilitator=None), conversion("eu", "1.9%", facilitator=None)]
    )
    [(_, carol, _, _, to_backup), (_, room, _, _, to_room)] = fired(proc, clock, hours=4)
    assert (carol, room) == ("carol", None)
    assert to_backup == (
        "Escalated to you as the backup for a decision run nobody has taken yet. Still no answer from:"
        f" anyone in the run's conversation, asked Thu 2026-11-26 16:00 CET ('{QUESTION.format(key='us')}')."
    )
    assert (
        to_room
        == f"Still no answer from: anyone in the run's conversation, asked Thu 2026-11-26 16:00 CET ('{QUESTION.format(key='eu')}')."
    )


def test_a_review_gives_the_latest_reading_of_its_alert_firing_again_in_a_new_run(proc: Process, clock) -> None:
    """The alert behind a decision resolved, then fired again days later (after its cooldown: a
    new run of its own): the decision's review shows that reading, not the old incident's
    (review-rv-alerts: it said "last seen" on the day of the resolution, "resolved since", while the
    alert was firing again)."""
    proc.bot.admit([conversion("us", "1.9%")])
    for answer in ("me", "watch", "act if it stays below 2% for a day", "2026-12-03"):
        proc.say(ALICE, answer, ConversationKey("console", "us"))
    clock.at(minutes=10)
    proc.bot.admit([conversion("us", "2.7%", "resolved")])
    clock.at(days=2)
    [again] = proc.bot.admit([conversion("us", "1.5%")])
    assert (again.outcome, again.run_id) == ("started", 2)
    clock.at(days=6, hours=17)  # Thursday 2026-12-03 09:00 in Paris: the review starts
    asyncio.run(proc.scheduler.run_due())
    [(question,)] = proc.rows("SELECT m.text FROM messages m JOIN runs r ON r.id = m.run_id"
                              " WHERE r.flow_id = 'decision_review' AND m.kind = 'prompt'")  # fmt: skip
    assert question.splitlines()[1] == (
        "Latest value: conversion 1.5% (threshold 2.5%), last seen Sat 2026-11-28 16:00 CET"
    )
