"""``rasa-actions`` refused over its port leaves no ledger: the port is tried before the ledger is
made or opened, as ``serve`` does (before, a busy port was found once an empty ledger, and its
folder, had been made, and its line said "new, created now")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import rasa_sdk  # noqa: F401 - a test dependency: its absence is a broken setup, not a skip

ROOT = Path(__file__).resolve().parents[1]


def test_rasa_actions_on_a_busy_port_makes_no_ledger(tmp_path: Path, taken_port: int) -> None:
    db = tmp_path / "data" / "decisions.db"
    args = ["--db", str(db), "--flows", str(ROOT / "flows"), "rasa-actions", "--port", str(taken_port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    out = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr
    assert f"Cannot listen on 127.0.0.1:{taken_port}: Address already in use" in out.stderr, out.stderr
    assert "created now" not in out.stderr, out.stderr
    assert list(tmp_path.iterdir()) == []  # neither the ledger nor its folder
