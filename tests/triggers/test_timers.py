"""Timers with a fixed clock, each with a process restart between scheduling and firing:
a reminder, an escalation (notify and reassign), an expiry then a late answer, the owner
digest and a review started on its date.

post_meeting's timers: remind after 4h, escalate after 1d, expire after 14d. The clock starts
on Thursday 2026-11-26 15:00 UTC (16:00 in Paris, the dispatcher's zone).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import pytest

from bot.model import ConversationKey, Trigger
from tests.triggers.conftest import ALICE, BOB, CAROL, CONV, Process

DECISION = "What was decided in Weekly sync?"
ACCEPT = "alice assigned you an action from 'Weekly sync': 'Draft plan', due 2026-11-27. Do you accept it?"
HANDED = "does bob take the action 'Draft plan' (due 2026-11-27)?"  # bob's question, worded for alice


def start(proc: Process, title: str = "Weekly sync", conv=CONV) -> int:
    trigger = Trigger(flow="post_meeting", title=title, facilitator=ALICE, participants=[BOB, CAROL])
    return proc.bot.start(trigger, conv).run_id


def to_owner(proc: Process) -> int:
    run_id = start(proc)
    for text in ("We ship in March", "Draft plan", "@bob", "next friday", "done"):
        proc.say(ALICE, text)
    return run_id


def chase_jobs(proc: Process) -> list[tuple]:
    return proc.rows("SELECT run_id, kind, due_at, payload, done_at, outcome FROM jobs ORDER BY id")


def test_a_reminder_resends_the_open_question_after_a_restart(proc: Process, clock) -> None:
    start(proc)
    assert chase_jobs(proc) == [(1, "remind", "2026-11-26T19:00:00.000Z", "{}", None, None)]
    proc = proc.restart()
    clock.at(hours=3, minutes=59)
    assert run_due(proc) == []
    proc = proc.restart()
    seen = proc.last_message_id()
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]
    assert proc.outbox(seen) == [(1, "alice", "prompt", 0, f"Reminder: {DECISION}")]
    assert chase_jobs(proc) == [
        (1, "remind", "2026-11-26T19:00:00.000Z", "{}", "2026-11-26T19:00:00.000Z", "done"),
        (1, "escalate", "2026-11-27T15:00:00.000Z", '{"since": "2026-11-26T15:00:00.000Z"}', None, None),
    ]
    # an answer is activity: the chain starts again from it, with one pending reminder
    clock.at(hours=5)
    proc.say(ALICE, "We ship in March")
    assert proc.rows("SELECT kind, due_at, payload FROM jobs WHERE done_at IS NULL") == [
        ("remind", "2026-11-27T00:00:00.000Z", "{}")
    ]


def run_due(proc: Process) -> list[tuple[str, str]]:
    import asyncio

    return [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]


def test_an_escalation_tells_the_facilitator_who_has_not_answered_what(proc: Process, clock) -> None:
    to_owner(proc)
    proc = proc.restart()
    clock.at(hours=4)
    seen = proc.last_message_id()
    assert run_due(proc) == [("remind", "done")]
    assert proc.outbox(seen) == [(1, "bob", "prompt", 1, f"Reminder: {ACCEPT}")]
    proc = proc.restart()
    clock.at(days=1)
    seen = proc.last_message_id()
    assert run_due(proc) == [("escalate", "done")]
    assert proc.outbox(seen) == [
        (1, "alice", "info", 0, f"Still no answer from: bob, asked Thu 2026-11-26 16:00 CET ('{ACCEPT}').")
    ]
    assert proc.rows("SELECT kind, due_at FROM jobs WHERE done_at IS NULL") == [("expire", "2026-12-10T15:00:00.000Z")]
    # bob still has the question (notify only): his answer goes through
    assert proc.say(BOB, "yes")[-1] == (
        "alice",
        "prompt",
        "When should we review this decision?\n(default: in 4 weeks; say 'ok' to take it)",
    )


def test_a_flow_that_says_reassign_hands_the_owners_question_to_the_facilitator(proc: Process, clock, flows) -> None:
    text = (flows / "post_meeting.yaml").read_text()
    (flows / "post_meeting.yaml").write_text(
        text.replace(
            "timers: {remind_after: 4h, escalate_after: 1d, expire_after: 14d}",
            "timers: {remind_after: 4h, escalate_after: 1d, expire_after: 14d, escalate: reassign}",
        )
    )
    proc = proc.restart()
    to_owner(proc)
    proc = proc.restart()
    clock.at(days=1, hours=1)  # late: the reminder is skipped, the escalation is due
    seen = proc.last_message_id()
    assert run_due(proc) == [("remind", "done: escalate")]
    assert proc.outbox(seen) == [
        (1, "alice", "info", 0, f"Still no answer from: bob, asked Thu 2026-11-26 16:00 CET ('{ACCEPT}')."),
        (
            1,
            "bob",
            "info",
            1,
            "No answer came in time for run #1 ('Weekly sync'), so I've handed this question to alice.",
        ),
        (1, "alice", "prompt", 0, f"bob could not answer this one, so it comes to you: {HANDED}"),
    ]
    assert proc.rows("SELECT waiting_on FROM runs") == [(" console:alice ",)]
    proc.say(ALICE, "yes")
    assert proc.rows("SELECT step, actor_id, value FROM answers WHERE step = 'owner_accepts'") == [
        ("owner_accepts", "console:alice", "true")
    ]


def test_a_flow_with_a_date_yaml_cannot_build_escalates(proc: Process, clock, flows) -> None:
    """A bare 2027-02-30 (an example, kept as text) raised ValueError where the timers read the flow."""
    text = (flows / "post_meeting.yaml").read_text()
    (flows / "post_meeting.yaml").write_text(
        text.replace("example: We move the launch to March and cut the mobile scope.", "example: 2027-02-30")
    )
    proc = proc.restart()
    to_owner(proc)
    proc = proc.restart()
    clock.at(days=1, hours=1)
    assert run_due(proc) == [("remind", "done: escalate")]


def test_an_expired_run_stalls_and_a_late_answer_resumes_it(proc: Process, clock) -> None:
    start(proc)
    proc = proc.restart()
    clock.at(days=14)
    seen = proc.last_message_id()
    assert run_due(proc) == [("remind", "done: expire")]
    assert proc.rows("SELECT state, status FROM runs") == [("decision", "stalled")]
    assert proc.outbox(seen) == [
        (
            1,
            None,
            "info",
            0,
            "This run has stalled: no answer from alice in time. An answer still picks it up where it stopped.",
        )
    ]
    assert proc.rows("SELECT count(*) FROM jobs WHERE done_at IS NULL") == [(0,)]
    proc = proc.restart()
    clock.at(days=20)
    assert proc.say(ALICE, "We ship in March") == [
        ("alice", "info", "Welcome back: this run had stalled, and your answer resumes it."),
        ("alice", "prompt", "Action 1: What is the action?"),
    ]
    assert proc.rows("SELECT status FROM runs") == [("active",)]
    assert proc.rows("SELECT source, target, event, actor_id FROM transitions WHERE event IN ('stall', 'resume')") == [
        ("decision", "decision", "stall", None),
        ("decision", "decision", "resume", "console:alice"),
    ]
    assert proc.rows("SELECT kind, due_at FROM jobs WHERE done_at IS NULL") == [("remind", "2026-12-16T19:00:00.000Z")]


def complete(proc: Process, title: str, conv, actions: list[tuple[str, str, str]]) -> None:
    trigger = Trigger(flow="post_meeting", title=title, facilitator=ALICE, participants=[BOB, CAROL])
    proc.bot.start(trigger, conv)
    proc.say(ALICE, f"Decided in {title}", conv)
    owners = []
    for what, owner, due in actions:
        for text in (what, owner, due):
            proc.say(ALICE, text, conv)
        owners.append(owner)
    proc.say(ALICE, "done", conv)
    for owner in dict.fromkeys(owners):
        for _ in range(owners.count(owner)):
            proc.say({"bob": BOB, "carol": CAROL}[owner], "yes", conv)
    proc.say(ALICE, "ok", conv)


def test_the_owner_digest_is_one_message_per_owner(proc: Process, clock, flows) -> None:
    from bot.model import ConversationKey

    room2 = ConversationKey("console", "room-2")
    complete(proc, "Weekly sync", CONV, [("Draft plan", "bob", "2026-11-27"), ("Book venue", "carol", "2026-12-10")])
    complete(proc, "Budget review", room2, [("Cut costs", "bob", "2026-12-01")])
    (flows / "checks.yaml").write_text('digest: {schedule: "0 9 * * *"}\n')
    proc = proc.restart()
    proc.scheduler.plan()
    assert proc.rows("SELECT kind, due_at, payload FROM jobs WHERE kind = 'digest'") == [
        ("digest", "2026-11-27T08:00:00.000Z", '{"schedule": "0 9 * * *"}')
    ]
    proc = proc.restart()
    clock.at(days=5, hours=-6)  # Tuesday 2026-12-01 09:00 Paris: 'Draft plan' is overdue
    seen = proc.last_message_id()
    ran = run_due(proc)
    assert ("digest", "done: 2 owner(s)") in ran
    digests = [m for m in proc.outbox(seen) if "your open actions" in m[4]]
    assert digests == [
        (2, "bob", "info", 1,
         "bob, your open actions (2, 1 overdue):\n"
         "  A1 Draft plan ('Weekly sync'), due 2026-11-27 - overdue\n"
         "  A3 Cut costs ('Budget review'), due 2026-12-01\n"
         "When one is done, tell me: done A1 (its code). More time: due A1 DATE. Someone else's now? give A1 @person. Stuck? Tell the facilitator."),
        (1, "carol", "info", 1,
         "carol, your open actions (1):\n"
         "  A2 Book venue ('Weekly sync'), due 2026-12-10\n"
         "When one is done, tell me: done A2 (its code). More time: due A2 DATE. Someone else's now? give A2 @person. Stuck? Tell the facilitator."),
    ]  # fmt: skip
    assert proc.rows("SELECT due_at FROM jobs WHERE kind = 'digest' AND done_at IS NULL") == [
        ("2026-12-02T08:00:00.000Z",)
    ]


def test_owner_digests_go_on_after_the_clock_went_ahead_and_came_back(proc: Process, clock, flows) -> None:
    """A host clock corrected backwards (or 'jobs run-due --now' run ahead on the live ledger): the next
    digest was planned from the moment gone to, and owners' moments were counted from it, so none came
    until the clock reached it again: a week of digests lost."""
    complete(proc, "Weekly sync", CONV, [("Draft plan", "bob", "2026-12-20")])
    (flows / "checks.yaml").write_text('digest: {schedule: "0 9 * * *"}\n')
    proc = proc.restart()
    proc.scheduler.plan()
    clock.at(days=10, hours=-6)  # ahead: 2026-12-06 09:00 Paris
    assert ("digest", "done: 1 owner(s)") in run_due(proc)
    for day in (1, 2, 3):  # back: 2026-11-27 ... 29, each at 09:00 Paris (and a minute)
        clock.at(days=day, hours=-6, minutes=1)
        proc = proc.restart()
        proc.scheduler.plan()  # the server's start (or a reload) plans its jobs again
        ran = run_due(proc)
        if day > 1:  # the first morning's 09:00 had gone by when the clock came back
            assert ("digest", "done: 1 owner(s)") in ran, (day, ran)


def test_a_review_starts_on_its_date_with_the_metrics_latest_value(proc: Process, clock) -> None:
    from bot.admission import Admission

    trigger = Trigger(
        flow="metric_breach",
        source="generic",
        kind="metric",
        title="Checkout conversion dropped",
        data={"metric": "conversion", "value": "1.9%", "threshold": "2.5%"},
        facilitator=ALICE,
        participants=[BOB],
        dedup_key="generic:conv",
        conversation=CONV,
    )
    [started] = proc.bot.admit([Admission(trigger)])
    for text in ("me", "act", "Fix the payment form", "Ship the fix", "bob", "2026-11-30", "done"):
        proc.say(ALICE, text)
    proc.say(BOB, "yes")
    proc.say(ALICE, "2026-12-10")
    repeat = Trigger(flow="metric_breach", source="generic", title="Checkout conversion dropped",
                     data={"value": "2.3%"}, dedup_key="generic:conv", conversation=CONV)  # fmt: skip
    assert proc.bot.admit([Admission(repeat)])[0].outcome == "repeat"  # the incident is still firing
    assert proc.rows("SELECT kind, due_at, payload FROM jobs WHERE kind = 'start_flow'") == [
        (
            "start_flow",
            "2026-12-10T08:00:00.000Z",
            '{"flow": "decision_review", "decision_id": 1, "facilitator": {"id": "console:alice", "name": "alice"},'
            ' "day": "2026-12-10", "tz": "Europe/Paris"}',
        )
    ]
    proc = proc.restart()
    clock.at(days=13, hours=17)  # 2026-12-10 08:00 UTC = 09:00 Paris
    seen = proc.last_message_id()
    ran = run_due(proc)
    assert ("start_flow", "done: run 2") in ran
    assert proc.rows("SELECT flow_id, conversation, status FROM runs WHERE id = 2") == [
        ("decision_review", "console:room", "active")
    ]
    assert proc.rows("SELECT decision_id, due_at, run_id FROM reviews") == [(1, "2026-12-10", 2)]
    assert proc.outbox(seen)[0] == (
        2, "bob", "prompt", 1,
        "Review of 'Checkout conversion dropped': was your action 'Ship the fix' (due 2026-11-30) done?",
    )  # fmt: skip
    reply = proc.say(BOB, "yes")
    latest = json.loads(proc.rows("SELECT context FROM runs WHERE id = 2")[0][0])["trigger"]["latest"]
    assert latest == "conversion 2.3% (threshold 2.5%), last seen Thu 2026-11-26 16:00 CET"  # alice's zone, Paris
    assert reply[-1][2].startswith("Time to review the decision from 'Checkout conversion dropped': Act now: ")
    assert f"Latest value: {latest}\nDid it hold?" in reply[-1][2]


def test_a_reminder_of_a_metric_run_says_when_the_metric_changed_or_resolved_since(proc: Process, clock) -> None:
    from bot.admission import Admission

    def conversion(key: str, value: str, status: str = "firing") -> Admission:
        return Admission(Trigger(
            flow="metric_breach", source="generic", kind="metric", title=f"Conversion dropped in {key}",
            data={"metric": "conversion", "value": value, "threshold": "2.5%"}, facilitator=ALICE,
            status=status, dedup_key=f"generic:{key}", conversation=ConversationKey("console", key),
        ))  # fmt: skip

    def reminded(**at: int) -> dict[int, str]:
        seen = proc.last_message_id()
        clock.at(**at)
        assert {outcome for _, outcome in run_due(proc)} == {"done"}
        return {run: text for run, _, _, _, text in proc.outbox(seen)}

    proc.bot.admit([conversion("eu", "1.9%"), conversion("us", "1.9%")])
    clock.at(minutes=30)
    proc.bot.admit([conversion("eu", "1.9%"), conversion("us", "2.3%")])
    first = "conversion is 1.9% (threshold 2.5%).\nWho takes this one?"
    assert reminded(hours=1) == {
        1: f"Reminder: Conversion dropped in eu: {first}",  # the same value since: the one shown is the latest
        2: "Reminder (values as when it fired; latest: conversion 2.3% (threshold 2.5%), last seen"
        f" Thu 2026-11-26 16:30 CET):\nConversion dropped in us: {first}",
    }
    clock.at(hours=1, minutes=10)
    proc.say(ALICE, "me", conv=ConversationKey("console", "us"))
    clock.at(hours=1, minutes=30)
    assert proc.bot.admit([conversion("us", "2.7%", "resolved")])[0].outcome == "resolved"
    assert reminded(hours=2, minutes=10)[2].startswith(
        "Reminder (values as when it fired; latest: conversion 2.7% (threshold 2.5%), last seen"
        " Thu 2026-11-26 17:30 CET, resolved since):\nWhat do we do about it?"
    )


async def test_a_ledger_error_in_one_round_leaves_the_scheduler_running(
    proc: Process, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A round that fails on the ledger (not busy: a disk error) is logged; the next round runs."""
    scheduler = proc.scheduler
    scheduler.poll = 0.01
    rounds: list[int] = []
    original = scheduler.run_due

    async def run_due(**kwargs: Any) -> list:
        rounds.append(1)
        if len(rounds) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return await original(**kwargs)

    monkeypatch.setattr(scheduler, "run_due", run_due)
    task = asyncio.create_task(scheduler.forever(lambda: []))
    try:
        for _ in range(200):
            if len(rounds) >= 3 or task.done():
                break
            await asyncio.sleep(0.01)
        assert not task.done() and len(rounds) >= 3
    finally:
        task.cancel()
    assert "disk I/O error" in caplog.text


def test_an_escalation_quotes_a_facilitators_own_decline_by_name_for_the_room(proc: Process, clock) -> None:
    """Alice declined her own action, then left 'who should own it instead?' unanswered: the room
    reads the question quoted with her name, not 'You declined ...', which is hers alone."""
    start(proc)
    for text in ("We ship in March", "Draft plan", "me", "next friday", "done"):
        proc.say(ALICE, text)
    assert proc.say(ALICE, "no")[-1] == (
        "alice",
        "prompt",
        "You declined Action 1 ('Draft plan'). Who should own it instead?",
    )
    proc = proc.restart()
    clock.at(days=1, hours=1)
    seen = proc.last_message_id()
    assert run_due(proc) == [("remind", "done: escalate")]
    assert proc.outbox(seen) == [
        (
            1,
            None,
            "info",
            0,
            "Still no answer from: alice, asked Thu 2026-11-26 16:00 CET"
            " ('alice declined Action 1 ('Draft plan'). Who should own it instead?').",
        )
    ]
