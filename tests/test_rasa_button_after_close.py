"""A question's button pressed through Rasa after its question closed: the payload (``#7 yes``)
names the run, and the sender is told what became of that question (the run cancelled, another
answered first, their answer taken already), as a typed "yes" is, not that run 7 "does not wait
on" them, which reads as though the bot never asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.engine.test_fan_out_terms import VENDOR
from tests.rasa_support import RASA_ACTIONS, ROOT, start_server, stop, texts

MEETING = {"decision_flow": "post_meeting", "decision_title": "Offsite", "decision_participants": "lee"}


def _owner_asked(server, sender: str = "kim") -> int:  # type: ignore[no-untyped-def]
    """kim's meeting names lee the owner of an action; lee is shown 'Do you accept it?'. Its run."""
    _, started = server.act("action_decision_start", sender, "start", slots=MEETING)
    for text in ("We go to Lisbon", "Book the venue", "@lee", "next friday", "done"):
        assert server.act("action_decision_answer", sender, text, slots=MEETING)[0] == 200
    _, shown = server.act("action_decision_status", "lee")
    assert "Do you accept it?" in texts(shown)[-1]
    return int(started["events"][0]["value"])


def test_a_button_pressed_after_the_operator_cancelled_the_run_says_so(tmp_path: Path) -> None:
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        run = _owner_asked(server)
        cancel = [sys.executable, "-m", "bot", "--db", str(server.db), "--flows", str(ROOT / "flows")]
        subprocess.run([*cancel, "runs", "cancel", str(run)], check=True, capture_output=True, cwd=tmp_path)
        _, pressed = server.act("action_decision_answer", "lee", f"#{run} yes")
        assert texts(pressed) == [
            f"Run #{run} ('Offsite') was cancelled before you answered: nothing waits for your answer now."
        ]
        assert server.sql("SELECT count(*) FROM answers WHERE actor_id = 'rasa:lee'") == [(0,)]
    finally:
        stop(server)


def test_a_button_pressed_twice_says_the_answer_is_taken(tmp_path: Path) -> None:
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        run = _owner_asked(server)
        assert server.act("action_decision_answer", "lee", f"#{run} yes")[0] == 200
        _, again = server.act("action_decision_answer", "lee", f"#{run} yes")  # the old button, a new message
        assert texts(again) == [f"Run #{run} ('Offsite') has your answer already: nothing waits for your answer now."]
        assert server.sql("SELECT count(*) FROM answers WHERE actor_id = 'rasa:lee'") == [(1,)]
    finally:
        stop(server)


def test_a_button_pressed_after_another_answered_first_names_them(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "vendor.yaml").write_text(VENDOR.replace("WHEN", "any"))
    server = start_server(tmp_path, RASA_ACTIONS, flows=flows)
    try:
        slots = {"decision_flow": "vendor", "decision_title": "Acme", "decision_participants": ["bob", "carol"]}
        _, started = server.act("action_decision_start", "alice", "start", slots=slots)
        run = started["events"][0]["value"]
        for text in ("Acme", "5000", "@bob", "@carol", "done"):
            server.act("action_decision_answer", "alice", text, slots=slots)
        for person in ("bob", "carol"):  # each is shown the question, with its buttons
            assert texts(server.act("action_decision_status", person)[1])[-1] == "Do you approve Acme for 5000?"
        server.act("action_decision_answer", "carol", f"#{run} no")  # the step closes on her answer
        _, late = server.act("action_decision_answer", "bob", f"#{run} yes")
        assert texts(late) == ["That question closed: carol answered first (no). Nothing waits on you in this run now."]
    finally:
        stop(server)


def test_news_waiting_for_the_sender_comes_before_nothing_is_waiting(tmp_path: Path) -> None:
    """kim's run, cancelled by the operator while she was away: her next words read the news first,
    then that nothing waits for her answer (it came after, as though the cancel were newer)."""
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        run = _owner_asked(server)
        cancel = [sys.executable, "-m", "bot", "--db", str(server.db), "--flows", str(ROOT / "flows")]
        subprocess.run([*cancel, "runs", "cancel", str(run)], check=True, capture_output=True, cwd=tmp_path)
        _, told = server.act("action_decision_answer", "kim", "hi")
        assert texts(told) == [
            f"Run #{run} ('Offsite') cancelled by the bot's operator. The transcript is kept.",
            "Nothing is waiting for your answer. Ask for your open decisions, or start one.",
        ]
    finally:
        stop(server)
