"""Two runs ask bob the same question through Rasa (he owns an action from each meeting): a typed
"yes" named neither and went to the newer run. It now gets the questions waiting and how to
answer one (``#N yes``), which answers run N; with one question waiting a "yes" still answers it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from bot.store import slack as slack_store
from bot.store import transcript
from tests.rasa_support import Server, running_actions, texts

OWNER_ANSWERS = "SELECT run_id, raw FROM answers WHERE step = 'owner_accepts' ORDER BY id"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def ask_bob(server: Server, facilitator: str, title: str, what: str) -> int:
    """``facilitator``'s post_meeting ``title`` up to bob's "Do you accept" for ``what``; its run."""
    slots = {"decision_flow": "post_meeting", "decision_title": title, "decision_participants": ["bob"]}
    _, started = server.act("action_decision_start", facilitator, "/decision_start", slots=slots)
    for text in ("We ship", what, "@bob", "2099-01-15", "done"):
        status, _ = server.act("action_decision_answer", facilitator, text, slots=slots)
        assert status == 200
    return int(started["events"][0]["value"])


def test_a_typed_yes_with_two_questions_waiting_is_asked_which_then_answers_by_number(server: Server) -> None:
    weekly = ask_bob(server, "alice", "Weekly", "Draft the plan")
    retro = ask_bob(server, "carol", "Retro", "Book the room")
    _, shown = server.act("action_decision_answer", "bob", "hi")  # his two questions, not seen yet
    assert len(texts(shown)) == 2
    _, which = server.act("action_decision_answer", "bob", "yes")
    told = texts(which)
    assert len(told) == 1 and told[0].startswith("Two or more questions wait on you"), told
    assert f"• #{weekly} Weekly: alice assigned you an action from 'Weekly': 'Draft the plan'" in told[0]
    assert f"• #{retro} Retro: carol assigned you an action from 'Retro': 'Book the room'" in told[0]
    assert f"Answer one with its buttons, or by typing its number before your answer (#{weekly} yes)." in told[0]
    assert server.sql(OWNER_ANSWERS) == []

    _, accepted = server.act("action_decision_answer", "bob", f"#{weekly} yes")
    assert texts(accepted) == [
        f"Run #{weekly} post_meeting 'Weekly': active; waiting for alice to answer \"When should we review this decision?\"."
    ]
    assert server.sql(OWNER_ANSWERS) == [(weekly, "yes")]
    said = "SELECT text FROM messages WHERE run_id = ? AND direction = 'in' ORDER BY id DESC LIMIT 1"
    assert server.sql(said, weekly) == [(f"#{weekly} yes",)]  # the transcript keeps what was typed
    [(asked_id,)] = server.sql(  # the question he answered: what a channel shows of an answer given meanwhile
        "SELECT id FROM messages WHERE run_id = ? AND step = 'owner_accepts' AND direction = 'out'", weekly
    )
    conn = sqlite3.connect(server.db)
    try:
        assert transcript.answer_after(conn, weekly, "owner_accepts", "rasa:bob", asked_id) == ("bob", "yes")
        assert slack_store.late_value(conn, weekly, "owner_accepts", "rasa:bob", asked_id) is True
    finally:
        conn.close()
    asked = "SELECT DISTINCT conversation, private FROM messages WHERE run_id = ? AND actor_id = 'rasa:bob' AND direction = 'out'"
    assert server.sql(asked, weekly) == [("rasa:bob", 1)]  # said in his conversation, not recorded in alice's
    _, second = server.act("action_decision_answer", "bob", "yes")  # one question waits now
    assert texts(second) == [
        f"Run #{retro} post_meeting 'Retro': active; waiting for carol to answer \"When should we review this decision?\"."
    ]
    assert server.sql(OWNER_ANSWERS) == [(weekly, "yes"), (retro, "yes")]


def test_with_two_questions_waiting_thanks_is_answered_as_such(server: Server) -> None:
    """Not an answer: before, it got the list of the questions waiting, as a typed yes does."""
    ask_bob(server, "alice", "Weekly", "Draft the plan")
    ask_bob(server, "carol", "Retro", "Book the room")
    server.act("action_decision_answer", "bob", "hi")  # his questions, shown
    _, thanked = server.act("action_decision_answer", "bob", "thanks!")
    told = texts(thanked)
    assert told and told[0].startswith("You're welcome"), told
    assert not any(t.startswith("Two or more questions wait on you") for t in told), told


def test_a_yes_button_answers_its_own_question_not_the_run_open_in_the_conversation(server: Server) -> None:
    """Ivy runs a meeting of her own and owns an action from Hank's. The Yes button under Hank's
    question sent a bare ``yes``, which her own open run took as what was decided there, while
    Hank's question went on waiting. A button's payload names its run (``#N yes``): the press
    answers the question it was shown under."""
    hanks = ask(server, "hank", "Hank's sync", "Ship it", "ivy")
    own = {"decision_flow": "post_meeting", "decision_title": "Ivy's retro"}
    _, started = server.act("action_decision_start", "ivy", "/decision_start", slots=own)
    ivys = int(started["events"][0]["value"])
    question = next(r for r in started["responses"] if r.get("buttons"))
    assert question["decisionbot"]["run"] == hanks
    yes = next(b for b in question["buttons"] if b["title"] == "Yes")
    _, pressed = server.act("action_decision_answer", "ivy", yes["payload"])
    assert texts(pressed) == [
        f"Run #{hanks} post_meeting 'Hank's sync': active; waiting for hank to answer \"When should we review this decision?\"."
    ]
    assert server.sql("SELECT run_id, raw FROM answers WHERE actor_id = 'rasa:ivy'") == [(hanks, "yes")]
    assert server.sql("SELECT state FROM runs WHERE id = ?", ivys) == [("decision",)]


def ask(server: Server, facilitator: str, title: str, what: str, owner: str) -> int:
    """``facilitator``'s post_meeting ``title`` up to ``owner``'s "Do you accept" for ``what``."""
    slots = {"decision_flow": "post_meeting", "decision_title": title, "decision_participants": [owner]}
    _, started = server.act("action_decision_start", facilitator, "/decision_start", slots=slots)
    for text in ("We ship", what, f"@{owner}", "2099-01-15", "done"):
        server.act("action_decision_answer", facilitator, text, slots=slots)
    return int(started["events"][0]["value"])
