"""SQL metric checks whose query gives no number, as an operator meets them: each evaluation is
recorded with the reason, the scheduler logs one line saying what to fix and goes on with the
other checks, and ``checks run --once`` says so with exit status 1."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from tests.triggers.test_checks import run_due
from tests.triggers.test_cli_triggers import cli, rows

BROKEN = {
    "misspelt": ("SELEC v FROM kpi", 'the query failed: near "SELEC": syntax error'),
    "no_table": ("SELECT v FROM nope", "the query failed: no such table: nope"),
    "empty": ("SELECT NULL", "the query returned NULL, not a number"),
    "nan": ("SELECT 'nan'", "the query returned 'nan', not a number"),
    "infinite": ("SELECT 1e999", "the query returned inf, not a number"),
    "rows": ("SELECT v FROM kpi UNION ALL SELECT 2", "the query must return one row with one number; it returned 2"),
}


def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE kpi (v)")
    conn.execute("INSERT INTO kpi VALUES (9)")
    conn.commit()
    conn.close()
    return path


def checks_file(flows: Path, database: Path, names: list[str]) -> None:
    lines = ["checks:"]
    for name in names:
        sql = BROKEN[name][0] if name in BROKEN else "SELECT v FROM kpi"
        lines.append(
            f'  - {{name: {name}, sql: "{sql}", threshold: 5, direction: above, schedule: 5m,'
            f" database: '{database}', channel: 'console:shop', facilitator: alice}}"
        )
    (flows / "checks.yaml").write_text("\n".join(lines) + "\n")


def test_broken_queries_are_recorded_and_logged_and_the_good_check_still_runs(proc, flows, tmp_path, caplog):
    checks_file(flows, shop(tmp_path), [*BROKEN, "good"])
    proc = proc.restart()
    proc.scheduler.plan()
    with caplog.at_level(logging.WARNING, logger="decisionbot.checks"):
        assert sorted(run_due(proc)) == sorted([("check", "error")] * len(BROKEN) + [("check", "started")])
    recorded = dict(proc.rows("SELECT check_name, error FROM check_evaluations"))
    for name, (_, says) in BROKEN.items():
        assert recorded[name].startswith(says), (name, recorded[name])
    assert recorded["good"] is None
    assert proc.rows("SELECT count(*) FROM check_evaluations WHERE value IS NULL AND error IS NULL") == [(0,)]
    logged = {r.getMessage() for r in caplog.records if r.name == "decisionbot.checks"}
    path = flows / "checks.yaml"
    assert (
        f"Check 'empty' gave no value: the query returned NULL, not a number. Fix its query or database in {path}"
        " (try it with: decisionbot checks run --once); it is evaluated again on its schedule."
    ) in logged
    assert len(logged) == len(BROKEN) and all("\n" not in line for line in logged)


def test_checks_run_once_exits_1_naming_the_checks_that_gave_no_value(tmp_path: Path, flows: Path) -> None:
    checks_file(flows, shop(tmp_path), ["good", "nan"])
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 1
    assert out.output.splitlines() == [
        "good: 9 (breach) -> started",
        "nan: error: the query returned 'nan', not a number",
        f"Error: 1 check(s) gave no value: nan. Fix their query or database in {flows / 'checks.yaml'}",
    ]
    assert rows(tmp_path, "SELECT check_name, value IS NULL FROM check_evaluations ORDER BY id") == [
        ("good", 0),
        ("nan", 1),
    ]


def unopenable(tmp_path: Path, kind: str) -> Path:
    """A SQLite file at a path over SQLite's 512 bytes (it is there: the system opens it), or a
    name too long for the system itself."""
    if kind == "too_long_for_the_system":
        return tmp_path / ("x" * 300) / "shop.db"
    deep = tmp_path.joinpath(*["d" * 200] * 3)
    deep.mkdir(parents=True)
    return shop(tmp_path).rename(deep / "shop.db")


@pytest.mark.parametrize("kind", ["too_long_for_sqlite", "too_long_for_the_system"])
def test_a_database_that_cannot_be_opened_is_an_evaluation_error(proc, flows, tmp_path, kind) -> None:
    database = unopenable(tmp_path, kind)
    checks_file(flows, database, ["good"])
    proc = proc.restart()
    proc.scheduler.plan()
    assert run_due(proc) == [("check", "error")]
    [(error,)] = proc.rows("SELECT error FROM check_evaluations")
    assert error.startswith(f"the SQLite file {database} cannot be opened: ")
    assert proc.rows("SELECT outcome FROM jobs WHERE kind = 'check' ORDER BY id") == [("error",), (None,)]
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 1
    assert out.output.startswith(f"good: error: the SQLite file {database} cannot be opened: ")
    assert out.output.splitlines()[-1].startswith("Error: 1 check(s) gave no value: good.")
