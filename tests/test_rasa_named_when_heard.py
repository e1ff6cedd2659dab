"""A Rasa run that knew someone only by their sender id (named ``@p10`` when it started) names
them as they name themselves (``decision_user_name``) once they have called the bot at all, not
only once they answer in that run: Bea's answer to Pia's question was refused with "This question
is for p10", though Pia had asked for her open runs as Pia already."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rasa_support import Server, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_someone_elses_answer_names_the_person_asked_as_they_named_themselves(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Sync", "decision_participants": "p10"}
    _, started = server.act("action_decision_start", "bea", "go", slots=slots)
    run = started["events"][0]["value"]
    for text in ("We ship", "Draft the plan", "@p10", "next friday", "done"):
        server.act("action_decision_answer", "bea", text, slots=slots)
    _, refused = server.act("action_decision_answer", "bea", "yes")  # before Pia ever called: all the bot knows
    assert texts(refused) == ["This question is for p10. Your message was noted but not taken as an answer."]
    server.act("action_decision_status", "p10", slots={"decision_user_name": "Pia"})  # her question, shown her
    _, refused = server.act("action_decision_answer", "bea", "yes")
    assert texts(refused) == ["This question is for Pia. Your message was noted but not taken as an answer."]
    _, status = server.act("action_decision_answer", "bea", f"status {run}")
    assert texts(status) == [f"Run #{run} post_meeting 'Sync': active; waiting for Pia to accept 'Draft the plan'."]
