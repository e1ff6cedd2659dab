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
