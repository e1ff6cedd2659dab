"""An owner's question handed to the facilitator (after the owner's three misses, ``on_fail:
escalate``): it is worded for the person now asked, and a yes given there is recorded as
confirmed by that person, not as the owner's acceptance (summary, record, ``actions``).

Console channel and a real SQLite ledger, driven as in test_engine_turns.py (same clock: Thursday
2026-11-26 15:00 UTC, so 'next friday' is 2026-11-27 and the review default is 2026-12-24).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.model import ConversationKey, Trigger
from bot.render import render_run
from bot.store import open_db, transcript
from tests.clock import Clock
from tests.dates import JAN15
from tests.test_engine_turns import (
    ALICE,
    BOB,
    CAROL,
    CONV,
    DRAFT,
    NOW,
    STAMP,
    action_lines,
    make_bot,
    rows,
    say,
    say_all,
    start,
    to_owners,
    turn,
)
from tests.test_engine_turns import FLOWS as SHIPPED

HANDED = "does bob take the action 'Draft plan' (due 2026-11-27)?"
ESCALATED = "bob could not answer this one, so it comes to you: " + HANDED
MISSES = [(BOB, "maybe"), (BOB, "perhaps")]  # the third miss hands the question over


@pytest.fixture
def bot(db):
    return make_bot(db)


def summary_of(result) -> str:
    [text] = [r.text for r in result.outcome.replies if r.kind == "summary"]
    return text


def test_the_facilitator_is_asked_whether_the_owner_takes_the_action(db, bot):
    to_owners(bot)  # bob: Draft plan; carol: Book venue
    say_all(bot, MISSES)
    assert say(bot, BOB, "dunno") == [
        ("bob", "info", "Thanks, bob. I've handed this question to alice."),
        ("alice", "prompt", ESCALATED),
    ]
    # 'help' repeats the question as she was asked it, not bob's "alice assigned you ..."
    helped = say(bot, ALICE, "help")
    assert helped[0][2].splitlines()[:2] == [
        "Does bob take the action 'Draft plan' (due 2026-11-27)?",
        "Expected: yes or no.",
    ]
    asked_alice = rows(
        db, "SELECT text FROM messages WHERE direction = 'out' AND actor_id = ? AND step = ?", ALICE.id, "owner_accepts"
    )
    assert asked_alice and not [t for (t,) in asked_alice if "assigned you" in t]


def test_a_yes_given_for_the_owner_is_recorded_as_confirmed_by_the_facilitator(db, bot):
    to_owners(bot)
    say_all(bot, [*MISSES, (BOB, "dunno"), (ALICE, "yes"), (CAROL, "yes")])
    done = turn(bot, ALICE, "ok")
    assert done is not None and done.outcome.status == "completed"
    assert summary_of(done) == (
        "Decision recorded: Weekly sync\n"
        "Decided: We ship in March\n"
        "  1. Draft plan - bob, due 2026-11-27 (confirmed by alice)\n"
        "  2. Book venue - carol, due 2026-12-10 (accepted)\n"
        "Review on 2026-12-24."
    )
    record = done.outcome.completion
    assert record is not None
    assert record["actions"][0]["confirmed_by"] == {"id": ALICE.id, "name": "alice"}
    assert "confirmed_by" not in record["actions"][1]  # carol answered herself
    # accepted_at is the owner's own yes only; alice's yes for bob is confirmed_by/confirmed_at
    assert rows(db, "SELECT item, owner_id, accepted_at, confirmed_by, confirmed_at FROM actions ORDER BY item") == [
        (1, BOB.id, None, ALICE.id, STAMP),
        (2, CAROL.id, STAMP, None, None),
    ]
    assert rows(db, "SELECT item, actor_id FROM answers WHERE step = 'owner_accepts' ORDER BY id") == [
        (1, ALICE.id),
        (2, CAROL.id),
    ]
    shown = render_run(transcript.run_detail(db.conn, done.run_id))  # `decisionbot runs show`
    assert "action 1 (A1): Draft plan - bob, due 2026-11-27, open, confirmed by alice" in shown  # was "not accepted"
    assert "action 2 (A2): Book venue - carol, due 2026-12-10, open, accepted" in shown


def test_an_owner_asked_again_who_says_yes_himself_has_accepted(db, bot):
    to_owners(bot, DRAFT)
    say_all(bot, [*MISSES, (BOB, "dunno"), (ALICE, "yes")])
    # a new due date goes back to its owner (an earlier yes, here alice's, was for other terms)
    say(bot, ALICE, "change the due date of action 1 to 2026-12-01")
    assert say(bot, BOB, "yes") == []
    done = turn(bot, ALICE, "ok")
    assert done is not None
    assert "  1. Draft plan - bob, due 2026-12-01 (accepted)" in summary_of(done).splitlines()
    assert rows(db, "SELECT accepted_at, confirmed_by, confirmed_at FROM actions") == [(STAMP, None, None)]


def test_a_review_question_handed_over_asks_whether_the_owner_did_it(db, bot):
    to_owners(bot, DRAFT)
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    review_room = ConversationKey("console", "review-room")
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}), review_room)
    say(bot, BOB, "maybe", review_room)
    say(bot, BOB, "perhaps", review_room)
    assert say(bot, BOB, "dunno", review_room)[-1] == (
        "alice",
        "prompt",
        "bob could not answer this one, so it comes to you: did bob do the action 'Draft plan' (due 2026-11-27)?",
    )


OTHER_STEP = """id: handover
title: Handover
steps:
  - id: tasks
    type: repeat
    item_label: Task
    fields:
      - {id: what, ask: "What is the task?", type: text}
      - {id: owner, ask: "Who owns it?", type: person}
      - {id: due, ask: "By when?", type: date}
  - id: days
    to: each tasks.owner
    ask: "How many days do you need for '{{ item.what }}'?"
    type: number
