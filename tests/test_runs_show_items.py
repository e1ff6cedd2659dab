"""``runs show`` names each answer of a step asked of every participant as theirs: it named them by an
unrelated repeat step's item label ("the answer to 'Hire?' (Task 1)", "(Task 2)")."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

PANEL = """id: panel
title: Panel
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - {id: votes, to: participants, ask: "Hire?", type: choice, options: [{value: hire, label: Hire}, {value: nohire, label: No hire}]}
  - id: tasks
    type: repeat
    item_label: Task
    fields: [{id: what, ask: "Task?", type: text}]
"""


def test_each_participants_answer_is_named_as_a_participants_not_by_another_lists_label(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "panel.yaml").write_text(PANEL)
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(flows)]
    said = "/as bob\nhire\n/as carol\nno hire\n/as alice\nShip the report\ndone\n"
    assert (
        CliRunner().invoke(main, [*base, "chat", "panel", "-f", "alice", "-p", "bob,carol"], input=said).exit_code == 0
    )
    shown = CliRunner().invoke(main, [*base, "runs", "show", "1"]).output
    assert "the answer to 'Hire?' (participant 1), r1 answer: Hire (hire)" in shown
    assert "the answer to 'Hire?' (participant 2), r1 answer: No hire (nohire)" in shown
    assert "the task of Task 1, r1 answer: Ship the report" in shown  # the repeat's own items: its label
