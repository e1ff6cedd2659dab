"""A check's number as the on-call engineer reads it: a count of a million orders or an error
ratio of 0.00007 is written out, never in scientific notation (review-rv-alerts: a query giving
1234567 against a threshold of 1500000 asked "orders is 1.23457e+06 (threshold 1.5e+06)")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.triggers.test_cli_triggers import cli, rows


def metric_db(tmp_path: Path, value: float) -> Path:
    path = tmp_path / "metrics.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS kpi (v)")
    conn.execute("DELETE FROM kpi")
    conn.execute("INSERT INTO kpi VALUES (?)", (value,))
    conn.commit()
    conn.close()
    return path


def check_file(flows: Path, database: Path, threshold: str, direction: str) -> None:
    (flows / "checks.yaml").write_text(
        f"checks:\n  - {{name: kpi, title: KPI off, metric: kpi, sql: 'SELECT v FROM kpi', threshold: {threshold},"
        f" direction: {direction}, schedule: 5m, database: '{database}', channel: 'console:ops', facilitator: alice}}\n"
    )


@pytest.mark.parametrize(
    ("breach", "threshold", "direction", "recovery", "shown"),
    [
        (1234567, "1500000", "below", 2000000, ("1234567", "1500000", "2000000")),
        (0.000071, "0.00005", "above", 0.0000012, ("0.000071", "0.00005", "0.0000012")),
        (1.9047619047619047, "2.5", "below", 3, ("1.90476", "2.5", "3")),
    ],
)
def test_a_checks_numbers_are_written_out_in_its_prompt_resolution_and_cli_line(
    tmp_path: Path, flows: Path, breach: float, threshold: str, direction: str, recovery: float, shown: tuple
) -> None:
    value, limit, back = shown
    database = metric_db(tmp_path, breach)
    check_file(flows, database, threshold, direction)
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 0 and out.output == f"kpi: {value} (breach) -> started\n"
    metric_db(tmp_path, recovery)
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 0 and out.output == f"kpi: {back} (ok) -> resolved\n"
    assert [text for (text,) in rows(tmp_path, "SELECT text FROM messages ORDER BY id")] == [
        f"KPI off: kpi is {value} (threshold {limit}).\nkpi is {value}, {direction} the threshold of {limit}.\n"
        "Who takes this one?",
        f"Resolved: KPI off (kpi is now {back}).",
    ]
