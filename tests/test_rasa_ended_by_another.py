"""Through Rasa, runs that end in someone else's conversation: an approver whose yes ends the run
(``complete_when: any``) was answered nothing at all (``responses: []``), since the summary goes
to the facilitator's conversation; now they read where the run stands. And a person whose question
was withdrawn unsent (the run cancelled before they next called) was told on every later message
that the run "was cancelled before you answered" a question they never saw; now nothing of it."""

from __future__ import annotations

from pathlib import Path

from tests.rasa_support import RASA_ACTIONS, ROOT, start_server, stop, texts

APPROVE = """\
id: approve
title: Quick approval
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - {id: what, to: facilitator, ask: "What needs approval?", type: text}
  - id: approvers
    to: facilitator
    type: repeat
    item_label: Approver
    min_items: 1
    fields: [{id: who, ask: "Who approves?", type: person}]
  - {id: ok, to: each approvers.who, ask: "Do you approve '{{ what }}'?", type: yes_no, complete_when: any}
record: {decision: "{{ what }}"}
on_complete: [{post_summary: conversation}]
"""


def test_the_answer_that_ends_a_run_of_another_conversation_is_told_where_it_stands(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "approve.yaml").write_text(APPROVE)
    server = start_server(tmp_path, RASA_ACTIONS, flows=flows)
    try:
        slots = {"decision_flow": "approve", "decision_title": "Budget", "decision_participants": ["lee", "max"]}
        server.act("action_decision_start", "kim", "/decision_start", slots=slots)
        for text in ("Buy 4 laptops", "@lee", "@max", "done"):
            server.act("action_decision_answer", "kim", text, slots=slots)
        _, shown = server.act("action_decision_answer", "lee", "hi")
        assert texts(shown) == ["Do you approve 'Buy 4 laptops'?"]
        _, ended = server.act("action_decision_answer", "lee", "yes")
        assert texts(ended) and texts(ended)[0].startswith("Run #1 approve 'Budget': completed ")
        assert server.sql("SELECT status FROM runs WHERE id = 1") == [("completed",)]
    finally:
        stop(server)


def test_a_question_withdrawn_unseen_is_never_told_as_ended_before_they_answered(tmp_path: Path) -> None:
    server = start_server(tmp_path, RASA_ACTIONS, flows=ROOT / "flows")
    try:
        slots = {"decision_flow": "post_meeting", "decision_title": "Offsite", "decision_participants": ["fay"]}
        server.act("action_decision_start", "eve", "/decision_start", slots=slots)
        for text in ("We go", "Book it", "@fay", "next friday", "done", "cancel", "yes"):
            server.act("action_decision_answer", "eve", text, slots=slots)
        assert server.sql("SELECT status FROM runs WHERE id = 1") == [("cancelled",)]
        for text in ("hello", "good morning"):
            _, said = server.act("action_decision_answer", "fay", text)
            assert texts(said) == ["Nothing is waiting for your answer. Ask for your open decisions, or start one."]
        unsent = "SELECT delivered_at, last_error FROM messages WHERE actor_id = 'rasa:fay' AND direction = 'out'"
        assert server.sql(unsent) == [(None, "superseded: the run was cancelled before it was sent")]
    finally:
        stop(server)
