"""A Rasa person reads what is queued for them only when they next call. What was queued twice
meanwhile was handed over twice: a question and its reminder back to back, each with its buttons;
an owner digest a day, each listing the same actions. Now the reminder alone, and the newest
digest alone; the others are kept, given up unsent, saying why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.rasa_support import RASA_ACTIONS, ROOT, Server, start_server, stop, texts

ACCEPT = "quinn assigned you an action from 'Timer test': 'Fix it', due 2027-01-29. Do you accept it?"


def jobs_run_due(server: Server, at: str) -> None:
    exe = Path(sys.executable).with_name("decisionbot")
    done = subprocess.run(
        [str(exe), "--db", str(server.db), "--flows", str(ROOT / "flows"), "jobs", "run-due", "--now", at],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_question_and_its_reminder_then_a_weeks_digests_are_each_handed_over_once(tmp_path: Path) -> None:
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        slots = {"decision_flow": "post_meeting", "decision_title": "Timer test", "decision_participants": ["rob"]}
        server.act("action_decision_start", "quinn", "/decision_start", slots=slots)
        for text in ("We decide", "Fix it", "@rob", "2027-01-29", "done"):
            server.act("action_decision_answer", "quinn", text, slots=slots)
        (asked,) = server.sql("SELECT created_at FROM messages WHERE actor_id = 'rasa:rob'")[0]
        jobs_run_due(server, asked[:10] + "T23:59:00Z")  # its reminder, queued while rob has not called
        _, shown = server.act("action_decision_answer", "rob", "hi")
        assert texts(shown) == [f"Reminder: {ACCEPT}"]
        given_up = "SELECT text, last_error FROM messages WHERE actor_id = 'rasa:rob' AND failed_at IS NOT NULL"
        assert server.sql(given_up) == [
            (ACCEPT, "withdrawn: asked again (a reminder) before its person called; the later one was shown")
        ]
        server.act("action_decision_answer", "rob", "yes")
        for text in ("hi", "2027-01-30"):  # the review date's question, shown at quinn's next call, then answered
            server.act("action_decision_answer", "quinn", text, slots=slots)
        assert server.sql("SELECT status FROM runs WHERE id = 1") == [("completed",)]
        for day in range(7, 12):  # a working week of digests; rob does not call
            jobs_run_due(server, f"2026-12-{day:02d}T10:00:00Z")
        digests = "SELECT count(*) FROM messages WHERE actor_id = 'rasa:rob' AND json_extract(payload, '$.digest')"
        assert server.sql(digests) == [(5,)]
        _, listed = server.act("action_decision_answer", "rob", "hello")
        assert [t for t in texts(listed) if "your open actions" in t] == [texts(listed)[0]]
        assert server.sql(f"{digests} AND delivered_at IS NOT NULL") == [(1,)]
        superseded = f"{digests} AND last_error = 'superseded: a newer digest was queued before it was sent'"
        assert server.sql(superseded) == [(4,)]
    finally:
        stop(server)
