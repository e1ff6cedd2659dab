"""SQL metric checks against a real SQLite file, on a fixed clock with restarts in between:
every evaluation recorded; a breach starts one run, repeats join it, recovery resolves it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.triggers import checks
from tests.triggers.conftest import Process


def shop(tmp_path: Path, value: object) -> Path:
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS kpi (name TEXT PRIMARY KEY, v)")
    conn.execute("INSERT OR REPLACE INTO kpi VALUES ('conversion', ?)", (value,))
    conn.commit()
    conn.close()
    return path


def write_checks(flows: Path, database: Path, schedule: str = "5m") -> None:
    (flows / "checks.yaml").write_text(
        "checks:\n"
        "  - name: conversion\n"
        "    title: Checkout conversion dropped\n"
        "    metric: conversion\n"
        f"    database: {database}\n"
        "    sql: SELECT v FROM kpi WHERE name = 'conversion'\n"
        "    threshold: 2.5\n"
        "    direction: below\n"
        f"    schedule: '{schedule}'\n"
        "    channel: console:shop\n"
        "    facilitator: alice\n"
    )


def run_due(proc: Process) -> list[tuple[str, str]]:
    return [(j.kind, o) for j, o in asyncio.run(proc.scheduler.run_due())]


def test_a_breach_starts_one_run_repeats_join_it_and_recovery_resolves_it(proc, clock, flows, tmp_path) -> None:
    db = shop(tmp_path, 3.0)
    write_checks(flows, db)
    proc = proc.restart()
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "ok")]
    proc = proc.restart()  # the next evaluation was scheduled before the restart
    shop(tmp_path, 1.9)
    clock.at(minutes=5)
    assert run_due(proc) == [("check", "started")]
    assert proc.rows("SELECT flow_id, conversation, facilitator_id FROM runs") == [
        ("metric_breach", "console:shop", "console:alice")
    ]
    assert proc.outbox()[0][4] == (
        "Checkout conversion dropped: conversion is 1.9 (threshold 2.5).\n"
        "conversion is 1.9, below the threshold of 2.5.\nWho takes this one?"
    )
    clock.at(minutes=10)
    assert run_due(proc) == [("check", "repeat")]
    shop(tmp_path, 3.1)
    proc = proc.restart()
    clock.at(minutes=15)
    assert run_due(proc) == [("check", "resolved")]
    assert proc.outbox()[-1][1:] == (None, "info", 0, "Resolved: Checkout conversion dropped (conversion is now 3.1).")
    clock.at(minutes=20)
    assert run_due(proc) == [("check", "ok")]
    assert proc.rows("SELECT at, value, breached, error, event_id FROM check_evaluations ORDER BY id") == [
        ("2026-11-26T15:00:00.000Z", 3.0, 0, None, None),
        ("2026-11-26T15:05:00.000Z", 1.9, 1, None, 1),
        ("2026-11-26T15:10:00.000Z", 1.9, 1, None, 1),
        ("2026-11-26T15:15:00.000Z", 3.1, 0, None, 1),
        ("2026-11-26T15:20:00.000Z", 3.1, 0, None, None),
    ]
    assert proc.rows("SELECT source, dedup_key, status, repeat_count FROM events") == [
        ("check", "check:conversion", "resolved", 1)
    ]
    assert proc.rows("SELECT due_at FROM jobs WHERE kind = 'check' AND done_at IS NULL") == [
        ("2026-11-26T15:25:00.000Z",)
    ]


def test_a_failing_query_is_recorded_and_triggers_nothing(proc, clock, flows, tmp_path) -> None:
    write_checks(flows, shop(tmp_path, "n/a"))
    proc = proc.restart()
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "error")]
    write_checks(flows, tmp_path / "missing.db")
    clock.at(minutes=5)
    assert run_due(proc) == [("check", "error")]
    assert proc.rows("SELECT value, breached, error FROM check_evaluations") == [
        (None, 0, "the query returned 'n/a', not a number"),
        (None, 0, f"no SQLite file at {tmp_path / 'missing.db'}"),
    ]
    assert proc.rows("SELECT count(*) FROM events") == [(0,)]


def test_a_routes_file_broken_after_start_up_is_recorded_on_the_evaluation(
    proc, clock, flows, tmp_path, caplog
) -> None:
    write_checks(flows, shop(tmp_path, 1.9))
    proc = proc.restart()
    proc.scheduler.plan()
    broken = "routes:\n  - name: a\n    chanel: console\n"
    (flows / "routes.yaml").write_text(broken)
    assert run_due(proc) == [("check", "error")]
    [warned] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Check 'conversion'")]
    assert warned.startswith(  # before: "gave no value: ... Fix its query or database in checks.yaml"
        f"Check 'conversion' gave 1.9, but the routes could not take it: {flows / 'routes.yaml'}, route 'a':"
    ), warned
    assert "query" not in warned
    (flows / "routes.yaml").unlink()
    clock.at(minutes=5)
    assert run_due(proc) == [("check", "started")]
    shop(tmp_path, 3.1)
    (flows / "routes.yaml").write_text(broken)
    clock.at(minutes=10)
    assert run_due(proc) == [("check", "error")]
    (flows / "routes.yaml").write_text("routes: []\n")
    clock.at(minutes=15)
    assert run_due(proc) == [("check", "resolved")]  # the recovery the broken file held back
    says = f"{flows / 'routes.yaml'}, route 'a': unknown key(s) chanel. Fix: use only backup, channel,"
    sql = "SELECT value, breached, substr(error, 1, ?), event_id FROM check_evaluations ORDER BY id"
    got = proc.rows(sql, len(says))
    assert got == [(1.9, 1, says, None), (1.9, 1, None, 1), (3.1, 0, says, None), (3.1, 0, None, 1)]
    outcomes = proc.rows("SELECT outcome FROM jobs WHERE kind = 'check' ORDER BY id")
    assert outcomes == [("error",), ("done",), ("error",), ("done",), (None,)]


def test_a_cron_schedule_runs_in_the_bots_time_zone(proc, clock, flows, tmp_path) -> None:
    write_checks(flows, shop(tmp_path, 3.0), schedule="0 9 * * 1-5")
    proc = proc.restart()
    proc.scheduler.plan()
    run_due(proc)  # a new check runs at once, then on its schedule: Friday 09:00 Paris
    assert proc.rows("SELECT due_at FROM jobs WHERE kind = 'check' AND done_at IS NULL") == [
        ("2026-11-27T08:00:00.000Z",)
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("checks:\n  - name: x\n", "checks.yaml, check 'x': sql, threshold, direction, schedule, database missing"),
        (
            "checks:\n  - {name: x, sql: s, threshold: 1, direction: up, schedule: 5m, database: d}\n",
            "check 'x': direction is 'up'. Fix: use above or below",
        ),
        (
            "checks:\n  - {name: x, sql: s, threshold: 1, direction: above, schedule: often, database: d}\n",
            "'often' is neither an interval (5m, 1h, 1d) nor a cron expression",
        ),
        (  # a date YAML cannot build raised ValueError, a traceback past the loader
            "checks:\n  - {name: x, sql: s, threshold: 1, direction: above, schedule: 2027-02-30, database: d}\n",
            "'2027-02-30' is neither an interval (5m, 1h, 1d) nor a cron expression",
        ),
    ],
)
def test_bad_checks_files_are_refused_naming_the_check_and_the_fix(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "checks.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        checks.load(tmp_path / "checks.yaml")
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("name", "read"),
    [("yes", "true"), ("off", "false"), ("null", "null"), ("~", "null"), ("42", "the number 42"),
     ("1.5", "the number 1.5"), ("2026-11-26", "a date")],
)  # fmt: skip
def test_a_check_name_yaml_does_not_read_as_text_is_refused_with_the_quotes_to_add(tmp_path, name, read) -> None:
    (tmp_path / "checks.yaml").write_text(
        "checks:\n  - {name: good, sql: s, threshold: 1, direction: above, schedule: 5m, database: d}\n"
        f"  - {{name: {name}, sql: s, threshold: 1, direction: above, schedule: 5m, database: d}}\n"
    )
    with pytest.raises(ConfigError) as err:
        checks.load(tmp_path / "checks.yaml")
    assert str(err.value) == (
        f"{tmp_path / 'checks.yaml'}, check '#2': the name is read as {read}, not as text. Fix: put the name in"
        " quotes (name: 'yes'): YAML reads a bare yes, no, on, off, null, a number or a date as something else"
    )
    (tmp_path / "checks.yaml").write_text(
        f"checks:\n  - {{name: '{name}', sql: s, threshold: 1, direction: above, schedule: 5m, database: d}}\n"
    )
    assert [c.name for c in checks.load(tmp_path / "checks.yaml").checks] == [name]


def test_a_checks_file_broken_while_running_keeps_the_last_good_checks(proc, clock, flows, tmp_path, caplog) -> None:
    import os

    db = shop(tmp_path, 3.0)
    write_checks(flows, db)
    proc = proc.restart()
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "ok")]
    broken = flows / "checks.yaml"
    broken.write_text(broken.read_text().replace("direction: below", "direction: sideways"))
    os.utime(broken, (1, 1))  # a new mtime, however fast the file system's clock
    clock.at(minutes=5)
    proc.scheduler.plan()  # the minute's re-plan: not an error, the check keeps its job
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "ok")]  # evaluated with the last good definition
    warned = [r.getMessage() for r in caplog.records if "last good checks" in r.getMessage()]
    assert len(warned) == 1 and "check 'conversion': direction is 'sideways'" in warned[0]
    write_checks(flows, db, schedule="10m")  # fixed: taken at the next re-plan
    os.utime(broken, (2, 2))
    proc.scheduler.plan()
    assert proc.rows(
        "SELECT json_extract(payload, '$.schedule') FROM jobs WHERE kind = 'check' AND done_at IS NULL"
    ) == [("10m",)]
    with pytest.raises(ConfigError, match="direction is 'sideways'"):  # broken at the start: refused, as before
        broken.write_text(broken.read_text().replace("direction: below", "direction: sideways"))
        proc.restart().scheduler.checks.config()
