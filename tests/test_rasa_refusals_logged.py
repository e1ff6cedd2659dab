"""Action calls refused at the action server's edge are in its log: Rasa's own log only says the
action failed and to "check the logs of your action server", which said nothing of a 401 (the
token rotated on one side only) nor of a 400 (a slot of the wrong shape). One line a minute per
status, naming who called and why, never the token."""

from __future__ import annotations

import time
from pathlib import Path

from tests.rasa_support import RASA_ACTIONS, request, start_server, stop

OLD, NEW = "rasa-token-old-1", "rasa-token-new-2"


def test_a_rotated_token_and_a_bad_slot_are_one_log_line_each(tmp_path: Path) -> None:
    running = start_server(tmp_path, RASA_ACTIONS, DECISIONBOT_RASA_TOKEN=NEW)
    try:
        call = request("action_decision_start", "tia", "/decision_start", slots={"decision_flow": "post_meeting"})
        for _ in range(3):  # Rasa still sends the old token
            assert running.post(call, query=f"?token={OLD}")[0] == 401
        bad = request(
            "action_decision_start",
            "tia",
            "/x",
            slots={"decision_flow": "post_meeting", "decision_participants": {"id": "bob"}},
        )
        assert running.post(bad, query=f"?token={NEW}")[0] == 400
        assert running.post(call, query=f"?token={NEW}")[0] == 200
        deadline = time.monotonic() + 10
        while "refused: 400" not in running.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = running.log.read_text()
    finally:
        stop(running)
    lines = [line for line in log.splitlines() if "Rasa action call from" in line]
    assert len(lines) == 2, log
    assert lines[0].endswith(
        "Rasa action call from 127.0.0.1 refused: 401 Missing or wrong token. Set action_endpoint's token"
        " in Rasa's endpoints.yml to the value of DECISIONBOT_RASA_TOKEN."
    )
    assert lines[1].endswith(
        "Rasa action call from 127.0.0.1 refused: 400 Bad action call: decision_participants must be a list"
        ' of sender ids or of {"id", "name"} objects, or a comma-separated string of ids, not an object:'
        ' one person is [{"id": "bob"}].'
    )
    assert OLD not in log and NEW not in log
