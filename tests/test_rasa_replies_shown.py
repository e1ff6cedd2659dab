"""What a Rasa user is shown of an action's responses, read as Rasa 3.x's own code reads them: each
prompt reaches them as its text (with its buttons), one message, and nothing else. The run, step,
kind and expectation ride in the response's ``decisionbot`` key, which Rasa keeps in the bot
utterance's metadata; before, they were in ``custom``, which Rasa sends as a message of its own
(an extra JSON item on the REST channel, raw JSON on text channels, a post without text on Slack,
the question itself lost on Mattermost and RocketChat)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.rasa_support import Server, running_actions

#: What a channel renders of a bot utterance (rasa/core/channels/channel.py, OutputChannel.send_response).
RENDERED = {"text", "buttons", "quick_replies", "custom", "image", "attachment", "elements"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def rest_channel_messages(responses: list[dict[str, Any]], recipient: str) -> list[dict[str, Any]]:
    """What Rasa 3.x's REST channel hands its client for an action's responses: RemoteAction.
    _utter_responses keeps the non-empty keys; create_bot_utterance puts the keys it knows in the
    BotUttered's data and the others in its metadata, which BotUttered.message() merges back;
    OutputChannel.send_response sends the text (with its buttons), passing the other keys as
    keyword arguments that CollectingOutputChannel ignores, then a non-empty ``custom`` on its own
    through send_custom_json (one more message), then image, attachment and elements."""
    out: list[dict[str, Any]] = []
    for response in responses:
        draft = {k: v for k, v in response.items() if v and k != "response"}
        if draft.get("buttons"):
            out.append({"recipient_id": recipient, "text": draft["text"], "buttons": draft["buttons"]})
        elif draft.get("text"):
            out.extend({"recipient_id": recipient, "text": part} for part in draft["text"].strip().split("\n\n"))
        out.extend(
            {"recipient_id": recipient, key: draft[key]} for key in ("custom", "image", "attachment") if key in draft
        )
        out.extend({"recipient_id": recipient, "text": str(e)} for e in draft.get("elements") or [])
    return out


def shown(responses: list[dict[str, Any]]) -> set[str]:
    """The keys of the responses a channel would render something for."""
    return {key for response in responses for key, value in response.items() if value and key in RENDERED}


def test_a_prompt_reaches_the_rasa_user_as_its_text_only(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly sync"}
    status, body = server.act("action_decision_start", "rv_custom", "/decision_start", slots=slots, message_id="m1")
    assert status == 200
    run_id = body["events"][0]["value"]
    seen = rest_channel_messages(body["responses"], "rv_custom")
    assert seen == [
        {"recipient_id": "rv_custom", "text": f"Started run #{run_id} (post_meeting)."},
        {"recipient_id": "rv_custom", "text": "What was decided in Weekly sync?"},
    ]  # no bare {"custom": {"decisionbot": ...}} message
    assert shown(body["responses"]) == {"text"}
    assert body["responses"][1]["decisionbot"] == {
        "run": run_id,
        "step": "decision",
        "kind": "prompt",
        "expects": {"type": "text", "optional": False},
    }
    _, again = server.act("action_decision_start", "rv_custom", "/decision_start", slots=slots, message_id="m1")
    assert again["responses"] == body["responses"]  # a retried call: the remembered answer, the same shape


def test_a_choice_reaches_the_rasa_user_as_one_message_with_its_buttons(server: Server) -> None:
    slots = {
        "decision_flow": "metric_breach",
        "decision_title": "Checkout conversion dropped",
        "decision_data": {"metric": "conversion", "value": "1.9%", "threshold": "2.5%"},
    }
    _, started = server.act("action_decision_start", "rv_oncall", "/decision_start", slots=slots)
    _, body = server.act("action_decision_answer", "rv_oncall", "me", slots=slots)
    [message] = rest_channel_messages(body["responses"], "rv_oncall")
    assert message["text"] == body["responses"][0]["text"] and message["buttons"] == body["responses"][0]["buttons"]
    assert shown(body["responses"]) == {"text", "buttons"}
    meta = body["responses"][0]["decisionbot"]
    assert (meta["run"], meta["kind"], meta["expects"]["type"]) == (started["events"][0]["value"], "prompt", "choice")
