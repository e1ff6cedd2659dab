"""The review of a decision a SQL check led to shows the check's latest value: the one its last
evaluation read, not the one of the breach's last event (review-rv-alerts: a check evaluated
every few minutes for ten days after it recovered at 3.1, then read 4.2; the review still said
"Latest value: conversion 3.1 ..., last seen" on the day it recovered).

The clock starts on Thursday 2026-11-26 15:00 UTC; the facilitator's zone is Paris (CET)."""

from __future__ import annotations

from pathlib import Path

from bot.model import ConversationKey
from tests.triggers.conftest import ALICE
from tests.triggers.test_checks import run_due, shop, write_checks

SHOP = ConversationKey("console", "shop")


def decide_to_watch(proc, review_on: str) -> None:
    for answer in ("me", "watch", "roll back if it stays below 2 for a day", review_on):
        proc.say(ALICE, answer, SHOP)


def decided_then_resolved(proc, clock, flows, tmp_path: Path):
    """The check breaches (1.9 under 2.5), Alice decides to watch it with a review on Thursday
    2026-12-03, and it recovers (3.1) five minutes later. The process restarted to read the check."""
    write_checks(flows, shop(tmp_path, 1.9))
    proc = proc.restart()
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "started")]
    decide_to_watch(proc, "2026-12-03")
    shop(tmp_path, 3.1)
    clock.at(minutes=5)
    assert run_due(proc) == [("check", "resolved")]
    return proc


def review_question(proc) -> str:
    [(text,)] = proc.rows(
        "SELECT m.text FROM messages m JOIN runs r ON r.id = m.run_id"
        " WHERE r.flow_id = 'decision_review' AND m.kind = 'prompt'"
    )
    return text


def test_a_reviews_latest_value_is_the_checks_last_evaluation(proc, clock, flows, tmp_path: Path) -> None:
    proc = decided_then_resolved(proc, clock, flows, tmp_path)
    shop(tmp_path, 4.2)
    clock.at(days=6, hours=17)  # Thursday 2026-12-03 08:00 UTC, 09:00 in Paris: the review's start
    assert sorted(run_due(proc)) == [("check", "ok"), ("start_flow", "done: run 2")]
    assert review_question(proc).splitlines()[1] == (
        "Latest value: conversion 4.2 (threshold 2.5), last seen Thu 2026-12-03 09:00 CET, resolved since"
    )


def test_a_check_breaching_again_shows_as_firing_at_the_review(proc, clock, flows, tmp_path: Path) -> None:
    proc = decided_then_resolved(proc, clock, flows, tmp_path)
    shop(tmp_path, 1.2)  # below again days later: a new incident, a new run; the review says the value now
    clock.at(days=6, hours=17)
    assert sorted(run_due(proc)) == [("check", "started"), ("start_flow", "done: run 3")]
    assert review_question(proc).splitlines()[1] == (
        "Latest value: conversion 1.2 (threshold 2.5), last seen Thu 2026-12-03 09:00 CET"
    )
