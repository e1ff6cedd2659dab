"""Whole conversations of flows/post_meeting.yaml, turn by turn, against a real SQLite ledger.

Every test drives ``Dispatcher.start`` / ``Dispatcher.handle`` the way a channel does and then
checks what people were told (replies: to whom, what kind, the exact text) and what the ledger
holds (runs, answers, transitions, messages, decisions, actions, reviews, jobs).

The clock is fixed at Thursday 2026-11-26 15:00 UTC (16:00 in Paris, the dispatcher's zone), so
'next friday' is 2026-11-27 and the review default 'in 4 weeks' is 2026-12-24.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dispatch import Dispatcher, TurnResult
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger

REPO = Path(__file__).parents[1]
FLOWS = REPO / "flows"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday
STAMP = "2026-11-26T15:00:00.000Z"  # NOW as the ledger writes it

ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CAROL = Actor("console:carol", "carol")
DAVE = Actor("console:dave", "dave")
CONV = ConversationKey("console", "t1")

DECISION_PROMPT = "What was decided in Weekly sync?"
REVIEW_PROMPT = "When should we review this decision?\n(default: in 4 weeks; say 'ok' to take it)"
DATE_ERROR = "I can't read that as a date. Try 'next Friday', 'in 2 weeks', 'end of month' or 2026-12-31."
NOT_FOR_YOU = "This question is for {}. Your message was noted but not taken as an answer."


# --- helpers (the fixtures ``db`` and ``bot``: tests/conftest.py) --------------------------------


def make_bot(db, flows: Path = FLOWS, clock=lambda: NOW) -> Dispatcher:
    return Dispatcher(db, FlowCatalog(flows, db), PARIS, clock=clock)


def shown(replies) -> list[tuple[str | None, str, str]]:
    """Replies as (addressee name or None for everyone, kind, text)."""
    return [(r.to.name if r.to else None, r.kind, r.text) for r in replies]


def start(bot: Dispatcher, conv: ConversationKey = CONV, title: str = "Weekly sync") -> TurnResult:
    trigger = Trigger(flow="post_meeting", title=title, facilitator=ALICE, participants=[BOB, CAROL])
    return bot.start(trigger, conv)


def turn(bot: Dispatcher, actor: Actor, text: str, conv: ConversationKey = CONV, **kwargs) -> TurnResult | None:
    return bot.handle(Message(conv, actor, text, **kwargs))


def say(bot: Dispatcher, actor: Actor, text: str, conv: ConversationKey = CONV) -> list[tuple[str | None, str, str]]:
    result = turn(bot, actor, text, conv)
    assert result is not None, f"{actor.name}: {text!r} found no open run"
    return shown(result.outcome.replies)


def say_all(bot: Dispatcher, lines: list[tuple[Actor, str]]) -> None:
    for actor, text in lines:
        say(bot, actor, text)


def rows(db, sql: str, *params) -> list[tuple]:
    return db.execute(sql, params).fetchall()


def run_row(db, run_id: int = 1) -> tuple[str, str]:
    return db.execute("SELECT state, status FROM runs WHERE id = ?", [run_id]).fetchone()


def answers(db, run_id: int = 1) -> list[tuple]:
    return rows(
        db,
        "SELECT step, item, field, actor_id, value, kind, revision FROM answers WHERE run_id = ? ORDER BY id",
        run_id,
    )


def transitions(db, run_id: int = 1) -> list[tuple]:
    return rows(db, "SELECT source, target, event, actor_id FROM transitions WHERE run_id = ? ORDER BY id", run_id)


def person(actor: Actor) -> str:
    return json.dumps(actor.to_dict())


def accept_prompt(what: str, due: str) -> str:
    return f"alice assigned you an action from 'Weekly sync': '{what}', due {due}. Do you accept it?"


def action_lines(*actions: tuple[str, str, str]) -> list[tuple[Actor, str]]:
    """alice's answers for some actions (what, owner, due) and 'done'."""
    out = []
    for what, owner, due in actions:
        out += [(ALICE, what), (ALICE, owner), (ALICE, due)]
    return [*out, (ALICE, "done")]


DRAFT = ("Draft plan", "@bob", "next friday")  # due 2026-11-27
VENUE = ("Book venue", "carol", "2026-12-10")


def to_owners(bot: Dispatcher, *actions: tuple[str, str, str]) -> None:
    """Start a run and answer up to the owners' confirmations."""
    start(bot)
    say(bot, ALICE, "We ship in March")
    say_all(bot, action_lines(*(actions or (DRAFT, VENUE))))


# --- 1. the whole flow -----------------------------------------------------------------------


