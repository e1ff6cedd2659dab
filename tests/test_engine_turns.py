"""Whole conversations of flows/post_meeting.yaml, turn by turn, against a real SQLite ledger.

Every test drives ``Dispatcher.start`` / ``Dispatcher.handle`` the way a channel does and then
checks what people were told (replies: to whom, what kind, the exact text) and what the ledger
holds (runs, answers, transitions, messages, decisions, actions, reviews, jobs).

The clock is fixed at Thursday 2026-11-26 15:00 UTC (16:00 in Paris, the dispatcher's zone), so
'next friday' is 2026-11-27 and the review default 'in 4 weeks' is 2026-12-24.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dispatch import Dispatcher, TurnResult
from bot.engine.reader import version_of
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import open_db

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


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "t.db")
    yield database
    database.conn.close()


def make_bot(db, flows: Path = FLOWS, clock=lambda: NOW) -> Dispatcher:
    return Dispatcher(db, FlowCatalog(flows, db), PARIS, clock=clock)


@pytest.fixture
def bot(db) -> Dispatcher:
    return make_bot(db)


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
        (1, "start_flow", "2026-12-24T08:00:00.000Z", '{"flow": "decision_review", "decision_id": 1}', None, None),
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
    assert say(bot, ALICE, "back") == [("alice", "prompt", prompt)]
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


# --- 3. skip ---------------------------------------------------------------------------------


def test_skip_on_a_required_step_is_refused_and_changes_nothing(db, bot):
    start(bot)
    before = rows(db, "SELECT state, status, context, waiting_on FROM runs")
    assert say(bot, ALICE, "skip") == [
        ("alice", "error", "This question can't be skipped. Say 'help' to see what is expected.")
    ]
    assert rows(db, "SELECT state, status, context, waiting_on FROM runs") == before
    assert answers(db) == []
    assert transitions(db) == [("", "decision", "start", "console:alice")]
    assert rows(db, "SELECT step, kind, text FROM messages WHERE direction = 'in'") == [("decision", "command", "skip")]
    # the question is still open: the next answer counts
    assert say(bot, ALICE, "We ship in March") == [("alice", "prompt", "Action 1: What is the action?")]


# --- 4. cancel -------------------------------------------------------------------------------


def test_cancel_needs_the_facilitator_and_a_confirmation(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")

    assert say(bot, BOB, "cancel") == [("bob", "error", "Only the facilitator (alice) can cancel the run.")]
    confirm = "Cancel this decision run? Nothing will be recorded as decided. (yes/no)"
    assert say(bot, ALICE, "cancel") == [("alice", "prompt", confirm)]
    assert say(bot, ALICE, "no") == [
        ("alice", "info", "OK, not cancelled. Let's carry on."),
        ("alice", "prompt", "Action 1: What is the action?"),
    ]
    assert run_row(db) == ("actions", "active")
    # 'no' was the confirmation, not an answer to the open question
    assert [a[0] for a in answers(db)] == ["decision"]
    assert say(bot, ALICE, "Draft plan") == [("alice", "prompt", "Action 1: Who owns 'Draft plan'?")]

    assert say(bot, ALICE, "cancel") == [("alice", "prompt", confirm)]
    assert say(bot, ALICE, "yes") == [(None, "summary", "Run cancelled by alice. The transcript is kept.")]
    assert rows(db, "SELECT state, status, waiting_on, completed_at FROM runs") == [
        ("cancelled", "cancelled", "", STAMP)
    ]
    assert transitions(db)[-1] == ("actions", "cancelled", "cancel", "console:alice")
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]
    assert rows(db, "SELECT count(*) FROM jobs WHERE done_at IS NULL") == [(0,)]

    # the conversation has no open run any more; addressed by id, the run says it is over
    assert turn(bot, ALICE, "hello") is None
    closed = bot.handle(Message(CONV, ALICE, "hello"), run_id=1)
    assert closed is not None
    assert shown(closed.outcome.replies) == [
        ("alice", "error", "This run is cancelled; nothing more to answer. Start a new one to decide again.")
    ]
    assert rows(db, "SELECT kind FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") == [("closed",)]


# --- 5. corrections --------------------------------------------------------------------------


def test_correcting_an_owner_during_the_actions_step_asks_the_new_owner(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say_all(bot, action_lines(DRAFT, VENUE)[:-1])  # Action 3 is being asked

    assert say(bot, ALICE, "change owner of action 2 to @dave") == [
        ("alice", "info", "Changed owner of Action 2: carol -> dave.")
    ]
    assert answers(db)[-1] == ("actions", 2, "owner", "console:alice", person(DAVE), "correction", 2)
    assert rows(db, "SELECT raw FROM answers WHERE kind = 'correction'") == [("@dave",)]
    assert run_row(db) == ("actions", "active")

    assert say(bot, ALICE, "done") == [
        ("bob", "prompt", accept_prompt("Draft plan", "2026-11-27")),
        ("dave", "prompt", accept_prompt("Book venue", "2026-12-10")),
    ]
    assert say(bot, CAROL, "yes") == [("carol", "error", NOT_FOR_YOU.format("bob, dave"))]
    say(bot, BOB, "yes")
    assert say(bot, DAVE, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, owner_id, owner_name, accepted_at FROM actions ORDER BY item") == [
        (1, "console:bob", "bob", STAMP),
        (2, "console:dave", "dave", STAMP),
    ]


def test_an_owner_confirms_again_when_their_actions_due_date_changes(db, bot):
    to_owners(bot)  # bob and carol are asked to accept
    say(bot, BOB, "yes")  # accepted as it was: due 2026-11-27
    assert say(bot, ALICE, "change the due date of action 1 to 2026-12-20") == [
        ("alice", "info", "Changed due of Action 1: 2026-11-27 -> 2026-12-20."),
        (None, "info", "Action 1 ('Draft plan') changed; its owner will be asked to confirm it again."),
        ("bob", "prompt", accept_prompt("Draft plan", "2026-12-20")),
    ]
    # carol's confirmation was still open: the new terms are what she is asked about
    assert say(bot, ALICE, "change the due date of action 2 to 2026-12-24")[2] == (
        "carol",
        "prompt",
        accept_prompt("Book venue", "2026-12-24"),
    )
    assert say(bot, CAROL, "yes") == []  # the run waits for bob's new yes: his first was for another date
    assert say(bot, BOB, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, due, accepted_at FROM actions ORDER BY item") == [
        (1, "2026-12-20", STAMP),
        (2, "2026-12-24", STAMP),
    ]


def test_correcting_the_decision_changes_the_recorded_decision(db, bot):
    to_owners(bot, DRAFT)
    assert say(bot, ALICE, "change decision to We ship in April") == [
        ("alice", "info", "Changed decision: We ship in March -> We ship in April.")
    ]
    assert rows(db, "SELECT value, kind, revision FROM answers WHERE step = 'decision' ORDER BY id") == [
        ('"We ship in March"', "answer", 1),
        ('"We ship in April"', "correction", 2),
    ]
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    assert rows(db, "SELECT text FROM decisions") == [("We ship in April",)]


def test_corrections_by_others_and_of_unknown_answers_are_refused(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say(bot, ALICE, "Draft plan")

    replies = say(bot, BOB, "change decision to We never ship")
    assert [(to, kind) for to, kind, _ in replies] == [("bob", "error")]
    assert replies[0][2].startswith("Only the facilitator or ")
    assert replies[0][2].endswith(", who gave it, can change 'decision'.")

    assert say(bot, ALICE, "change nonsense to 3") == [
        ("alice", "error", "I can't find 'nonsense' to change. Answers so far: decision, actions.")
    ]
    assert rows(db, "SELECT count(*) FROM answers WHERE kind = 'correction'") == [(0,)]
    assert rows(db, "SELECT actor_id, kind FROM messages WHERE direction = 'in' AND text LIKE 'change %'") == [
        ("console:bob", "command"),
        ("console:alice", "command"),
    ]
    # nothing moved: the owner question of action 1 is still open
    assert say(bot, ALICE, "@bob") == [("alice", "prompt", "Action 1: By when should 'Draft plan' be done?")]


def test_a_new_owner_named_after_the_owners_step_still_has_to_confirm(db, bot):
    to_owners(bot)
    say_all(bot, [(BOB, "yes"), (CAROL, "yes")])
    assert say(bot, ALICE, "change owner of action 2 to @dave") == [
        ("alice", "info", "Changed owner of Action 2: carol -> dave."),
        (None, "info", "Action 2 ('Book venue') has a new owner, who will be asked to confirm it."),
        ("dave", "prompt", accept_prompt("Book venue", "2026-12-10")),
    ]
    # the review date is the last step, but the run waits for dave before recording anything
    assert "summary" not in [kind for _, kind, _ in say(bot, ALICE, "ok")]
    assert run_row(db) == ("completed", "active")
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:dave ",)]
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]
    assert [kind for _, kind, _ in say(bot, DAVE, "yes")] == ["summary"]
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT item, owner_id, accepted_at FROM actions ORDER BY item") == [
        (1, "console:bob", STAMP),
        (2, "console:dave", STAMP),
    ]


def test_refused_correction_names_the_answerer_by_name(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    assert say(bot, BOB, "change decision to We never ship") == [
        ("bob", "error", "Only the facilitator or alice, who gave it, can change 'decision'.")
    ]


# --- 6. invalid answers ----------------------------------------------------------------------


def test_a_bad_date_gets_the_short_reprompt(db, bot):
    start(bot)
    say_all(bot, [(ALICE, "We ship in March"), (ALICE, "Draft plan"), (ALICE, "@bob")])
    assert say(bot, ALICE, "nonsense date") == [("alice", "error", DATE_ERROR)]
    assert rows(db, "SELECT step, kind FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") == [
        ("actions", "invalid")
    ]
    assert rows(db, "SELECT count(*) FROM answers WHERE field = 'due'") == [(0,)]
    more = "Action 2: What is the action? (say 'done' when there are no more)"
    assert say(bot, ALICE, "next friday") == [("alice", "prompt", more)]


def test_three_bad_answers_by_an_owner_escalate_to_the_facilitator(db, bot):
    to_owners(bot)
    assert say(bot, BOB, "maybe") == [("bob", "error", "Please answer yes or no.")]
    assert say(bot, BOB, "maybe") == [("bob", "error", "Please answer yes or no.")]
    # worded for alice: the owner's own question ("alice assigned you ...") would say she owns it
    handed = "does bob take the action 'Draft plan' (due 2026-11-27)?"
    escalated = "bob could not answer this one, so it comes to you: " + handed
    assert say(bot, BOB, "maybe") == [
        ("bob", "info", "Thanks, bob. I've handed this question to alice."),
        ("alice", "prompt", escalated),
    ]
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:alice console:carol ",)]
    # the escalated prompt is posted in the conversation, not privately
    assert rows(db, "SELECT private FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 1") == [(0,)]
    assert say(bot, BOB, "yes") == [("bob", "error", NOT_FOR_YOU.format("alice, carol"))]

    assert say(bot, ALICE, "yes") == []
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert rows(db, "SELECT item, actor_id, value FROM answers WHERE step = 'owner_accepts' ORDER BY id") == [
        (1, "console:alice", "true"),
        (2, "console:carol", "true"),
    ]
    assert rows(db, "SELECT kind FROM messages WHERE direction = 'in' AND actor_id = 'console:bob'") == [
        ("invalid",),
        ("invalid",),
        ("invalid",),
        ("refused",),
    ]


# --- 7. several owners -----------------------------------------------------------------------

MINUTES = ("Send minutes", "bob", "in 2 weeks")  # due 2026-12-10


def test_owners_answer_in_any_order_one_question_each_at_a_time(db, bot):
    to_owners(bot, DRAFT, VENUE, MINUTES)
    # bob's second action waits until he has answered the first
    outbox = rows(db, "SELECT actor_name, text FROM messages WHERE direction = 'out' AND step = 'owner_accepts'")
    assert outbox == [
        ("bob", accept_prompt("Draft plan", "2026-11-27")),
        ("carol", accept_prompt("Book venue", "2026-12-10")),
    ]
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:bob console:carol ",)]

    assert say(bot, BOB, "yes") == [("bob", "prompt", accept_prompt("Send minutes", "2026-12-10"))]
    assert run_row(db) == ("owner_accepts", "active")
    assert say(bot, CAROL, "yes") == []
    assert run_row(db) == ("owner_accepts", "active")
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:bob ",)]
    assert say(bot, BOB, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert run_row(db) == ("review_at", "active")
    assert rows(db, "SELECT item, actor_id, value FROM answers WHERE step = 'owner_accepts' ORDER BY id") == [
        (1, "console:bob", "true"),
        (2, "console:carol", "true"),
        (3, "console:bob", "true"),
    ]


def test_a_declined_action_is_reassigned_by_the_facilitator(db, bot):
    to_owners(bot)
    assert say(bot, CAROL, "yes") == []
    assert say(bot, BOB, "no") == [
        ("bob", "info", "Noted. I'll ask alice to reassign it."),
        ("alice", "prompt", "bob declined Action 1 ('Draft plan'). Who should own it instead?"),
    ]
    assert run_row(db) == ("owner_accepts", "active")
    assert say(bot, ALICE, "carol") == [("carol", "prompt", accept_prompt("Draft plan", "2026-11-27"))]
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert answers(db)[-4:] == [
        ("owner_accepts", 2, None, "console:carol", "true", "answer", 1),
        ("owner_accepts", 1, None, "console:bob", "false", "answer", 1),
        ("actions", 1, "owner", "console:alice", person(CAROL), "correction", 2),
        ("owner_accepts", 1, None, "console:carol", "true", "answer", 2),
    ]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, owner_id, accepted_at FROM actions ORDER BY item") == [
        (1, "console:carol", STAMP),
        (2, "console:carol", STAMP),
    ]


# --- 8. people the question is not for -------------------------------------------------------


def test_a_message_from_someone_not_asked_is_refused_and_recorded(db, bot):
    start(bot)
    assert say(bot, CAROL, "We ship in April") == [("carol", "error", NOT_FOR_YOU.format("alice"))]
    assert rows(db, "SELECT actor_id, actor_name, step, kind, text FROM messages WHERE direction = 'in'") == [
        ("console:carol", "carol", "decision", "refused", "We ship in April")
    ]
    assert rows(
        db, "SELECT actor_id, kind, private FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 1"
    ) == [("console:carol", "error", 1)]
    assert answers(db) == []
    assert run_row(db) == ("decision", "active")


# --- 9. another process resumes the run ------------------------------------------------------

FIRST_PROCESS = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import open_db

db = open_db(sys.argv[1])
bot = Dispatcher(db, FlowCatalog(Path(sys.argv[2]), db), ZoneInfo("Europe/Paris"),
                 clock=lambda: datetime(2026, 11, 26, 14, 0, tzinfo=UTC))
alice, conv = Actor("console:alice", "alice"), ConversationKey("console", "t1")
people = [Actor("console:bob", "bob"), Actor("console:carol", "carol")]
run = bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=alice, participants=people), conv)
for text in ("We ship in March", "Draft plan"):
    bot.handle(Message(conv, alice, text))
print(run.run_id)
"""


