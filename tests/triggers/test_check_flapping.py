"""A SQL check whose metric flaps around its threshold (breach, ok, breach, ... on consecutive
evaluations). It kept one event and one run, but every evaluation back within bounds posted
"Resolved" and the next breach "Firing again" into the run's conversation: the on-call thread
filled with a message per evaluation, and the incident read as resolved between two. A check's
``clear_after: N`` keeps the breach open until N evaluations in a row are within bounds (default
1: as before, and as Prometheus resolves); a breach meanwhile is a plain repeat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.triggers.conftest import Process
from tests.triggers.test_checks import shop, write_checks
from tests.triggers.test_cli_triggers import cli


def evaluate(proc: Process, clock, values: list[float], tmp_path: Path) -> list[str]:
    """Each value in turn, one scheduled evaluation five minutes apart: their outcomes."""
    outcomes = []
    for i, value in enumerate(values, start=1):
        shop(tmp_path, value)
        clock.at(minutes=5 * i)
        outcomes += [outcome for _, outcome in asyncio.run(proc.scheduler.run_due())]
    return outcomes


def test_clear_after_keeps_a_flapping_breach_open_until_it_stays_within_bounds(proc, clock, flows, tmp_path) -> None:
    write_checks(flows, shop(tmp_path, 3.0))
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text() + "    clear_after: 3\n")
    proc = proc.restart()
    proc.scheduler.plan()
    outcomes = evaluate(proc, clock, [1.9, 2.6, 2.4, 2.6, 2.7, 2.8, 2.9, 2.0], tmp_path)
    assert outcomes == ["started", "held", "repeat", "held", "held", "resolved", "ok", "repeat"]
    assert [text for *_, text in proc.outbox()[1:]] == [
        "Resolved: Checkout conversion dropped (conversion is now 2.8).",  # the third evaluation in a row within bounds
        "Firing again: Checkout conversion dropped (conversion is 2).",
    ]
    assert proc.rows("SELECT status, repeat_count FROM events") == [("firing", 2)]
    assert proc.rows("SELECT count(*) FROM runs") == [(1,)]


def test_by_default_the_first_evaluation_within_bounds_resolves(proc, clock, flows, tmp_path) -> None:
    write_checks(flows, shop(tmp_path, 3.0))
    proc = proc.restart()
    proc.scheduler.plan()
    assert evaluate(proc, clock, [1.9, 2.6, 2.4], tmp_path) == ["started", "resolved", "repeat"]


def test_clear_after_lowered_while_a_breach_is_held_resolves_it_at_the_next_evaluation(
    proc, clock, flows, tmp_path
) -> None:
    write_checks(flows, shop(tmp_path, 3.0))
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text() + "    clear_after: 5\n")
    proc = proc.restart()
    proc.scheduler.plan()
    assert evaluate(proc, clock, [1.9, 2.6, 2.6], tmp_path) == ["started", "held", "held"]
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text().replace("clear_after: 5", "clear_after: 1"))
    clock.at(minutes=20)
    assert [o for _, o in asyncio.run(proc.scheduler.run_due())] == ["resolved"]


def test_a_clear_after_that_is_not_a_count_is_refused_at_load(tmp_path: Path, flows: Path) -> None:
    write_checks(flows, tmp_path / "shop.db")
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text() + "    clear_after: 0\n")
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 1
    assert "check 'conversion': clear_after is 0. Fix: write how many evaluations in a row" in out.output


def test_checks_run_says_why_a_recovery_is_held(tmp_path: Path, flows: Path) -> None:
    database = shop(tmp_path, 1.9)
    write_checks(flows, database)
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text() + "    clear_after: 2\n")
    assert cli(tmp_path, flows, "checks", "run", "--once").output.startswith("conversion: 1.9 (breach) -> started")
    shop(tmp_path, 2.6)
    assert cli(tmp_path, flows, "checks", "run", "--once").output == (
        "conversion: 2.6 (ok) -> held: the breach stays open until clear_after evaluations in a row are within bounds\n"
    )


def test_a_reminder_while_a_breach_is_held_does_not_call_it_resolved(proc, clock, flows, tmp_path) -> None:
    """While ``clear_after`` holds the breach open, the latest reading is within bounds but the
    breach is not over: a reminder gives the reading without "resolved since"."""
    write_checks(flows, shop(tmp_path, 3.0))
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text() + "    clear_after: 3\n")
    proc = proc.restart()
    proc.scheduler.plan()
    assert evaluate(proc, clock, [1.9, 2.6], tmp_path) == ["started", "held"]
    clock.at(minutes=66)  # remind_after: 1h (the check's one evaluation due meanwhile: held again)
    assert sorted(o for _, o in asyncio.run(proc.scheduler.run_due())) == ["done", "held"]
    reminder = proc.outbox()[-1][4]
    assert reminder.startswith("Reminder (values as when it fired; latest: conversion 2.6 (threshold 2.5), last seen")
    assert "resolved since" not in reminder
