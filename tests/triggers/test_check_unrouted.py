"""A check that breaches with nowhere to go (no channel, no route and no
DECISIONBOT_DEFAULT_CHANNEL; a route removed from routes.yaml while the server runs) is told, as an
alert with nowhere to go is: a warning in the log naming the check, the reason and the fix, and the
reason on ``checks run``'s line (review-rv-alerts: the breach was recorded as an event nobody saw,
the server logged nothing and ``checks run --once`` printed only "-> unrouted"). A check whose
``route`` names no route of routes.yaml is refused when checks are loaded, as a bad flow file is
(review-trigfix: it was told only when it breached)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.server import create_app
from tests.triggers.test_check_errors import shop
from tests.triggers.test_checks import run_due
from tests.triggers.test_cli_triggers import cli

NO_CHANNEL = "no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set"


def check_file(flows: Path, database: Path, where: str) -> None:
    (flows / "checks.yaml").write_text(
        "checks:\n  - {name: orders, sql: 'SELECT v FROM kpi', threshold: 5, direction: above, schedule: 5m,"
        f" database: '{database}', facilitator: alice{where}}}\n"
    )


ROUTES = "routes:\n  - {name: checkout, channel: 'console:shop'}\n  - {name: payments, channel: 'console:pay'}\n"
REFUSED = (
    "{checks}, check 'orders': its route 'nope' is not in {routes} (routes: checkout, payments). Fix: name one"
    " of them, add the route to {routes}, or give the check a channel instead"
)


def refusal(flows: Path) -> str:
    return REFUSED.format(checks=flows / "checks.yaml", routes=flows / "routes.yaml")


def test_a_check_naming_no_route_is_refused_by_checks_run_and_by_the_server(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    check_file(flows, shop(tmp_path), ", route: nope, enabled: false")  # disabled: a typo all the same
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 1
    assert refusal(flows) in out.output
    with pytest.raises(ConfigError) as refused:
        create_app(tmp_path / "s.db", flows, env={"DECISIONBOT_HOOK_TOKEN": "t"})
    assert str(refused.value) == refusal(flows)
    (flows / "routes.yaml").unlink()
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert "its route 'nope' is not in" in out.output and "(routes.yaml has no routes)" in out.output


def test_a_route_removed_while_the_server_runs_keeps_the_checks_and_the_breach_is_told(
    proc, flows, tmp_path, caplog
) -> None:
    """The route goes from routes.yaml after start-up: the change is refused with one warning
    naming the check (the last good checks run on), and its breach is unrouted, logged with the fix."""
    (flows / "routes.yaml").write_text(ROUTES.replace("checkout", "nope"))
    check_file(flows, shop(tmp_path), ", route: nope")
    proc = proc.restart()
    proc.scheduler.plan()
    (flows / "routes.yaml").write_text(ROUTES)
    with caplog.at_level(logging.WARNING, logger="decisionbot.checks"):
        assert run_due(proc) == [("check", "unrouted")]
    why = "there is no route 'nope' (routes: checkout, payments)"
    assert proc.rows("SELECT problem FROM events") == [(why,)]
    logged = [r.getMessage() for r in caplog.records if r.name == "decisionbot.checks"]
    assert logged == [
        "routes.yaml changed and checks.yaml is refused; the last good checks keep running until it is fixed: "
        + refusal(flows),
        f"Check 'orders' breached (9) and started no run: {why}. Fix: give the check a channel, or a route of"
        f" {flows / 'routes.yaml'}, in {flows / 'checks.yaml'}, or set DECISIONBOT_DEFAULT_CHANNEL (try it with:"
        " decisionbot checks run --once); its next breach starts a run.",
    ]


def test_a_breach_with_nowhere_to_go_is_logged_with_the_reason_and_the_fix(proc, flows, tmp_path, caplog):
    check_file(flows, shop(tmp_path), "")
    proc = proc.restart()
    proc.scheduler.plan()
    with caplog.at_level(logging.WARNING, logger="decisionbot.checks"):
        assert run_due(proc) == [("check", "unrouted")]
    assert proc.rows("SELECT problem FROM events") == [(NO_CHANNEL,)]
    logged = [r.getMessage() for r in caplog.records if r.name == "decisionbot.checks"]
    assert logged == [
        f"Check 'orders' breached (9) and started no run: {NO_CHANNEL}. Fix: give the check a channel, or a route"
        f" of {flows / 'routes.yaml'}, in {flows / 'checks.yaml'}, or set DECISIONBOT_DEFAULT_CHANNEL (try it"
        " with: decisionbot checks run --once); its next breach starts a run."
    ]


def test_checks_run_once_says_why_a_breach_started_no_run(tmp_path: Path, flows: Path) -> None:
    check_file(flows, shop(tmp_path), "")
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 0
    assert out.output.splitlines()[-1] == f"orders: 9 (breach) -> unrouted: {NO_CHANNEL}"