def test_a_new_process_resumes_the_run_from_the_ledger(tmp_path, db):
    script = tmp_path / "first.py"
    script.write_text(FIRST_PROCESS)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "t.db"), str(FLOWS)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"

    db.conn.close()  # and open it again, as a restarted process would
    again = open_db(tmp_path / "t.db")
    try:
        bot = make_bot(again)
        assert run_row(again) == ("actions", "active")
        assert say(bot, ALICE, "@bob") == [("alice", "prompt", "Action 1: By when should 'Draft plan' be done?")]
        say_all(bot, [(ALICE, "next friday"), (ALICE, "done"), (BOB, "yes"), (ALICE, "ok")])
        assert run_row(again) == ("completed", "completed")
        # the first two answers come from the other process (its clock said 14:00)
        assert rows(again, "SELECT step, field, value, at FROM answers ORDER BY id") == [
            ("decision", None, '"We ship in March"', "2026-11-26T14:00:00.000Z"),
            ("actions", "what", '"Draft plan"', "2026-11-26T14:00:00.000Z"),
            ("actions", "owner", person(BOB), STAMP),
            ("actions", "due", '"2026-11-27"', STAMP),
            ("owner_accepts", None, "true", STAMP),
            ("review_at", None, '"2026-12-24"', STAMP),
        ]
        assert rows(again, "SELECT text, decided_at FROM decisions") == [
            ("We ship in March", "2026-11-26T14:00:00.000Z")
        ]
        assert rows(again, "SELECT what, owner_id, due FROM actions") == [("Draft plan", "console:bob", "2026-11-27")]
    finally:
        again.conn.close()


