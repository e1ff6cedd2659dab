"""A review falling due while ``decision_review.yaml`` is gone from the flows folder (mid-deploy): the
job was marked failed for good, with a traceback, and the review never ran once the file was back.
It now waits for its flow, as a job whose flow file is refused does, and runs once the file is there."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli(tmp_path: Path, *args: str, said: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", "--db", str(tmp_path / "t.db"), "--flows", str(tmp_path / "flows"), *args]
    return subprocess.run(command, input=said, capture_output=True, text=True, timeout=120)


def test_a_review_due_while_its_flow_file_is_gone_waits_for_it(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    for name in ("post_meeting.yaml", "decision_review.yaml", "action_handover.yaml"):  # needs no review
        shutil.copy(ROOT / "flows" / name, flows / name)
    lines = ["Ship it", "Plan", "@bob", "friday", "done", "/as bob", "yes", "/as alice", "tomorrow"]
    assert (
        cli(tmp_path, "chat", "post_meeting", "-f", "alice", "-p", "bob", said="\n".join(lines) + "\n").returncode == 0
    )
    conn = sqlite3.connect(tmp_path / "t.db")
    [(due,)] = conn.execute("SELECT due_at FROM jobs WHERE kind = 'start_flow'").fetchall()
    at = datetime.fromisoformat(due.replace("Z", "+00:00"))
    later, after_the_claim = ((at + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in (1, 2))
    (flows / "decision_review.yaml").rename(tmp_path / "decision_review.yaml")  # a deploy, half done
    gone = cli(tmp_path, "jobs", "run-due", "--now", later)
    assert "Traceback" not in gone.stderr and "waits for its flow to be fixed" in gone.stderr, gone.stderr
    assert conn.execute("SELECT done_at, outcome FROM jobs WHERE kind = 'start_flow'").fetchall() == [(None, None)]
    (tmp_path / "decision_review.yaml").rename(flows / "decision_review.yaml")
    back = cli(tmp_path, "jobs", "run-due", "--now", after_the_claim)  # its claim lapsed: tried again
    assert back.returncode == 0, back.stderr
    assert conn.execute("SELECT outcome FROM jobs WHERE kind = 'start_flow'").fetchall() == [("done: run 2",)]
    assert conn.execute("SELECT flow_id, status FROM runs WHERE id = 2").fetchall() == [("decision_review", "active")]
