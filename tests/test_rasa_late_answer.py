"""A question another's answer closed (``complete_when: any``) before its person called through
Rasa: it is not shown to them then (it was, and their answer refused), and their late "yes" is
told who answered first and with what, not that nothing is waiting."""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_fan_out_terms import VENDOR
from tests.rasa_support import RASA_ACTIONS, start_server, stop, texts

CLOSED = "That question closed: carol answered first (no). Nothing waits on you in this run now."


def test_a_late_yes_is_told_who_answered_first(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "vendor.yaml").write_text(VENDOR.replace("WHEN", "any"))
    server = start_server(tmp_path, RASA_ACTIONS, flows=flows)
    try:
        slots = {"decision_flow": "vendor", "decision_title": "Acme", "decision_participants": ["bob", "carol"]}
        server.act("action_decision_start", "alice", "/decision_start", slots=slots)
        for text in ("Acme", "5000", "@bob", "@carol", "done"):
            status, _ = server.act("action_decision_answer", "alice", text, slots=slots)
            assert status == 200
        _, shown = server.act("action_decision_answer", "carol", "hi")  # her question, shown at her next call
        assert texts(shown) == ["Do you approve Acme for 5000?"]
        server.act("action_decision_answer", "carol", "no")  # the step closes on her answer
        # bob calls after it closed: his question, never shown, is not shown now (his yes would be
        # refused); typed anyway, his yes is told why
        _, late = server.act("action_decision_answer", "bob", "yes")
        assert texts(late) == [CLOSED]
        assert server.sql("SELECT actor_id, value FROM answers WHERE step = 'approve'") == [("rasa:carol", "false")]
        withdrawn = "SELECT delivered_at, failed_at IS NOT NULL, last_error FROM messages WHERE actor_id = 'rasa:bob'"
        delivered, failed, why = server.sql(withdrawn)[0]
        assert delivered is None and failed and why.startswith("withdrawn: no longer asked")
    finally:
        stop(server)
