"""``done A12`` said to action_decision_answer while a run waits on the speaker: a command first,
not the run's answer; against the real rasa-sdk action server in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rasa_support import Server, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def decide(server: Server, facilitator: str, owner: str, title: str, decision: str, action: str) -> None:
    """A post_meeting run through Rasa to its end: one action, which its owner accepts, and a review date."""
    slots = {"decision_flow": "post_meeting", "decision_title": title, "decision_participants": owner}
    server.act("action_decision_start", facilitator, "/decision_start", slots=slots)
    for text in (decision, action, f"@{owner}", "2099-01-15", "done"):
        server.act("action_decision_answer", facilitator, text, slots=slots)
    server.act("action_decision_answer", owner, "hi")
    server.act("action_decision_answer", owner, "yes")
    server.act("action_decision_answer", facilitator, "hello", slots=slots)
    server.act("action_decision_answer", facilitator, "2099-02-01", slots=slots)


def test_done_said_while_a_question_waits_is_a_command_not_its_answer(server: Server) -> None:
    """Alice leads a decision with Bob's action; she starts another meeting, and while its first
    question waits she says 'done A1' for Bob (the facilitator may, in his place): the action is
    done and the new meeting's question still waits (before, 'done N' became its decision)."""
    decide(server, "alice", "bob", "Weekly sync", "We ship in March", "Draft the plan")
    [(action_id,)] = server.sql("SELECT id FROM actions WHERE status = 'open'")

    retro = {"decision_flow": "post_meeting", "decision_title": "Retro", "decision_participants": "bob"}
    _, started = server.act("action_decision_start", "alice", "/decision_start", slots=retro)
    assert texts(started)[-1] == "What was decided in Retro?"
    _, said = server.act("action_decision_answer", "alice", f"done A{action_id}", slots=retro)
    decided = server.sql("SELECT raw FROM answers WHERE step = 'decision' ORDER BY id DESC LIMIT 1")
    status = server.sql("SELECT status, done_confirmed_by FROM actions WHERE id = ?", action_id)
    assert (texts(said), decided, status) == (
        ["alice reported bob's action done: 'Draft the plan' (from 'Weekly sync')."],  # the decision's notice, once
        [("We ship in March",)],
        [("done", "rasa:alice")],
    )


def test_a_review_started_through_rasa_says_whom_it_waits_for(server: Server) -> None:
    """``decision_flow: decision_review`` with the decision in ``decision_data``: its first question
    is for the action's owner, so the starter read "Started run #N (decision_review)." and nothing
    of where it stands (docs/rasa.md: the start responds with the first prompt)."""
    decide(server, "erin", "dan", "Launch", "We launch in May", "Book the venue")
    [(decision_id,)] = server.sql("SELECT id FROM decisions WHERE title = 'Launch'")

    review = {"decision_flow": "decision_review", "decision_data": {"decision_id": decision_id}}
    status, started = server.act("action_decision_start", "erin", "/decision_start", slots=review)
    [(run_id,)] = server.sql("SELECT max(id) FROM runs")
    assert status == 200 and texts(started) == [
        f"Started run #{run_id} (decision_review).",
        f"Run #{run_id} decision_review 'Launch': active; waiting for dan to say whether 'Book the venue' was done.",
    ]