# --- 10. the flow file changes while a run is in flight --------------------------------------

NOTES_STEP = """  - id: notes
    to: facilitator
    ask: "Anything else to note?"
    type: text
"""


def test_a_run_in_flight_finishes_on_its_own_flow_version(tmp_path, db):
    flows = tmp_path / "flows"
    flows.mkdir()
    path = flows / "post_meeting.yaml"
    shutil.copy(FLOWS / "post_meeting.yaml", path)
    shutil.copy(FLOWS / "decision_review.yaml", flows)  # the flow post_meeting schedules
    old_text = path.read_text()
    old_version = version_of(old_text)

    first = make_bot(db, flows)
    start(first)
    say(first, ALICE, "We ship in March")

    new_text = old_text.replace("What was decided in {{ trigger.title }}?", "What did {{ trigger.title }} decide?")
    new_text = new_text.replace("\nrecord:\n", "\n" + NOTES_STEP + "record:\n")
    assert new_text.count("id: notes") == 1 and "What did" in new_text
    path.write_text(new_text)
    new_version = version_of(new_text)

    bot = make_bot(db, flows)
    say_all(bot, action_lines(DRAFT))
    say(bot, BOB, "yes")
    last = turn(bot, ALICE, "ok")
    assert last is not None
    assert (last.outcome.state, last.outcome.status) == ("completed", "completed")
    assert [kind for _, kind, _ in shown(last.outcome.replies)] == ["summary"]
    assert rows(db, "SELECT flow_version, state FROM runs WHERE id = 1") == [(old_version, "completed")]
    assert rows(db, "SELECT count(*) FROM messages WHERE text = 'Anything else to note?'") == [(0,)]

    conv2 = ConversationKey("console", "t2")
    second = start(bot, conv2, title="Retro")
    assert shown(second.outcome.replies) == [("alice", "prompt", "What did Retro decide?")]
    assert rows(db, "SELECT flow_version FROM runs WHERE id = ?", second.run_id) == [(new_version,)]
    assert rows(
        db, "SELECT version FROM flow_versions WHERE flow_id = 'post_meeting' ORDER BY first_loaded_at, version"
    ) == sorted([(old_version,), (new_version,)])
    for actor, text in [(ALICE, "Keep the format"), *action_lines(DRAFT), (BOB, "yes")]:
        say(bot, actor, text, conv2)
    assert say(bot, ALICE, "ok", conv2) == [("alice", "prompt", "Anything else to note?")]


