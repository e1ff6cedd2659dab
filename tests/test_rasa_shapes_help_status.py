"""Three Rasa calls that left the assistant's developer or its user short: one person given as
``decision_participants`` without a list was refused with words about spaces; ``help`` to a
choice or yes/no question came without the question's buttons; and ``action_decision_status``
handed over a queued question without setting ``decision_run`` to its run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rasa_support import Server, running_actions, texts, yes_no

EXPECTED = (
    'decision_participants must be a list of sender ids or of {"id", "name"} objects, or a'
    " comma-separated string of ids"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_participants_not_a_list_are_refused_with_what_is_expected(server: Server) -> None:
    before = server.sql("SELECT count(*) FROM runs")
    one = {"decision_flow": "post_meeting", "decision_participants": {"id": "bob"}}
    assert server.act("action_decision_start", "ivy", "start", slots=one) == (
        400,
        {
            "error": f'Bad action call: {EXPECTED}, not an object: one person is [{{"id": "bob"}}].',
            "action_name": "action_decision_start",
        },
    )
    nameless = {"decision_flow": "post_meeting", "decision_participants": [{"name": "Bob"}]}
    status, body = server.act("action_decision_start", "ivy", "start", slots=nameless)
    assert (status, body["error"]) == (400, "Bad action call: an entry of decision_participants has no 'id'.")
    numbered = {"decision_flow": "post_meeting", "decision_participants": 5}
    status, body = server.act("action_decision_start", "ivy", "start", slots=numbered)
    assert (status, body["error"]) == (400, f"Bad action call: {EXPECTED}, not a number.")
    assert server.sql("SELECT count(*) FROM runs") == before


def test_help_to_a_choice_or_yes_no_question_keeps_its_buttons(server: Server) -> None:
    status, body = server.act("action_decision_start", "hana", "start", slots={"decision_flow": "metric_breach"})
    run = body["events"][0]["value"]
    server.act("action_decision_answer", "hana", "me")
    status, body = server.act("action_decision_answer", "hana", "help")
    assert status == 200 and body["responses"][0]["text"].startswith("What do we do about it?")
    assert body["responses"][0]["buttons"] == [
        {"title": "Act now", "payload": f"#{run} act"},
        {"title": "Watch it", "payload": f"#{run} watch"},
        {"title": "Ignore it", "payload": f"#{run} ignore"},
    ]
    server.act("action_decision_answer", "hana", "act")
    server.act("action_decision_answer", "hana", "Roll back")  # the plan
    for said in ("Fix it", "@gus", "next friday", "done"):
        server.act("action_decision_answer", "hana", said)
    server.act("action_decision_answer", "gus", "help")  # hands over 'Do you accept it?' first
    status, body = server.act("action_decision_answer", "gus", "help")
    assert "Expected: yes or no" in body["responses"][-1]["text"], texts(body)
    assert body["responses"][-1]["buttons"] == yes_no(run)


def test_status_handing_over_a_question_sets_decision_run_to_its_run(server: Server) -> None:
    status, body = server.act("action_decision_start", "lin", "start", slots={"decision_flow": "post_meeting"})
    run = body["events"][0]["value"]
    for said in ("We ship", "Draft plan", "@max", "next friday", "done"):
        server.act("action_decision_answer", "lin", said)
    status, body = server.act("action_decision_status", "max", "status")
    assert status == 200 and body["responses"][-1]["buttons"] == yes_no(run)  # the question, handed over
    assert body["events"] == [{"event": "slot", "timestamp": None, "name": "decision_run", "value": run}]
    status, body = server.act("action_decision_status", "max", "status")  # nothing handed over: unchanged
    assert (status, body["events"]) == (200, [])
