"""A check that breaches with nowhere to go (a route of checks.yaml that routes.yaml lacks; no
channel, no route and no DECISIONBOT_DEFAULT_CHANNEL) is told, as an alert with nowhere to go is:
a warning in the log naming the check, the reason and the fix, and the reason on ``checks run``'s
line (review-rv-alerts: the breach was recorded as an event nobody saw, the server logged nothing
and ``checks run --once`` printed only "-> unrouted")."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from tests.triggers.test_checks import run_due
from tests.triggers.test_cli_triggers import cli

NO_ROUTE = "there is no route 'nope' (routes.yaml has none)"
NO_CHANNEL = "no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set"


def orders_db(tmp_path: Path) -> Path:
    path = tmp_path / "orders.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE kpi (v)")
    conn.execute("INSERT INTO kpi VALUES (9)")
    conn.commit()
    conn.close()
    return path


def check_file(flows: Path, database: Path, where: str) -> None:
    (flows / "checks.yaml").write_text(
        "checks:\n  - {name: orders, sql: 'SELECT v FROM kpi', threshold: 5, direction: above, schedule: 5m,"
        f" database: '{database}', facilitator: alice{where}}}\n"
    )


@pytest.mark.parametrize(("where", "why"), [(", route: nope", NO_ROUTE), ("", NO_CHANNEL)])
def test_a_breach_with_nowhere_to_go_is_logged_with_the_reason_and_the_fix(proc, flows, tmp_path, caplog, where, why):
    check_file(flows, orders_db(tmp_path), where)
    proc = proc.restart()
    proc.scheduler.plan()
    with caplog.at_level(logging.WARNING, logger="decisionbot.checks"):
        assert run_due(proc) == [("check", "unrouted")]
    assert proc.rows("SELECT problem FROM events") == [(why,)]
    logged = [r.getMessage() for r in caplog.records if r.name == "decisionbot.checks"]
    assert logged == [
        f"Check 'orders' breached (9) and started no run: {why}. Fix: give the check a channel, or a route of"
        f" {flows / 'routes.yaml'}, in {flows / 'checks.yaml'}, or set DECISIONBOT_DEFAULT_CHANNEL (try it with:"
        " decisionbot checks run --once); its next breach starts a run."
    ]


def test_checks_run_once_says_why_a_breach_started_no_run(tmp_path: Path, flows: Path) -> None:
    check_file(flows, orders_db(tmp_path), ", route: nope")
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 0
    assert out.output.splitlines()[-1] == f"orders: 9 (breach) -> unrouted: {NO_ROUTE}"