# --- 11. a retried delivery ------------------------------------------------------------------


def test_a_retried_delivery_is_dropped(db, bot):
    start(bot)
    first = turn(bot, ALICE, "We ship in March", platform_id="ev1")
    assert first is not None
    assert shown(first.outcome.replies) == [("alice", "prompt", "Action 1: What is the action?")]
    assert turn(bot, ALICE, "We ship in March", platform_id="ev1") is None
    assert rows(db, "SELECT platform_id, text FROM messages WHERE direction = 'in'") == [("ev1", "We ship in March")]
    assert rows(db, "SELECT count(*) FROM messages WHERE direction = 'out'") == [(2,)]
    assert [a[0] for a in answers(db)] == ["decision"]
    assert rows(db, "SELECT platform, delivery_id FROM deliveries") == [("console", "ev1")]
    assert run_row(db) == ("actions", "active")


# --- 12. a turn is all or nothing ------------------------------------------------------------


def test_a_turn_that_fails_writes_nothing(db, bot):
    to_owners(bot, DRAFT)
    say(bot, BOB, "yes")
    assert run_row(db) == ("review_at", "active")

    def snapshot():
        return {
            "runs": rows(db, "SELECT state, status, context, waiting_on, updated_at, completed_at FROM runs"),
            "messages": rows(db, "SELECT * FROM messages ORDER BY id"),
            "answers": rows(db, "SELECT * FROM answers ORDER BY id"),
            "transitions": rows(db, "SELECT * FROM transitions ORDER BY id"),
            "jobs": rows(db, "SELECT * FROM jobs ORDER BY id"),
            "deliveries": rows(db, "SELECT * FROM deliveries"),
        }

    before = snapshot()
    # the completing turn writes the decision last of all: make exactly that insert fail
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'boom'); END")
    later = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    bot.clock = lambda: later
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        turn(bot, ALICE, "ok", platform_id="ev-last")
    assert not db.conn.in_transaction
    assert snapshot() == before
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]

    # the platform redelivers once the fault is gone: the turn is not taken for a duplicate
    db.execute("DROP TRIGGER boom")
    again = turn(bot, ALICE, "ok", platform_id="ev-last")
    assert again is not None and again.outcome.status == "completed"
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT text FROM decisions") == [("We ship in March",)]
    assert rows(db, "SELECT count(*) FROM messages WHERE platform_id = 'ev-last'") == [(1,)]


