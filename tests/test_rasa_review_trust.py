"""Any Rasa sender could start the review of any decision (``decision_flow: decision_review`` with
``decision_data: {"decision_id": N}``), lead it, and answer its "Did it hold?": mallory, who had
nothing to do with alice's decision, dropped it, and alice was not asked. On Slack, Teams and in
chat nobody starts a review by hand (it starts on its date, led by the decision's facilitator; the
terminal's operator holds the ledger); a decision is its facilitator's to change (``due``,
``drop``). Through Rasa, a decision named in ``decision_data`` is now the sender's only when they
led it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dates import FEB1, JAN15
from tests.rasa_support import Server, running_actions, texts

REFUSED = (
    "Nothing started: only a decision's facilitator may start a run about it (its review before its"
    " date), and you led no decision #{id}."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def decide(server: Server, lead: str, owner: str, other: str, title: str) -> int:
    slots = {"decision_flow": "post_meeting", "decision_title": title, "decision_participants": f"{owner}, {other}"}
    server.act("action_decision_start", lead, "start", slots=slots)
    for said in ("We launch in May", "Book the venue", f"@{owner}", JAN15, "done"):
        server.act("action_decision_answer", lead, said)
    server.act("action_decision_answer", owner, "hi")
    server.act("action_decision_answer", owner, "yes")
    server.act("action_decision_answer", lead, "hi")
    server.act("action_decision_answer", lead, FEB1)
    [(decision,)] = server.sql("SELECT max(id) FROM decisions WHERE title = ?", title)
    return int(decision)


def test_only_the_decisions_facilitator_starts_its_review(server: Server) -> None:
    decision = decide(server, "alice", "bob", "carol", "Launch")
    runs_before = server.sql("SELECT count(*) FROM runs")
    for who in ("mallory", "bob", "carol"):  # a stranger, its action's owner, a participant
        for flow in ("decision_review", "post_meeting"):  # any flow: the decision's text and people come along
            start = {"decision_flow": flow, "decision_data": {"decision_id": decision}}
            status, body = server.act("action_decision_start", who, "start", slots=start)
            assert (status, texts(body), body["events"]) == (200, [REFUSED.format(id=decision)], []), (who, flow)
    for unknown in (decision + 100, "abc"):  # no such decision: the same words, nothing told of others'
        start = {"decision_flow": "decision_review", "decision_data": {"decision_id": unknown}}
        status, body = server.act("action_decision_start", "mallory", "start", slots=start)
        assert (status, texts(body)) == (200, [REFUSED.format(id=unknown)])
    assert server.sql("SELECT count(*) FROM runs") == runs_before
    assert server.sql("SELECT status FROM decisions WHERE id = ?", decision) == [("open",)]

    review = {"decision_flow": "decision_review", "decision_data": {"decision_id": decision}}
    status, body = server.act("action_decision_start", "alice", "start", slots=review)
    run = body["events"][0]["value"]
    assert texts(body)[0] == f"Started run #{run} (decision_review)."
    assert server.sql("SELECT facilitator_id FROM runs WHERE id = ?", run) == [("rasa:alice",)]
    server.act("action_decision_answer", "bob", "hi")
    server.act("action_decision_answer", "bob", "yes")  # his action: done
    status, body = server.act("action_decision_answer", "mallory", f"#{run} drop")  # not hers to answer
    assert "Did it hold?" not in "".join(texts(body)) and server.sql(
        "SELECT status FROM decisions WHERE id = ?", decision
    ) == [("open",)]
    server.act("action_decision_answer", "alice", "hi")  # her question, shown
    server.act("action_decision_answer", "alice", "keep")
    server.act("action_decision_answer", "alice", "ok")  # reviewed again in 4 weeks
    assert server.sql("SELECT status FROM decisions WHERE id = ?", decision) == [("kept",)]


def test_a_second_review_under_way_and_data_of_no_decision_are_said_not_failed(server: Server) -> None:
    """A second review of a decision answered HTTP 500 with a traceback (Rasa then tells the sender
    nothing); ``decision_id: true`` started the review of decision 1; a string ``decision_data`` was ignored."""
    decision = decide(server, "dora", "ed", "flo", "Pricing")
    review = {"decision_flow": "decision_review", "decision_data": {"decision_id": decision}}
    status, body = server.act("action_decision_start", "dora", "start", slots=review)
    run = body["events"][0]["value"]
    runs_before = server.sql("SELECT count(*) FROM runs")
    status, body = server.act("action_decision_start", "dora", "review again", slots=review)
    assert status == 200 and body["events"] == []
    [said] = texts(body)
    assert f"A review of decision {decision} is under way (run #{run})" in said
    for data, refused in (
        ({"decision_id": True}, "decision_id must be a decision's number, like 12, not True."),
        ({"decision_id": 1.5}, "decision_id must be a decision's number, like 12, not 1.5."),
        ("not an object", "decision_data must be an object, like {\"decision_id\": 12}, not 'not an object'."),
    ):
        slots = {"decision_flow": "decision_review", "decision_data": data}
        status, body = server.act("action_decision_start", "dora", "start", slots=slots)
        assert (status, texts(body), body["events"]) == (200, [f"Nothing started: {refused}"], []), data
    assert server.sql("SELECT count(*) FROM runs") == runs_before
