"""'back' goes to the facilitator's answer before, over the answers of others: a vote of the
participants, a question to a person named earlier. Before, a participants' step was taken for the
facilitator's: each 'back' asked the step after it again (its answers kept, it completed at once),
and with a named approver after it, sent the approver another direct message each time, the
facilitator's answer before never reached. Those gone over are asked again on the way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

FLOW = """id: backvote
title: Back over a vote
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - id: topic
    ask: "What do we vote on?"
    type: text
  - id: who
    ask: "Who approves?"
    type: person
  - id: vote
    to: participants
    ask: "Do you agree?"
    type: yes_no
  - id: approved
    to: who
    ask: "Do you approve?"
    type: yes_no
  - id: note
    ask: "Any note?"
    type: text
"""


def test_back_from_after_a_vote_and_an_approval_reaches_the_facilitators_answer(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "backvote.yaml").write_text(FLOW)
    said = ["Budget", "@carol", "/as bob", "yes", "/as carol", "no", "yes", "/as alice"]  # at "Any note?"
    said += ["back", "back", "Budget 2", "ok", "/as bob", "no", "/as carol", "yes", "no", "/as alice", "fine"]
    db = tmp_path / "t.db"
    args = ["--db", str(db), "--flows", str(flows), "chat", "backvote", "-f", "alice", "-p", "bob,carol"]
    result = CliRunner().invoke(main, args, input="\n".join(said) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    back_at_note = out.split("alice> back\n", 1)[1]
    assert back_at_note.startswith("bot -> alice: Who approves?\n    (currently: carol;")  # (before: "Any note?")
    assert "alice> back\nbot -> alice: What do we vote on?\n    (currently: Budget;" in out
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT step, actor_id, value FROM answers ORDER BY id").fetchall()
    last = {step: (actor, value) for step, actor, value in rows}  # each step's latest answer
    assert last["topic"] == ("console:alice", '"Budget 2"')
    assert last["approved"] == ("console:carol", "false")  # asked again, and answered anew
    votes = [(a, v) for s, a, v in rows if s == "vote"]
    assert votes == [
        ("console:bob", "true"),
        ("console:carol", "false"),
        ("console:bob", "false"),
        ("console:carol", "true"),
    ]
    assert conn.execute("SELECT status FROM runs").fetchall() == [("completed",)]


LIST_FIRST = """id: rep_first
title: Repeat first
steps:
  - id: actions
    type: repeat
    item_label: Action
    min_items: 1
    fields:
      - {id: what, ask: "What is the action?", type: text}
      - {id: owner, ask: "Who owns it?", type: person}
  - id: note
    ask: "Any note?"
    type: text
"""


def chat(tmp_path: Path, flow: str, said: list[str], *people: str) -> tuple[str, sqlite3.Connection]:
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "f.yaml").write_text(flow.replace("id: rep_first", "id: f").replace("id: backvote", "id: f"))
    db = tmp_path / "t.db"
    args = ["--db", str(db), "--flows", str(flows), "chat", "f", "-f", "alice", *people]
    result = CliRunner().invoke(main, args, input="\n".join(said) + "\n")
    return result.output, sqlite3.connect(db)


def test_back_at_a_first_list_first_question_changes_nothing(tmp_path: Path) -> None:
    """Back to Action 1's task, then once more (nothing before the list): the items it had moved
    back into the run stayed, and the next answer was added as Action 3."""
    said = ["A", "@bob", "B", "@carol", "back", "back", "back", "back", "back", "C", "ok", "done", "fine"]
    out, conn = chat(tmp_path, LIST_FIRST, said, "-p", "bob,carol")
    after = out.split("This is the first question", 1)[1]
    assert "Action 3" not in after and "Action 1: Who owns it?" in after, out
    what = conn.execute("SELECT value FROM answers WHERE field = 'what' ORDER BY id").fetchall()
    assert what[-1] == ('"C"',)  # Action 1's task, changed (before: Action 3's)
    assert conn.execute("SELECT status FROM runs").fetchall() == [("completed",)]


def test_back_over_a_participants_step_of_a_run_with_none_is_the_facilitators_own(tmp_path: Path) -> None:
    """With no participants the vote asks the facilitator: hers to go back to, not hopped over."""
    out, _ = chat(tmp_path, FLOW, ["Budget", "@alice", "yes", "back"])  # (alice named herself: her yes is taken)
    assert out.split("alice> back\n", 1)[1].startswith("bot -> alice: Do you agree?"), out