record:
  actions: tasks
"""


def test_any_other_owners_question_handed_over_quotes_what_the_owner_was_asked(db, tmp_path: Path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "handover.yaml").write_text(OTHER_STEP)
    bot = make_bot(db, flows)
    bot.start(Trigger(flow="handover", title="Handover", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "Draft plan"), (ALICE, "@bob"), (ALICE, "2026-11-27"), (ALICE, "done")])
    say_all(bot, [(BOB, "soon"), (BOB, "a while")])  # "later" is no miss: it asks to postpone
    assert say(bot, BOB, "dunno")[-1] == (
        "alice",
        "prompt",
        "bob could not answer this one, so it comes to you: bob was asked about the task 'Draft plan'"
        " (due 2026-11-27): \"How many days do you need for 'Draft plan'?\" What is the answer for bob?",
    )


def test_the_migration_moves_an_earlier_yes_given_for_the_owner_out_of_accepted_at(tmp_path: Path):
    """A ledger written before: alice's yes for bob set accepted_at. Made by the real engine on
    this schema, then put back as the previous version wrote it (columns gone, migration undone)."""
    path = tmp_path / "old.db"
    db = open_db(path)
    clock = Clock(NOW)
    bot = make_bot(db, clock=clock)
    start(bot)
    say(bot, ALICE, "We ship in March")
    say_all(bot, action_lines(DRAFT, ("Book venue", "carol", "2026-12-10")))
    clock.at(minutes=5)
    say_all(bot, [*MISSES, (BOB, "dunno"), (ALICE, "yes")])
    clock.at(minutes=9)
    say_all(bot, [(CAROL, "yes"), (ALICE, "ok")])
    with db.conn:
        db.execute("UPDATE actions SET accepted_at = coalesce(accepted_at, confirmed_at)")
        db.execute("ALTER TABLE actions DROP COLUMN confirmed_by")
        db.execute("ALTER TABLE actions DROP COLUMN confirmed_at")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_actions_confirmed_for_the_owner'")
    assert rows(db, "SELECT item, accepted_at FROM actions ORDER BY item") == [
        (1, "2026-11-26T15:05:00.000Z"),
        (2, "2026-11-26T15:09:00.000Z"),
    ]
    db.conn.close()

    again = open_db(path)
    try:
        assert rows(again, "SELECT item, accepted_at, confirmed_by, confirmed_at FROM actions ORDER BY item") == [
            (1, None, ALICE.id, "2026-11-26T15:05:00.000Z"),
            (2, "2026-11-26T15:09:00.000Z", None, None),
        ]
    finally:
        again.conn.close()


def test_the_console_script_shows_the_handed_over_question_and_the_confirmation(tmp_path: Path):
    """``decisionbot chat post_meeting --jsonl``, as the README's Scripting section runs it."""
    from click.testing import CliRunner

    from bot.cli import main

    lines = [
        {"text": "We ship in March"},
        {"text": "Draft the plan"},
        {"text": "@bob"},
        {"text": JAN15},
        {"text": "done"},
        {"as": "bob", "text": "maybe"},
        {"text": "perhaps"},
        {"text": "dunno"},
        {"as": "alice", "text": "yes"},
        {"text": "ok"},
    ]
    result = CliRunner().invoke(
        main,
        ["--db", str(tmp_path / "cli.db"), "--flows", str(SHIPPED), "chat", "post_meeting", "-f", "alice", "-p", "bob"]
        + ["--data", "title=Weekly sync", "--jsonl"],
        input="".join(json.dumps(line) + "\n" for line in lines),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    handed = [m["text"] for m in out if m.get("to") == "console:alice" and m.get("step") == "owner_accepts"]
    assert handed == [
        f"bob could not answer this one, so it comes to you: does bob take the action 'Draft the plan' (due {JAN15})?"
    ]
    summary = next(m["text"] for m in out if m.get("kind") == "summary")
    assert f"  1. Draft the plan - bob, due {JAN15} (confirmed by alice)" in summary.splitlines()
    assert out[-1]["record"]["actions"][0]["confirmed_by"] == {"id": "console:alice", "name": "alice"}
