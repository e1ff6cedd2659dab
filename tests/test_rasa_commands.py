"""Commands typed to the Rasa assistant while a question waits on the person: those no question
takes as its answer (``start FLOW``, a bare ``actions`` or ``list``, ``status N``) stay commands, as
in Slack's direct messages and Teams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.rasa_support import Server, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_actions_and_start_are_commands_while_a_question_waits(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly sync"}
    _, first = server.act("action_decision_start", "ivy", "/decision_start", slots=slots)
    assert texts(first)[-1] == "What was decided in Weekly sync?"
    _, listed = server.act("action_decision_answer", "ivy", "actions")
    assert texts(listed)[0] == "You have no open actions."
    _, started = server.act("action_decision_answer", "ivy", "start post_meeting Retro")
    [(second,)] = server.sql(
        "SELECT id FROM runs WHERE facilitator_id = 'rasa:ivy' AND id > ?", first["events"][0]["value"]
    )
    assert texts(started)[0] == f"Started run #{second} (post_meeting): 'Retro'."
    assert server.sql("SELECT count(*) FROM answers WHERE actor_id = 'rasa:ivy'") == [(0,)]
    _, answered = server.act("action_decision_answer", "ivy", "actions first, then the plan")  # not a bare word
    assert server.sql("SELECT value FROM answers WHERE actor_id = 'rasa:ivy'") == [('"actions first, then the plan"',)]
    assert texts(answered)[0] == "Action 1: What is the action?"


def slots_set(answer: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["name"], e["value"]) for e in answer["events"] if e["event"] == "slot"]


def test_a_start_typed_while_a_question_waits_sets_decision_run_to_the_new_run(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Planning"}
    _, first = server.act("action_decision_start", "jo", "/decision_start", slots=slots)
    [(run,)] = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:jo'")
    assert slots_set(first) == [("decision_run", run)]
    _, started = server.act("action_decision_answer", "jo", "start post_meeting Retro")  # the question waits
    [(second,)] = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:jo' AND id > ?", run)
    assert texts(started)[0] == f"Started run #{second} (post_meeting): 'Retro'."
    assert slots_set(started) == [("decision_run", second)]
    _, listed = server.act("action_decision_answer", "jo", "actions")  # another command: the slot stays
    assert slots_set(listed) == []


def test_a_refused_cancel_is_said_once(server: Server) -> None:
    """Cancelling a run that has ended: the refusal was said twice (the command's answer, then the
    turn's copy of it from the outbox); it is said once and stays in the run's transcript."""
    slots = {"decision_flow": "post_meeting", "decision_title": "Offsite"}
    server.act("action_decision_start", "kai", "/decision_start", slots=slots)
    [(run,)] = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:kai'")
    server.act("action_decision_answer", "kai", f"cancel {run}")
    _, again = server.act("action_decision_answer", "kai", f"cancel {run}")
    assert texts(again) == [
        f"Run #{run} ('Offsite') was cancelled; nothing more to answer. Start a new one to decide again."
    ]
    assert server.sql("SELECT count(*) FROM messages WHERE run_id = ? AND kind = 'error'", run) == [(1,)]


def test_a_cancel_typed_in_its_own_conversation_is_said_once_and_empties_decision_run(server: Server) -> None:
    """``cancel N`` of the run in the sender's own conversation: the line "Run cancelled by ..." came
    twice (the command's answer, then the run's notice to the conversation), and ``decision_run``
    kept naming the cancelled run. It is said once, as in the terminal, Slack and Teams, and the
    slot is emptied."""
    slots = {"decision_flow": "post_meeting", "decision_title": "Standup"}
    _, started = server.act("action_decision_start", "lee", "/decision_start", slots=slots)
    run = started["events"][0]["value"]
    _, cancelled = server.act("action_decision_answer", "lee", f"cancel {run}", slots={**slots, "decision_run": run})
    assert texts(cancelled) == [f"Run #{run} ('Standup') cancelled by lee. The transcript is kept."]
    assert slots_set(cancelled) == [("decision_run", None)]
    assert server.sql("SELECT status FROM runs WHERE id = ?", run) == [("cancelled",)]


def decide_with_owner(server: Server, facilitator: str, owner: str, title: str) -> int:
    """``facilitator``'s post_meeting ``title``, recorded with one action owned (and accepted) by
    ``owner``: the action's id."""
    slots = {"decision_flow": "post_meeting", "decision_title": title, "decision_participants": [owner]}
    server.act("action_decision_start", facilitator, "/decision_start", slots=slots)
    for text in ("We ship", "Draft the plan", f"@{owner}", "2099-01-15", "done"):
        server.act("action_decision_answer", facilitator, text, slots=slots)
    server.act("action_decision_answer", owner, "hi")  # shown the question
    server.act("action_decision_answer", owner, "yes")
    server.act("action_decision_answer", facilitator, "hi")  # shown the review date's question
    server.act("action_decision_answer", facilitator, "2099-02-01")
    [(action,)] = server.sql(
        "SELECT a.id FROM actions a JOIN decisions d ON d.id = a.decision_id WHERE d.title = ?", title
    )
    return int(action)


def test_a_change_typed_in_the_decisions_conversation_is_said_once(server: Server) -> None:
    """The facilitator moving an action's due date from their own conversation (the decision's):
    they read the change twice, the command's answer and the notice to the decision's
    conversation. The notice is the one answer there, as in Slack's thread and Teams."""
    action = decide_with_owner(server, "mo", "nia", "Roadmap")
    _, moved = server.act("action_decision_answer", "mo", f"due A{action} 2099-01-20")
    assert texts(moved) == [
        "mo moved the due date of nia's action 'Draft the plan' (from 'Roadmap') to 2099-01-20 (was 2099-01-15)."
    ]
    _, told = server.act("action_decision_answer", "nia", f"done A{action}")  # the owner, elsewhere
    assert texts(told) == ["Marked done: 'Draft the plan' (from 'Roadmap')."]


def test_a_command_typed_before_a_question_was_shown_is_carried_out(server: Server) -> None:
    """A question queued for the sender (their owner's question) was handed over instead of
    carrying out the command they typed (``done A12``): the command was dropped without a word.
    Such a command is carried out, and the question shown after its answer."""
    action = decide_with_owner(server, "oli", "pat", "Hiring")
    slots = {"decision_flow": "post_meeting", "decision_title": "Budget", "decision_participants": ["pat"]}
    server.act("action_decision_start", "oli", "/decision_start", slots=slots)
    for text in ("We cut travel", "Book the room", "@pat", "2099-03-01", "done"):
        server.act("action_decision_answer", "oli", text, slots=slots)
    _, done = server.act("action_decision_answer", "pat", f"done A{action}")  # his new question unseen
    assert texts(done) == [
        "Marked done: 'Draft the plan' (from 'Hiring').",
        "oli assigned you an action from 'Budget': 'Book the room', due 2099-03-01. Do you accept it?",
    ]
    assert server.sql("SELECT status FROM actions WHERE id = ?", action) == [("done",)]
