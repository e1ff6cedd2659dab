"""The demo's metric-check runs name their check, as real ones do: ``runs list`` shows
``metric CHECK`` (README, the CLI table). Before, the demo's check events carried no check name
and the one-minute tour's ``runs list`` showed ``metric ?``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from bot.analytics import demo
from bot.cli import main
from bot.store import open_db

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def test_runs_list_names_the_check_behind_each_demo_metric_run(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    db = open_db(path)
    try:
        demo.fill(db, FLOWS, 40, seed=3, end=datetime(2026, 11, 26, tzinfo=UTC))
    finally:
        db.conn.close()
    listed = CliRunner().invoke(main, ["--db", str(path), "runs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    checks = [run["trigger"] for run in json.loads(listed.output) if run["trigger"].startswith("metric")]
    assert checks, "the demo made no metric-check run"
    assert all("?" not in trigger and len(trigger) > len("metric ") for trigger in checks), checks
