"""``give A12 @person`` through Rasa (the real rasa-sdk action server in a subprocess, sent the
requests Rasa sends): the new owner's question waits for her next call, as owners' questions do,
and her yes hands the action over. The handover flow is never started from Rasa's slots: its
trigger data would hand any action to anyone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.dates import JAN10
from tests.rasa_support import Server, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_bob_gives_his_action_to_carol_who_accepts_at_her_next_call(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly sync", "decision_participants": "bob, carol"}
    server.act("action_decision_start", "alice", "/decision_start", slots=slots)
    for text in ("We ship in March", "Draft the plan", "@bob", JAN10, "done"):
        server.act("action_decision_answer", "alice", text)
    for who, text in (("bob", "hi"), ("bob", "yes"), ("alice", "hi"), ("alice", "ok")):  # a question comes at a call
        server.act("action_decision_answer", who, text)
    assert server.sql("SELECT id, owner_id FROM actions") == [(1, "rasa:bob")]

    _, given = server.act("action_decision_answer", "bob", "give A1 @carol she runs it now")
    assert texts(given)[0].startswith("Asked carol to take over 'Draft the plan'.")
    _, asked = server.act("action_decision_answer", "carol", "hi")
    assert texts(asked) == [
        f"bob asks you to take over action 'Draft the plan' (due {JAN10}) from 'Weekly sync'. Do you accept?"
    ]
    _, said = server.act("action_decision_answer", "carol", "yes")
    assert f"'Draft the plan' (from 'Weekly sync', due {JAN10}) is yours now." in " ".join(texts(said))
    assert server.sql("SELECT owner_id, owner_name FROM actions") == [("rasa:carol", "carol")]
    assert server.sql("SELECT field, old, new, reason FROM action_changes") == [
        ("owner", "rasa:bob", "rasa:carol", "she runs it now")
    ]


def test_the_handover_flow_is_not_started_from_rasas_slots(server: Server) -> None:
    crafted = {"handover": {"action_id": 1, "by": {"id": "rasa:mallory"}, "to": {"id": "rasa:mallory"}}}
    slots = {"decision_flow": "action_handover", "decision_data": crafted}
    _, body = server.act("action_decision_start", "mallory", "/decision_start", slots=slots)
    assert texts(body) == [
        "Nothing started: an action is handed over with give A12 @person [why], which starts that flow for it."
    ]
    assert server.sql(
        "SELECT count(*) FROM runs WHERE flow_id = 'action_handover' AND facilitator_id = 'rasa:mallory'"
    ) == [(0,)]
    _, missing = server.act("action_decision_start", "mallory", "/decision_start")
    assert "action_handover" not in json.dumps(texts(missing))
