"""A yes/no asked of the person an earlier step named (``to: approver``) is not asked when whoever
answered named themselves (``me``): naming themselves was their yes. Before, that yes was nowhere:
a branch ``when: "approved"`` was not taken and the record said "not approved" for a budget the
approver had just taken on; now the conditions, the prompts, the record and the ledger's answers
read it as a yes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FLOW = """\
id: budget_approval
title: Budget approval
steps:
  - id: amount
    ask: "How much (EUR) is requested?"
    type: number
    min: 1
  - id: approver
    ask: "Who approves it?"
    type: person
  - id: approved
    to: approver
    ask: "Do you approve {{ amount }} EUR?"
    type: yes_no
    next:
      - {when: "approved", goto: spend_by}
      - goto: completed
  - id: spend_by
    ask: "{% if approved %}Approved. {% endif %}By when will it be spent?"
    type: date
    not_before: today
record:
  decision: "{{ amount }} EUR: {% if approved %}approved{% else %}not approved{% endif %}"
"""


def chat(tmp_path: Path, lines: list[dict[str, str]]) -> list[dict]:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "budget_approval.yaml").write_text(FLOW)
    exe = Path(sys.executable).with_name("decisionbot")
    command = [str(exe), "--db", str(tmp_path / "t.db"), "--flows", str(flows), "chat", "budget_approval"]
    command += ["-f", "alice", "-p", "bob", "--jsonl"]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    out = subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_naming_oneself_takes_the_yes_branch_and_is_recorded_as_a_yes(tmp_path: Path) -> None:
    said = chat(tmp_path, [{"text": "500"}, {"text": "me"}, {"text": "next friday"}])
    asked = [(m["to_name"], m["step"], m["text"]) for m in said if m.get("kind") == "prompt"]
    assert asked[-1] == ("alice", "spend_by", "Approved. By when will it be spent?")
    done = said[-1]
    assert done["event"] == "completed"
    assert done["record"]["decision"] == "500 EUR: approved"
    assert done["record"]["answers"]["approved"] is True


def test_someone_else_named_is_still_asked_and_their_no_is_a_no(tmp_path: Path) -> None:
    said = chat(tmp_path, [{"text": "500"}, {"text": "@bob"}, {"as": "bob", "text": "no"}])
    asked = [(m["to_name"], m["step"]) for m in said if m.get("kind") == "prompt"]
    assert asked[-1] == ("bob", "approved")
    assert said[-1]["event"] == "completed" and said[-1]["record"]["decision"] == "500 EUR: not approved"
