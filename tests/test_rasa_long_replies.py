"""A long run summary (a decision of many actions with long descriptions) or a long list
(``actions``) reached Rasa as one response: Rasa's connectors send each response as one message
and none splits it, and Twilio (SMS, WhatsApp) refuses a body over 1,600 characters, Facebook
Messenger over 2,000 and Telegram over 4,096, so the person read nothing. Like Slack and Teams,
such a reply now comes as several responses, cut at line breaks, each within 1,600 characters,
the question's buttons on the last part."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dates import JAN15
from tests.rasa_support import Server, running_actions, texts

ROOM = 1600  # Twilio's limit, the tightest of Rasa's connectors


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def decide(server: Server, lead: str, owner: str, items: int) -> tuple[int, list[str]]:
    meeting = {"decision_flow": "post_meeting", "decision_title": "Planning", "decision_participants": owner}
    _, body = server.act("action_decision_start", lead, "start", slots=meeting)
    run = body["events"][0]["value"]
    server.act("action_decision_answer", lead, "We ship the new onboarding in three stages " + "and check it " * 60)
    for i in range(items):
        item = f"Item {i + 1}: " + "rewrite the onboarding emails for the enterprise tier " * 3
        for said in (item, f"@{owner}", JAN15):
            server.act("action_decision_answer", lead, said)
    server.act("action_decision_answer", lead, "done")
    for _ in range(items + 1):  # the first call hands the question over; each yes asks the next
        server.act("action_decision_answer", owner, "yes")
    server.act("action_decision_answer", lead, "ok")  # shown the review question
    _, body = server.act("action_decision_answer", lead, "ok")  # the review date: the summary
    return run, texts(body)


def test_a_long_summary_comes_in_parts_that_each_fit(server: Server) -> None:
    run, said = decide(server, "lena", "omar", 8)
    assert server.sql("SELECT status FROM runs WHERE id = ?", run) == [("completed",)]
    assert len(said) > 1 and all(len(part) <= ROOM for part in said), [len(p) for p in said]
    whole = "\n".join(said)
    assert whole.startswith("Decision recorded: Planning\nDecided: We ship the new onboarding")
    for i in range(8):  # nothing lost, in order
        assert f"{i + 1}. Item {i + 1}: rewrite" in whole
    assert whole.index("8. Item 8") > whole.index("1. Item 1")


def test_a_long_list_of_actions_comes_in_parts_that_each_fit(server: Server) -> None:
    decide(server, "lena", "omar", 8)  # two decisions: 16 open actions for omar
    status, body = server.act("action_my_actions", "omar", "actions")
    said = texts(body)
    assert status == 200 and len(said) > 1 and all(len(part) <= ROOM for part in said), [len(p) for p in said]
    whole = "\n".join(said)
    assert whole.startswith("omar, your open actions (16):") and "When one is done, tell me" in whole


def test_a_question_quoting_a_long_answer_stays_one_response_that_fits(server: Server) -> None:
    """A question keeps its buttons, so it is not cut in parts: as on Slack and Teams, the middle
    of what it quotes goes, never the question."""
    meeting = {"decision_flow": "post_meeting", "decision_title": "Vendors", "decision_participants": "pia"}
    _, body = server.act("action_decision_start", "lena", "start", slots=meeting)
    run = body["events"][0]["value"]
    plan = "Compare the three vendors on price " + "and on support hours " * 100 + "then pick one"
    for said in ("We change vendors", plan, "@pia", JAN15, "done"):
        server.act("action_decision_answer", "lena", said)
    status, body = server.act("action_decision_answer", "pia", "hello")  # hands her question over
    (asked,) = body["responses"]
    assert status == 200 and len(asked["text"]) <= ROOM, len(asked["text"])
    assert asked["text"].startswith("lena assigned you an action from 'Vendors': 'Compare the three vendors")
    assert " … " in asked["text"] and asked["text"].endswith("then pick one', due " + JAN15 + ". Do you accept it?")
    assert [b["payload"] for b in asked["buttons"]] == [f"#{run} yes", f"#{run} no"]
