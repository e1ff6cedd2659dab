"""``decisionbot rasa-actions`` says which ledger it writes, as ``serve`` does: started from the Rasa
project's folder with the docs' relative ``--db data/decisions.db``, it created a new, empty
ledger there without a word, and every sender's open run seemed gone ("Nothing is waiting for
your answer"), while cron's ``jobs run-due`` worked on the other one."""

from __future__ import annotations

from pathlib import Path

from tests.rasa_support import RASA_ACTIONS, request, start_server, stop

MEETING = {"decision_flow": "post_meeting", "decision_title": "Sync", "decision_participants": "bob"}


def started_log(tmp_path: Path) -> str:
    running = start_server(tmp_path, RASA_ACTIONS)
    try:
        if running.sql("SELECT count(*) FROM runs") == [(0,)]:
            assert running.post(request("action_decision_start", "alice", "/start", slots=MEETING))[0] == 200
    finally:
        stop(running)
    return running.log.read_text()


def test_a_new_ledger_is_said_to_be_new_and_an_existing_one_counts_its_open_runs(tmp_path: Path) -> None:
    ledger = tmp_path / "r.db"
    assert (
        f"Ledger {ledger}: new, created now (no runs yet). If the runs you expect are in another ledger,"
        " stop, and start again with --db PATH placed before the command (or DECISIONBOT_DB=PATH)."
        in started_log(tmp_path)
    )
    assert f"Ledger {ledger}: 1 run(s) open." in started_log(tmp_path)