# --- regressions: storing the flow version ---------------------------------------------------
# bot.store.runs once cached "this flow version is stored" per str(conn), for the whole process:
# a rolled-back start() left the version cached but not stored, and a new connection at a freed
# one's address skipped the insert; either way start() then failed the flow_versions foreign key.


def test_start_after_a_rolled_back_start_still_stores_the_flow_version(db, bot):
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        start(bot)
    assert rows(db, "SELECT count(*) FROM flow_versions") == [(0,)]
    db.execute("DROP TRIGGER boom")
    started = start(bot)
    assert shown(started.outcome.replies) == [("alice", "prompt", DECISION_PROMPT)]
    assert rows(db, "SELECT flow_id FROM flow_versions") == [("post_meeting",)]


def test_ledgers_opened_one_after_another_each_store_the_flow_version(tmp_path):
    for n in range(5):  # CPython often hands a freed connection's address to the next one
        ledger = open_db(tmp_path / f"{n}.db")
        try:
            assert start(make_bot(ledger)).run_id == 1
            assert rows(ledger, "SELECT flow_id FROM flow_versions") == [("post_meeting",)]
        finally:
            ledger.conn.close()
            del ledger
            gc.collect()


def test_a_condition_on_a_skipped_step_is_false_not_a_stuck_run(db, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "impact.yaml").write_text(
        """id: impact
title: Impact
steps:
  - id: impact
    ask: "How many users are affected?"
    type: number
    optional: true
    next:
      - {when: "impact > 100", goto: escalate}
      - goto: completed
  - {id: escalate, ask: "Who escalates?", type: person}
"""
    )
    bot = make_bot(db, folder)
    bot.start(Trigger(flow="impact", title="T", facilitator=ALICE), CONV)
    say(bot, ALICE, "skip")  # before: TypeError (None > 100), the turn rolled back, the step could not be skipped
    assert rows(db, "SELECT status FROM runs") == [("completed",)]


