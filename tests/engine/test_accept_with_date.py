"""An owner asked to take their action who proposes another due date (flows/post_meeting.yaml):
"yes, by 2026-12-04" takes it with that date, as ``due A12 DATE`` would move it once recorded;
a proposal without a yes is told how to say it. Helpers, and the fixed clock (today 2026-11-26),
in tests/test_engine_turns.py."""

from __future__ import annotations

from tests.test_engine_turns import ALICE, BOB, CAROL, REVIEW_PROMPT, STAMP, answers, rows, say, to_owners

HOW = "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'."


def test_yes_with_a_date_takes_the_action_with_that_due_date_and_tells_the_thread(db, bot):
    """Before, "yes, by 2026-12-04" was a plain yes: the date was lost, the action stayed due 2026-11-27."""
    to_owners(bot)  # bob: 'Draft plan' due 2026-11-27; carol: 'Book venue' due 2026-12-10
    assert say(bot, BOB, "Yes, but by 2026-12-04") == [
        (None, "info", "bob takes Action 1 ('Draft plan') due 2026-12-04 instead of 2026-11-27."),
    ]
    assert answers(db)[-2:] == [
        ("actions", 1, "due", "console:bob", '"2026-12-04"', "correction", 2),
        ("owner_accepts", 1, None, "console:bob", "true", "answer", 1),
    ]
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, due, accepted_at FROM actions ORDER BY item") == [
        (1, "2026-12-04", STAMP),
        (2, "2026-12-10", STAMP),
    ]


def test_a_date_asked_for_without_a_yes_is_told_how_to_propose_it(db, bot):
    """Before: only 'Please answer yes or no.'"""
    to_owners(bot)
    assert say(bot, BOB, "can I do it by friday instead?") == [("bob", "error", HOW)]
    assert say(bot, BOB, "maybe") == [("bob", "error", HOW)]
    assert rows(db, "SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]


def test_a_proposed_date_the_due_date_cannot_take_is_refused_and_nothing_is_taken(db, bot):
    to_owners(bot)
    replies = say(bot, BOB, "yes, by 2026-11-01")
    assert replies == [("bob", "error", "That date is too early: it can't be before 2026-11-26.")]
    assert rows(db, "SELECT count(*) FROM answers WHERE step = 'owner_accepts' OR kind = 'correction'") == [(0,)]
    assert say(bot, BOB, "yes") == []  # the question stays open: a plain yes takes it as it was


def test_no_with_a_date_is_a_decline_whose_words_reach_the_facilitator(db, bot):
    to_owners(bot)
    said = say(bot, BOB, "no, by friday")
    assert (
        "alice",
        "info",
        "bob's reason for declining Action 1 ('Draft plan') of 'Weekly sync', for you alone: \"no, by friday\"",
    ) in said
