"""``decisionbot runs list`` says what started each run started from the command line: a chat in
the terminal, ``decisionbot trigger``, a metric check, a review on its date (``jobs run-due``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.dates import FEB1, JAN10
from tests.triggers.test_cli_triggers import cli


def test_runs_list_names_the_chat_trigger_check_and_review_that_started_runs(tmp_path: Path, flows: Path) -> None:
    script = [("alice", "We ship in March"), ("alice", "Draft the plan"), ("alice", "@bob"), ("alice", JAN10),
              ("alice", "done"), ("bob", "yes"), ("alice", FEB1)]  # fmt: skip
    lines = "".join(json.dumps({"as": who, "text": t}) + "\n" for who, t in script)
    assert (
        cli(tmp_path, flows, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=lines).exit_code == 0
    )
    assert cli(tmp_path, flows, "jobs", "run-due", "--now", f"{FEB1}T12:00:00+00:00").exit_code == 0  # the review
    cli(tmp_path, flows, "trigger", "metric_breach", "--channel", "console", "-f", "alice", "-d", "metric=nps")
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as conn:
        conn.execute("CREATE TABLE t (v)")
        conn.execute("INSERT INTO t VALUES (7)")
    conn.close()
    (flows / "checks.yaml").write_text(
        f"checks:\n  - {{name: refunds, sql: SELECT v FROM t, threshold: 5, direction: above, schedule: 1h,"
        f" database: '{shop}', channel: console, facilitator: alice}}\n"
    )
    assert cli(tmp_path, flows, "checks", "run", "--once").output == "refunds: 7 (breach) -> started\n"
    listed = json.loads(cli(tmp_path, flows, "runs", "list", "--json").output)
    assert [(r["id"], r["flow"], r["trigger"]) for r in listed] == [
        (4, "metric_breach", "metric refunds > default"),
        (3, "metric_breach", "cli"),
        (2, "decision_review", "review D1"),
        (1, "post_meeting", "console"),
    ]