def test_happy_path_records_decision_actions_review_and_transcript(db, bot):
    said: list[tuple[Actor, str]] = []
    out: list[tuple[str | None, str, str]] = []

    def talk(actor: Actor, text: str):
        said.append((actor, text))
        replies = say(bot, actor, text)
        out.extend(replies)
        return replies

    started = start(bot)
    assert started.run_id == 1
    assert (started.outcome.state, started.outcome.status) == ("decision", "active")
    assert shown(started.outcome.replies) == [("alice", "prompt", DECISION_PROMPT)]
    out.extend(shown(started.outcome.replies))

    assert talk(ALICE, "We ship in March") == [("alice", "prompt", "Action 1: What is the action?")]
    assert talk(ALICE, "Draft plan") == [("alice", "prompt", "Action 1: Who owns 'Draft plan'?")]
    assert talk(ALICE, "@bob") == [("alice", "prompt", "Action 1: By when should 'Draft plan' be done?")]
    more = "Action 2: What is the action? (say 'done' when there are no more)"
    assert talk(ALICE, "next friday") == [("alice", "prompt", more)]
    assert talk(ALICE, "Book venue") == [("alice", "prompt", "Action 2: Who owns 'Book venue'?")]
    assert talk(ALICE, "carol") == [("alice", "prompt", "Action 2: By when should 'Book venue' be done?")]
    more = "Action 3: What is the action? (say 'done' when there are no more)"
    assert talk(ALICE, "2026-12-10") == [("alice", "prompt", more)]
    assert talk(ALICE, "done") == [
        ("bob", "prompt", accept_prompt("Draft plan", "2026-11-27")),
        ("carol", "prompt", accept_prompt("Book venue", "2026-12-10")),
    ]
    assert run_row(db) == ("owner_accepts", "active")
    assert talk(BOB, "yes") == []
    assert talk(CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]

    said.append((ALICE, "ok"))
    last = turn(bot, ALICE, "ok")
    assert last is not None
    assert (last.outcome.state, last.outcome.status) == ("completed", "completed")
    assert last.decision_id == 1
    summary = (
        "Decision recorded: Weekly sync\n"
        "Decided: We ship in March\n"
        "  1. Draft plan - bob, due 2026-11-27 (accepted)\n"
        "  2. Book venue - carol, due 2026-12-10 (accepted)\n"
        "Review on 2026-12-24."
    )
    assert shown(last.outcome.replies) == [(None, "summary", summary)]
    out.extend(shown(last.outcome.replies))

    assert rows(db, "SELECT state, status, waiting_on, completed_at FROM runs") == [
        ("completed", "completed", "", STAMP)
    ]
    assert rows(
        db, "SELECT run_id, flow_id, title, text, decided_by, decided_at, review_at, status FROM decisions"
    ) == [(1, "post_meeting", "Weekly sync", "We ship in March", "console:alice", STAMP, "2026-12-24", "open")]
    assert rows(
        db, "SELECT decision_id, item, what, owner_id, owner_name, due, accepted_at, status FROM actions ORDER BY item"
    ) == [
        (1, 1, "Draft plan", "console:bob", "bob", "2026-11-27", STAMP, "open"),
        (1, 2, "Book venue", "console:carol", "carol", "2026-12-10", STAMP, "open"),
    ]
    assert rows(db, "SELECT decision_id, due_at, run_id, held_at, outcome FROM reviews") == [
        (1, "2026-12-24", None, None, None)
    ]
    # the review starts at 09:00 Paris time (08:00 UTC in December); the reminder chain ended
    assert rows(db, "SELECT run_id, kind, due_at, payload, done_at, outcome FROM jobs ORDER BY id") == [
        (1, "remind", "2026-11-26T19:00:00.000Z", "{}", STAMP, "superseded"),
        (
            1,
            "start_flow",
            "2026-12-24T08:00:00.000Z",
            '{"flow": "decision_review", "decision_id": 1, "facilitator": {"id": "console:alice", "name": "alice"},'
            ' "day": "2026-12-24", "tz": "Europe/Paris"}',
            None,
            None,
        ),
    ]
    assert answers(db) == [
        ("decision", None, None, "console:alice", '"We ship in March"', "answer", 1),
        ("actions", 1, "what", "console:alice", '"Draft plan"', "answer", 1),
        ("actions", 1, "owner", "console:alice", person(BOB), "answer", 1),
        ("actions", 1, "due", "console:alice", '"2026-11-27"', "answer", 1),
        ("actions", 2, "what", "console:alice", '"Book venue"', "answer", 1),
        ("actions", 2, "owner", "console:alice", person(CAROL), "answer", 1),
        ("actions", 2, "due", "console:alice", '"2026-12-10"', "answer", 1),
        ("owner_accepts", 1, None, "console:bob", "true", "answer", 1),
        ("owner_accepts", 2, None, "console:carol", "true", "answer", 1),
        ("review_at", None, None, "console:alice", '"2026-12-24"', "default", 1),
    ]
    assert transitions(db) == [
        ("", "decision", "start", "console:alice"),
        ("decision", "actions", "next", "console:alice"),
        ("actions", "owner_accepts", "next", "console:alice"),
        ("owner_accepts", "review_at", "next", "console:carol"),
        ("review_at", "completed", "next", "console:alice"),
    ]

    inbound = rows(db, "SELECT actor_id, actor_name, step, kind, text FROM messages WHERE direction = 'in' ORDER BY id")
    assert [(a, n, t) for a, n, _, _, t in inbound] == [(a.id, a.name, t) for a, t in said]
    assert [(s, k) for _, _, s, k, _ in inbound] == (
        [("decision", "answer")]
        + [("actions", "answer")] * 7
        + [("owner_accepts", "answer")] * 2
        # carol's answer and the review date: step is where the message landed
        + [("review_at", "answer")]
    )
    outbound = rows(
        db, "SELECT actor_name, kind, text, step, private FROM messages WHERE direction = 'out' ORDER BY id"
    )
    assert [(n, k, t) for n, k, t, _, _ in outbound] == out
    assert [(s, p) for *_, s, p in outbound] == (
        [("decision", 0)] + [("actions", 0)] * 7 + [("owner_accepts", 1)] * 2 + [("review_at", 0), (None, 0)]
    )
    assert rows(db, "SELECT count(*) FROM messages WHERE run_id IS NOT 1") == [(0,)]