def test_an_option_named_like_a_keep_word_is_the_option(db, bot):
    to_owners(bot, DRAFT)
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    room = ConversationKey("console", "review-room")
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": 1}), room)
    say(bot, BOB, "yes", room)
    say(bot, ALICE, "change", room)  # -> What is the new decision?
    say(bot, ALICE, "back", room)  # -> the outcome again, currently 'change'
    replies = say(bot, ALICE, "keep", room)  # the option 'Keep it', not "keep the current 'change'"
    outcome = rows(
        db, "SELECT value, kind FROM answers WHERE run_id = ? AND step = 'outcome' ORDER BY id", review.run_id
    )
    assert outcome[-1] == ('"keep"', "answer")
    assert "When should we review it again?" in replies[0][2]


def test_a_yes_no_default_is_taken_with_default_as_ok_means_yes(db, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "notes.yaml").write_text(
        'id: notes\ntitle: Notes\nsteps:\n  - {id: publish, ask: "Publish the notes?", type: yes_no, default: no}\n'
    )
    bot = make_bot(db, folder)
    started = bot.start(Trigger(flow="notes", title="T", facilitator=ALICE), CONV)
    assert started.outcome.replies[0].text == "Publish the notes?\n(default: no; say 'default' to take it)"
    say(bot, ALICE, "default")
    assert rows(db, "SELECT value, kind FROM answers WHERE step = 'publish'") == [("false", "default")]


