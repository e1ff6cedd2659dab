"""A decision changed at its review: the actions still open go on with the new decision. Before,
they stayed open on the old one, which is never reviewed again: the digest chased them for good
and no review ever asked about them again."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.dispatch import Dispatcher
from bot.model import Message
from tests.actions.support import ALICE, BOB, CAROL, ROOM, rows
from tests.actions.test_review_loop import reviewed, run_due, told
from tests.clock import Clock


def changed(bot: Dispatcher, clock: Clock) -> str:
    """Bob did his action, carol did not; alice changes the decision, to be reviewed on 2027-02-01.
    The review's summary."""
    reviewed(bot, clock)
    bot.handle(Message(ROOM, BOB, "yes"))
    bot.handle(Message(ROOM, CAROL, "no"))
    for text in ("change", "We ship in April"):
        bot.handle(Message(ROOM, ALICE, text))
    last = bot.handle(Message(ROOM, ALICE, "2027-02-01"))
    assert last is not None
    [summary] = [r.text for r in last.outcome.replies if r.kind == "summary"]
    return summary


def test_the_summary_of_a_change_says_which_actions_go_on_and_how_to_drop_them(bot: Dispatcher, clock: Clock) -> None:
    assert changed(bot, clock) == (
        "Review recorded: Weekly sync - changed\n"
        "New decision: We ship in April\n"
        "  - Draft the plan - bob: done\n"
        "  - Book the venue - carol: not done\n"
        "Still open, and reviewed with the new decision: A2 Book the venue (carol). If one no longer"
        " applies: drop A2 [why]\n"
        "Next review on 2027-02-01."
    )


def test_the_new_decisions_review_asks_about_the_actions_still_open(bot: Dispatcher, clock: Clock) -> None:
    changed(bot, clock)
    assert rows(bot, "SELECT id, status, revises FROM decisions ORDER BY id") == [(1, "changed", None), (2, "open", 1)]
    clock.now = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    seen = int(bot.db.conn.execute("SELECT max(id) FROM messages").fetchone()[0])
    assert run_due(bot) == [("start_flow", "done: run 3")]
    assert told(bot, "carol", seen) == [
        "Review of 'Weekly sync': was your action 'Book the venue' (due 2026-12-11) done?"
    ]
    assert told(bot, "bob", seen) == []
    bot.handle(Message(ROOM, CAROL, "yes"))
    bot.handle(Message(ROOM, ALICE, "drop"))
    assert rows(bot, "SELECT what, status FROM actions ORDER BY id") == [
        ("Draft the plan", "done"),
        ("Book the venue", "done"),
    ]
    assert rows(bot, "SELECT decision_id, outcome FROM reviews WHERE held_at IS NOT NULL ORDER BY id") == [
        (1, "changed"),
        (2, "dropped"),
    ]


def test_an_action_still_open_is_dropped_with_the_changed_decision_when_that_is_dropped(
    bot: Dispatcher, clock: Clock
) -> None:
    changed(bot, clock)
    clock.now = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    run_due(bot)
    bot.handle(Message(ROOM, CAROL, "no"))
    bot.handle(Message(ROOM, ALICE, "drop"))
    assert rows(bot, "SELECT what, status FROM actions ORDER BY id") == [
        ("Draft the plan", "done"),
        ("Book the venue", "dropped"),
    ]


def test_the_option_change_it_typed_word_for_word_is_the_answer_not_a_correction(bot: Dispatcher, clock: Clock) -> None:
    """'Change it', as the question lists it: before, it was read as a correction of something
    named 'it' ("I can't find 'it' to change") and the question asked again; only '2' or 'change'
    were taken."""
    reviewed(bot, clock)
    bot.handle(Message(ROOM, BOB, "yes"))
    bot.handle(Message(ROOM, CAROL, "no"))
    result = bot.handle(Message(ROOM, ALICE, "Change it"))
    assert result is not None and result.outcome.inbound_kind == "answer"
    assert [r.text for r in result.outcome.replies if r.kind == "prompt"] == ["What is the new decision?"]
    for text in ("We ship in April", "2027-02-01"):
        bot.handle(Message(ROOM, ALICE, text))
    assert rows(bot, "SELECT id, status FROM decisions ORDER BY id") == [(1, "changed"), (2, "open")]