# --- 2. back ---------------------------------------------------------------------------------


def test_back_inside_the_repeat_reasks_the_previous_field_with_its_current_value(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say(bot, ALICE, "Draft plan")
    assert say(bot, ALICE, "back") == [
        ("alice", "prompt", "Action 1: What is the action?\n(currently: Draft plan; say 'ok' to keep it)")
    ]
    assert say(bot, ALICE, "Draft the plan") == [("alice", "prompt", "Action 1: Who owns 'Draft the plan'?")]
    assert rows(db, "SELECT value, raw, kind, revision FROM answers WHERE step = 'actions' ORDER BY id") == [
        ('"Draft plan"', "Draft plan", "answer", 1),
        ('"Draft the plan"', "Draft the plan", "answer", 2),
    ]
    # back from the first field of a new item reopens the last field of the item before
    say_all(bot, [(ALICE, "@bob"), (ALICE, "next friday")])
    assert say(bot, ALICE, "back") == [
        (
            "alice",
            "prompt",
            "Action 1: By when should 'Draft the plan' be done?\n(currently: 2026-11-27; say 'ok' to keep it)",
        )
    ]
    more = "Action 2: What is the action? (say 'done' when there are no more)"
    assert say(bot, ALICE, "2026-11-30") == [("alice", "prompt", more)]
    assert rows(db, "SELECT value, raw, kind, revision FROM answers WHERE field = 'due' ORDER BY id") == [
        ('"2026-11-27"', "next friday", "answer", 1),
        ('"2026-11-30"', "2026-11-30", "answer", 2),
    ]
    assert run_row(db) == ("actions", "active")


def test_back_from_the_first_action_question_returns_to_the_decision(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    assert say(bot, ALICE, "back") == [
        ("alice", "prompt", DECISION_PROMPT + "\n(currently: We ship in March; say 'ok' to keep it)")
    ]
    assert run_row(db) == ("decision", "active")
    assert transitions(db)[-1] == ("actions", "decision", "back", "console:alice")
    assert say(bot, ALICE, "ok") == [("alice", "prompt", "Action 1: What is the action?")]
    assert answers(db) == [
        ("decision", None, None, "console:alice", '"We ship in March"', "answer", 1),
        ("decision", None, None, "console:alice", '"We ship in March"', "kept", 2),
    ]
    assert run_row(db) == ("actions", "active")


def test_back_out_of_the_list_to_the_decision_loses_no_action(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say_all(bot, [(ALICE, "Draft plan"), (ALICE, "@bob"), (ALICE, "next friday"), (ALICE, "Book venue")])
    for _ in range(5):  # Book venue, the due date, the owner and the task of Action 1, then out
        last = say(bot, ALICE, "back")
    assert last == [("alice", "prompt", DECISION_PROMPT + "\n(currently: We ship in March; say 'ok' to keep it)")]
    listed = "Listed so far:\n  Action 1: Draft plan (owner: bob, due: 2026-11-27)"
    again = "Action 2: What is the action? (say 'done' when there are no more)\n(currently: Book venue; say 'ok' to keep it)"
    assert say(bot, ALICE, "ok") == [("alice", "info", listed), ("alice", "prompt", again)]  # (before: all lost)
    assert say(bot, ALICE, "ok") == [("alice", "prompt", "Action 2: Who owns 'Book venue'?")]
    # 'done' while an item gone back over is asked again keeps it, whole
    say_all(bot, [(ALICE, "back"), (ALICE, "back")])  # to Action 1's due date: Action 2 waits, half given
    say(bot, ALICE, "ok")
    assert say(bot, ALICE, "done")[0][0] == "bob"  # the half-given Action 2 is not an action
    assert rows(db, "SELECT value FROM answers WHERE step = 'actions' AND kind = 'kept' ORDER BY id") == [
        ('"Book venue"',),
        ('"2026-11-27"',),
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # back inside the repeat: 'ok' becomes an action called "ok"
        (
            [(ALICE, "Draft plan"), (ALICE, "back")],
            [("alice", "prompt", "Action 1: Who owns 'Draft plan'?")],
        ),
        # back from the review into the last action: 'ok' is read as a date and refused
        (
            [*action_lines(DRAFT), (BOB, "yes"), (ALICE, "back")],
            [("alice", "prompt", "Action 2: What is the action? (say 'done' when there are no more)")],
        ),
    ],
    ids=["within-repeat", "from-review"],
)
def test_ok_keeps_the_current_value_after_back_into_a_repeat(db, bot, lines, expected):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say_all(bot, lines)
    assert "say 'ok' to keep it" in rows(db, "SELECT text FROM messages ORDER BY id DESC LIMIT 1")[0][0]
    assert say(bot, ALICE, "ok") == expected
    assert rows(db, "SELECT kind FROM answers ORDER BY id DESC LIMIT 1") == [("kept",)]


def test_back_from_review_reopens_the_last_action_and_stores_a_revision(db, bot):
    to_owners(bot)
    say(bot, BOB, "yes")
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]

    prompt = "Action 2: By when should 'Book venue' be done?\n(currently: 2026-12-10; say 'ok' to keep it)"
    listed = "Listed so far:\n  Action 1: Draft plan (owner: bob, due: 2026-11-27)\n  Action 2: Book venue (owner: carol, due: 2026-12-10)"
    assert say(bot, ALICE, "back") == [("alice", "info", listed), ("alice", "prompt", prompt)]
    assert run_row(db) == ("actions", "active")
    assert transitions(db)[-2:] == [
        ("review_at", "owner_accepts", "back", "console:alice"),
        ("owner_accepts", "actions", "back", "console:alice"),
    ]
    more = "Action 3: What is the action? (say 'done' when there are no more)"
    assert say(bot, ALICE, "2026-12-17") == [("alice", "prompt", more)]
    # going back over the owners' step asks them again: what they accepted may have changed
    assert say(bot, ALICE, "done") == [
        ("bob", "prompt", accept_prompt("Draft plan", "2026-11-27")),
        ("carol", "prompt", accept_prompt("Book venue", "2026-12-17")),
    ]
    assert say(bot, BOB, "yes") == []
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert rows(
        db, "SELECT actor_id, value, kind, revision FROM answers WHERE item = 2 AND field = 'due' ORDER BY id"
    ) == [
        ("console:alice", '"2026-12-10"', "answer", 1),
        ("console:alice", '"2026-12-17"', "answer", 2),
    ]
    say(bot, ALICE, "ok")
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT item, due FROM actions ORDER BY item") == [(1, "2026-11-27"), (2, "2026-12-17")]


def test_back_at_the_first_question_and_back_by_an_owner_are_refused(db, bot):
    start(bot)
    assert say(bot, ALICE, "back") == [
        ("alice", "error", "This is the first question; there is nothing to go back to.")
    ]
    assert run_row(db) == ("decision", "active")
    say(bot, ALICE, "We ship in March")
    say_all(bot, action_lines(DRAFT))
    assert say(bot, BOB, "back") == [("bob", "error", "Only the facilitator (alice) can go back a step.")]
    assert run_row(db) == ("owner_accepts", "active")
    assert answers(db)[-1][0] == "actions"


def test_an_answer_moves_the_reminder_chain_in_one_write_of_jobs(db, bot):
    """Every answer restarts the chain (and drops a reminder put off for quiet hours): one statement
    on jobs, on the benchmarked path of every turn."""
    start(bot)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    turn(bot, ALICE, "We move the launch to March")
    db.conn.set_trace_callback(None)
    assert [s.split(" SET ")[0] for s in statements if " jobs " in s] == ["UPDATE jobs"]
    assert rows(db, "SELECT kind, due_at, done_at FROM jobs") == [("remind", "2026-11-26T19:00:00.000Z", None)]
