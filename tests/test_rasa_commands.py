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
    assert texts(started)[0] == f"Started run {second} (post_meeting)."
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
    assert texts(started)[0] == f"Started run {second} (post_meeting)."
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
    assert texts(again) == ["This run is cancelled; nothing more to answer. Start a new one to decide again."]
    assert server.sql("SELECT count(*) FROM messages WHERE run_id = ? AND kind = 'error'", run) == [(1,)]
