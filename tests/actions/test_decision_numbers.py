"""A decision's number is not its run's: a review started with a run's number (as `runs list`
shows them) is refused, and the hint leads to the decisions' numbers (before: it sent the user to
`runs list --status completed`, whose numbers are runs', so the same mistake again)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.actions.support import ROOT


def decisionbot(tmp_path: Path, *args: str, lines: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name("decisionbot"))
    command = [exe, "--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows"), *args]
    return subprocess.run(command, input="".join(f"{line}\n" for line in lines), capture_output=True, text=True)


def test_a_review_named_by_its_runs_number_is_refused_with_a_hint_to_the_decisions_numbers(tmp_path: Path) -> None:
    chat = ("chat", "post_meeting", "-f", "alice", "-p", "bob")
    decisionbot(tmp_path, *chat, lines=("We drop the beta",))  # run 1, left open
    assert decisionbot(tmp_path, "runs", "cancel", "1").returncode == 0
    meeting = ("We ship in March", "Draft the plan", "@bob", "2099-01-15", "done", "/as bob", "yes", "/as alice", "ok")
    assert decisionbot(tmp_path, *chat, lines=meeting).returncode == 0  # run 2, decision 1
    refused = decisionbot(tmp_path, "trigger", "decision_review", "--data", "decision_id=2")
    assert refused.returncode == 1
    assert "No decision 2 in the ledger: decisions are numbered apart from runs" in refused.stderr, refused.stderr
    hint = refused.stderr.rsplit("Try: ", 1)[1].split()
    assert hint[-2:] == ["export", "decisions"] and "runs" not in hint
    listed = decisionbot(tmp_path, "export", "decisions", "--format", "csv").stdout.splitlines()
    assert listed[0].startswith("id,run_id,") and listed[1].startswith("1,2,post_meeting,")
    assert decisionbot(tmp_path, "trigger", "decision_review", "--data", "decision_id=1").returncode == 0
