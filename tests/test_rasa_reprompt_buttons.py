"""A nonsense answer through Rasa gets the short re-prompt with the question's buttons again.
The re-prompt ("Please answer yes or no.") had none, leaving the sender to scroll back to the
question's buttons (gone, where a chat widget shows them as quick replies of the latest message)
or to type what they had offered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rasa_support import Server, running_actions, texts, yes_no


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_a_choice_re_prompt_carries_the_options_buttons(server: Server) -> None:
    data = {"metric": "p99", "value": 3, "threshold": 2}
    _, started = server.act(
        "action_decision_start", "rp_mb", "go", slots={"decision_flow": "metric_breach", "decision_data": data}
    )
    run = started["events"][0]["value"]
    _, asked = server.act("action_decision_answer", "rp_mb", "me")
    options = asked["responses"][-1]["buttons"]
    assert [b["payload"] for b in options] == [f"#{run} act", f"#{run} watch", f"#{run} ignore"]
    _, again = server.act("action_decision_answer", "rp_mb", "banana")
    assert texts(again) == ["Please pick one of: Act now, Watch it, Ignore it (a number or a word)."]
    assert again["responses"][0]["buttons"] == options
    _, taken = server.act("action_decision_answer", "rp_mb", f"#{run} watch")  # a press of the re-prompt's
    assert texts(taken) == ["What do we watch for, and what would make us act?"]


def test_a_yes_no_re_prompt_carries_yes_and_no(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Sync", "decision_participants": "rp_bob"}
    _, started = server.act("action_decision_start", "rp_ann", "go", slots=slots)
    run = started["events"][0]["value"]
    for text in ("Ship it", "Plan", "@rp_bob", "next friday", "done"):
        server.act("action_decision_answer", "rp_ann", text, slots=slots)
    _, shown = server.act("action_decision_status", "rp_bob")
    assert shown["responses"][-1]["buttons"] == yes_no(run)
    _, again = server.act("action_decision_answer", "rp_bob", "maybe")
    assert texts(again)[0].startswith("Please answer yes or no.")
    assert again["responses"][0]["buttons"] == yes_no(run)


def test_an_error_that_is_no_re_prompt_carries_no_buttons(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Other", "decision_participants": "rp_cat"}
    server.act("action_decision_start", "rp_dan", "go", slots=slots)
    for text in ("Ship it", "Plan", "@rp_cat", "next friday", "done"):
        server.act("action_decision_answer", "rp_dan", text, slots=slots)
    _, told = server.act("action_decision_answer", "rp_dan", "yes")  # rp_cat's question, not his
    assert texts(told) == ["This question is for rp_cat. Your message was noted but not taken as an answer."]
    assert told["responses"][0]["buttons"] == []