def test_an_answer_worded_like_a_correction_of_nothing_said_is_an_answer(db, bot):
    start(bot)
    assert say(bot, ALICE, "Change the supplier to Acme") == [("alice", "prompt", "Action 1: What is the action?")]
    assert say(bot, ALICE, "Update the decision log to show the new date") == [
        ("alice", "prompt", "Action 1: Who owns 'Update the decision log to show the new date'?")
    ]
    assert rows(db, "SELECT step, value FROM answers ORDER BY id") == [
        ("decision", '"Change the supplier to Acme"'),
        ("actions", '"Update the decision log to show the new date"'),
    ]
    # a correction that names an answer is still one
    assert say(bot, ALICE, "change decision to We ship in April")[0] == (
        "alice",
        "info",
        "Changed decision: Change the supplier to Acme -> We ship in April.",
    )


def test_going_back_over_the_owners_step_asks_a_new_owner_and_leaves_no_second_question(db, bot):
    to_owners(bot, DRAFT)
    assert say(bot, BOB, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "change the due date of action 1 to 2026-12-11")  # bob is asked again ...
    say_all(bot, [(ALICE, "back"), (ALICE, "back"), (ALICE, "carol"), (ALICE, "2026-12-10")])  # ... then not the owner
    assert say(bot, ALICE, "done") == [("carol", "prompt", accept_prompt("Draft plan", "2026-12-10"))]
    assert say(bot, BOB, "yes")[0][1] == "error"  # nothing is asked of bob any more
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT owner_name, due, accepted_at FROM actions") == [("carol", "2026-12-10", STAMP)]


def test_an_answer_on_a_branch_left_with_back_is_not_in_the_record(db, bot):
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "me"), (ALICE, "act"), (ALICE, "Roll back the release")])
    say_all(bot, [(ALICE, "back"), (ALICE, "back"), (ALICE, "ignore"), (ALICE, "False alarm")])
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT text FROM decisions") == [("ignore: False alarm",)]


def test_a_refused_back_leaves_the_owners_answers_in_the_record(db, bot):
    to_owners(bot, DRAFT)
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    room = ConversationKey("console", "review-room")
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}), room)
    say(bot, BOB, "yes", room)  # bob: my action was done
    assert say(bot, ALICE, "back", room)[0][1] == "error"  # the outcome is alice's first question
    say(bot, ALICE, "keep", room)
    say(bot, ALICE, "ok", room)
    assert rows(db, "SELECT status FROM runs WHERE id = 2") == [("completed",)]
    assert rows(db, "SELECT status FROM actions") == [("done",)]


def test_a_correction_of_the_decision_in_a_flow_without_that_step_says_what_can_change(db, bot):
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "me"), (ALICE, "act"), (ALICE, "Roll back the release")])  # -> Action 1: What is the action?
    replies = say(bot, ALICE, "change decision to Roll back and freeze deploys")
    assert replies[0][1] == "error" and replies[0][2].startswith("I can't find 'decision' to change.")
    assert rows(db, "SELECT count(*) FROM answers WHERE step = 'actions'") == [(0,)]
