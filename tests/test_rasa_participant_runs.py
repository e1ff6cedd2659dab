"""A Rasa sender who takes part in a run they did not start (a participant, an owner who has
answered) asked ``action_decision_status`` or typed ``list`` and read that they had no open runs,
while Slack's ``list`` in the run's channel and the terminal's ``list`` show it them, and
``status N`` through Rasa told them where it stands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rasa_support import Server, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_participants_and_owners_see_the_runs_they_take_part_in(server: Server) -> None:
    meeting = {"decision_flow": "post_meeting", "decision_title": "Weekly sync", "decision_participants": "bob, carol"}
    status, body = server.act("action_decision_start", "alice", "start", slots=meeting)
    run = body["events"][0]["value"]
    for said in ("We ship", "Draft plan", "@bob", "next friday", "done"):
        server.act("action_decision_answer", "alice", said)
    server.act("action_decision_answer", "bob", "yes")  # shown the question
    server.act("action_decision_answer", "bob", "yes")  # accepted: nothing waits on bob now
    stands = f"Run #{run} post_meeting 'Weekly sync': active; waiting for alice to answer"
    listed = f"#{run} post_meeting: Weekly sync (active; waiting for alice to answer"
    for who in ("carol", "bob"):  # a participant, an owner who answered
        status, body = server.act("action_decision_status", who, "status")
        assert status == 200 and texts(body)[0].startswith(f"Your open decision runs:\n  {stands}"), (who, body)
        status, body = server.act("action_decision_answer", who, "list")
        assert texts(body) and texts(body)[0].startswith(f"Your open decision runs:\n  {listed}"), (who, body)
    status, body = server.act("action_decision_status", "dora", "status")  # not in it: nothing to see
    assert texts(body) == ["You have no open decision runs."]
    status, body = server.act("action_decision_answer", "dora", "list")
    assert texts(body)[0].startswith("You have no open decision runs."), body
    status, body = server.act("action_decision_answer", "alice", "list")  # the facilitator, whom it waits for
    assert texts(body)[0].startswith(f"Your open decision runs:\n  {listed.replace('alice', 'you')}"), body
