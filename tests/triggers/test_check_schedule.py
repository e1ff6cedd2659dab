"""An interval check (``schedule: 5m``) keeps to its planned times: the next is counted from the
time it was planned for, not from when its evaluation finished (a slow query, a busy loop), so it
does not creep; after downtime the slots missed are skipped (one evaluation, then the next slot),
not run in a burst. A cron schedule's times are the clock's anyway."""

from __future__ import annotations

from tests.triggers.test_checks import run_due, shop, write_checks


def pending(proc) -> list[tuple[str]]:
    return proc.rows("SELECT due_at FROM jobs WHERE kind = 'check' AND done_at IS NULL")


def test_an_interval_check_is_planned_from_its_planned_time_not_its_finish(proc, clock, flows, tmp_path) -> None:
    write_checks(flows, shop(tmp_path, 3.0))
    proc = proc.restart()
    proc.scheduler.plan()  # planned at 15:00
    clock.at(seconds=40)  # it finished 40 s late (a slow query, a busy loop)
    assert run_due(proc) == [("check", "ok")]
    assert pending(proc) == [("2026-11-26T15:05:00.000Z",)]
    clock.at(minutes=5, seconds=50)
    assert run_due(proc) == [("check", "ok")]
    assert pending(proc) == [("2026-11-26T15:10:00.000Z",)]


def test_after_downtime_the_missed_slots_are_skipped_not_run_in_a_burst(proc, clock, flows, tmp_path) -> None:
    write_checks(flows, shop(tmp_path, 3.0))
    proc = proc.restart()
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "ok")]
    proc = proc.restart()
    clock.at(minutes=32, seconds=10)  # down from 15:01 to 15:32: six slots missed
    assert run_due(proc) == [("check", "ok")]  # one evaluation
    assert run_due(proc) == []
    assert pending(proc) == [("2026-11-26T15:35:00.000Z",)]
    clock.at(minutes=35)  # at its slot, to the second
    assert run_due(proc) == [("check", "ok")]
    assert pending(proc) == [("2026-11-26T15:40:00.000Z",)]
    assert proc.rows("SELECT count(*) FROM check_evaluations") == [(3,)]


def test_an_interval_digest_keeps_to_its_planned_times_too(proc, clock, flows) -> None:
    """The owner digest's schedule (``digest: {schedule: 12h}`` in the same file) is planned the same way."""
    (flows / "checks.yaml").write_text("digest:\n  schedule: 12h\n")
    proc = proc.restart()
    proc.scheduler.plan()  # at 15:00: the first digest at 03:00
    digests = "SELECT due_at FROM jobs WHERE kind = 'digest' AND done_at IS NULL"
    assert proc.rows(digests) == [("2026-11-27T03:00:00.000Z",)]
    clock.at(hours=12, seconds=30)  # claimed 30 s late
    assert [kind for kind, _ in run_due(proc)] == ["digest"]
    assert proc.rows(digests) == [("2026-11-27T15:00:00.000Z",)]


def test_a_check_planned_on_a_clock_run_ahead_is_brought_back_to_the_real_time(proc, clock, flows, tmp_path) -> None:
    """``jobs run-due --now`` eight days ahead on the live ledger (or a host clock corrected back):
    the check's next evaluation was planned eight days out, and the server's re-plan every minute
    kept it, so the check went unevaluated for eight days. Re-planning brings it back to now."""
    write_checks(flows, shop(tmp_path, 3.0))
    proc = proc.restart()
    proc.scheduler.plan()
    clock.at(days=8)
    assert run_due(proc) == [("check", "ok")]
    assert pending(proc) == [("2026-12-04T15:05:00.000Z",)]
    clock.at(minutes=1)  # the real time again
    proc.scheduler.plan()
    assert pending(proc) == [("2026-11-26T15:01:00.000Z",)]
    assert run_due(proc) == [("check", "ok")]
    assert pending(proc) == [("2026-11-26T15:06:00.000Z",)]
    proc.scheduler.plan()  # a plan on time moves nothing
    assert pending(proc) == [("2026-11-26T15:06:00.000Z",)]
