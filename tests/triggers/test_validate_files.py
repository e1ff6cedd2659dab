"""``decisionbot routes validate`` and ``checks validate``: the files checked before deploying.
There was no way to check them but to start ``serve`` (which stops at the first problem) or to
``checks run --once`` (which runs every query and starts real runs). Each problem is named with
its file, its route or check, and the fix (exit 1); a good file gets a short summary (exit 0);
no ledger is created and no query runs."""

from __future__ import annotations

from pathlib import Path

from tests.triggers.test_cli_triggers import cli

ROUTES = """routes:
  - name: payments
    match: {labels: {team: payments}}
    channel: slack:C0PAY
  - name: reviews
    flow: decision_review
    channel: console:ops
  - name: typo
    flow: metric_breech
    channel: console:ops
  - name: typo-key
    chanel: console:ops
"""

CHECKS = """checks:
  - {name: orders, sql: SELECT 1, threshold: 5, direction: below, schedule: 15m, database: shop.db, route: payments}
  - {name: refunds, sql: SELECT 1, threshold: 5, direction: above, schedule: 15m, database: shop.db, route: paymnts}
  - {name: churn, sql: SELECT 1, threshold: 5, direction: above, schedule: 15m, database: shop.db, flow: metric_breech}
  - {name: signups, sql: SELECT 1, threshold: 5, direction: above, schedule: 15m, database: shop.db, channel: "slack:#growth"}
  - {name: stock, sql: SELECT 1, threshold: 5, direction: sideways, schedule: 15m, database: shop.db}
  - {name: reviews, sql: SELECT 1, threshold: 5, direction: above, schedule: 10s, database: shop.db, enabled: false}
"""


def test_routes_validate_names_every_problem_with_its_route_and_fix(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    out = cli(tmp_path, flows, "routes", "validate", env={"DECISIONBOT_DEFAULT_CHANNEL": "slack:#alerts"})
    assert out.exit_code == 1
    path = flows / "routes.yaml"
    lines = out.output.splitlines()
    assert lines[0] == f"Error: {path}: 4 problem(s):"
    assert lines[1].startswith("  DECISIONBOT_DEFAULT_CHANNEL: 'slack:#alerts' names a Slack channel by its name")
    assert lines[2].startswith(f"  {path}, route 'reviews': its flow 'decision_review' reviews a recorded decision")
    assert lines[3].startswith(f"  {path}, route 'typo-key': unknown key(s) chanel. Fix: use only")
    assert lines[4] == (
        f"  {path}, route 'typo': its flow 'metric_breech' is not in the flows folder (flows: metric_breach,"
        " post_meeting): its triggers would start nothing. Fix: name one of them, or add the flow file"
    )
    assert not (tmp_path / "cli.db").exists()


def test_routes_validate_sums_up_a_good_file(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES.split("  - name: reviews")[0])
    out = cli(tmp_path, flows, "routes", "validate", env={"DECISIONBOT_DEFAULT_CHANNEL": "slack:C0ALERTS"})
    assert (out.exit_code, out.output) == (
        0,
        f"{flows / 'routes.yaml'}: 1 route(s) valid; a trigger no route matches goes to metric_breach in"
        " slack:C0ALERTS (DECISIONBOT_DEFAULT_CHANNEL).\n",
    )
    (flows / "routes.yaml").unlink()
    out = cli(tmp_path, flows, "routes", "validate")
    assert out.exit_code == 0
    assert "no routes; a trigger without its own decision_channel is recorded, unrouted" in out.output


def test_checks_validate_names_every_problem_with_its_check_and_fix(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES.split("  - name: reviews")[0])
    (flows / "checks.yaml").write_text(CHECKS)
    out = cli(tmp_path, flows, "checks", "validate")
    assert out.exit_code == 1
    path = flows / "checks.yaml"
    lines = out.output.splitlines()
    assert lines[0] == f"Error: {path}: 5 problem(s):"
    assert lines[1] == f"  {path}, check 'stock': direction is 'sideways'. Fix: use above or below"
    assert lines[2].startswith(
        f"  {path}, check 'reviews': schedule '10s' evaluates the check more than once"
    )  # disabled: checked too
    assert lines[3].startswith(f"  {path}, check 'refunds': its route 'paymnts' is not in {flows / 'routes.yaml'}")
    assert lines[4].startswith(f"  {path}, check 'churn': its flow 'metric_breech' is not in the flows folder")
    assert lines[5].startswith(f"  {path}, check 'signups': 'slack:#growth' names a Slack channel by its name")
    assert lines[5].endswith("Fix: give a channel's ID, such as slack:C0123ABCD, teams:<conversation> or console")
    assert not (tmp_path / "cli.db").exists()


def test_checks_validate_sums_up_a_good_file_and_runs_no_query(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES.split("  - name: reviews")[0])
    (flows / "checks.yaml").write_text(CHECKS.split("  - {name: refunds")[0] + CHECKS.splitlines()[-1] + "\n")
    (flows / "checks.yaml").write_text((flows / "checks.yaml").read_text().replace("10s", "1h"))
    out = cli(tmp_path, flows, "checks", "validate")
    assert (out.exit_code, out.output) == (0, f"{flows / 'checks.yaml'}: 2 check(s) valid, 1 enabled.\n")
    assert not (tmp_path / "cli.db").exists() and not (tmp_path / "shop.db").exists()


def test_checks_validate_says_when_a_route_it_misses_may_be_a_broken_one(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text("routes:\n  - name: payments\n    chanel: slack:C0PAY\n")
    (flows / "checks.yaml").write_text(CHECKS.split("  - {name: refunds")[0])
    out = cli(tmp_path, flows, "checks", "validate")
    assert out.exit_code == 1
    assert "check 'orders': its route 'payments' is not in" in out.output
    assert f"{flows / 'routes.yaml'} has 1 problem(s) too, so its routes may be missing here" in out.output
