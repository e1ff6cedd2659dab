"""A review under way while one of its actions changes hands (``give A12 @person``, then the new
owner's yes): the review asks the owner in force; and a yes given in the new owner's place hands
nothing over. On a real SQLite ledger with the shipped flows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.dispatch import Dispatcher
from bot.model import Message, Trigger
from bot.store import jobs, placing
from tests.actions.support import ALICE, BOB, CAROL, DM, ROOM, decide, dispatcher, rows, say
from tests.clock import Clock

ACTIONS = "SELECT owner_id, status, done_confirmed_by FROM actions ORDER BY id"


@pytest.fixture
def bot(tmp_path: Path, clock: Clock) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, clock, "action_handover.yaml")


def asked(bot: Dispatcher, run_id: int, after: int) -> list[tuple[str, str]]:
    sql = "SELECT actor_id, text FROM messages WHERE run_id = ? AND kind = 'prompt' AND id > ? ORDER BY id"
    return rows(bot, sql, run_id, after)


def test_the_review_asks_the_new_owner_once_the_action_changed_hands(bot: Dispatcher) -> None:
    """Before, the review kept asking bob about the action carol had taken over: carol's answer
    was refused ('This question is for bob'), bob's yes closed it as done by its owner, and the
    summary named bob."""
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    say(bot, BOB, "give A1 @carol")
    seen = int(rows(bot, "SELECT max(id) FROM messages")[0][0])
    bot.handle(Message(DM, CAROL, "yes"))
    assert asked(bot, review.run_id, seen) == [
        ("console:carol", "Review of 'Weekly sync': was your action 'Draft the plan' (due 2026-12-03) done?")
    ]
    assert "waiting for carol" in say(bot, ALICE, f"status {review.run_id}", ROOM)
    bobs = bot.handle(Message(ROOM, BOB, "yes"), run_id=review.run_id)
    assert bobs is not None and bobs.outcome.inbound_kind == "refused"  # no longer his to answer
    carols = bot.handle(Message(ROOM, CAROL, "yes"))
    assert carols is not None and (carols.run_id, carols.outcome.inbound_kind) == (review.run_id, "answer")
    bot.handle(Message(ROOM, ALICE, "keep"))
    done = bot.handle(Message(ROOM, ALICE, "ok"))
    assert done is not None
    summary = next(r.text for r in done.outcome.replies if r.kind == "summary")
    assert "Draft the plan - carol: done" in summary
    assert rows(bot, ACTIONS) == [("console:carol", "done", None)]  # said by its owner in force


def test_a_question_bob_answered_before_the_handover_stays_answered(bot: Dispatcher) -> None:
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    bot.handle(Message(ROOM, BOB, "no"))
    say(bot, BOB, "give A1 @carol")
    seen = int(rows(bot, "SELECT max(id) FROM messages")[0][0])
    bot.handle(Message(DM, CAROL, "yes"))
    assert asked(bot, review.run_id, seen) == []  # nothing asked again: the review is at its outcome
    assert rows(bot, ACTIONS) == [("console:carol", "open", None)]


def test_three_unclear_answers_ask_the_new_owner_again_with_help(bot: Dispatcher) -> None:
    """Only carol can take the action over, so her question stays hers (``on_fail: help``): after
    three unclear answers she gets it whole, with help. Before, it went to bob, who asked, and
    whose yes could only void the handover."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    seen = int(rows(bot, "SELECT max(id) FROM messages")[0][0])
    for text in ("hmm", "not sure", "dunno"):  # "what is this?" is no miss: it is answered with help
        bot.handle(Message(DM, CAROL, text))
    told = "SELECT actor_id, text FROM messages WHERE direction = 'out' AND id > ? ORDER BY id"
    said = rows(bot, told, seen)
    assert [who for who, _ in said] == ["console:carol"] * 3  # nothing to bob
    assert said[2][1].startswith("bob asks you to take over action 'Draft the plan' (due 2026-12-03)")
    assert "yes or no" in said[2][1].lower()
    assert "waiting for carol" in say(bot, BOB, "status 2")
    taken = bot.handle(Message(DM, CAROL, "yes"))
    assert taken is not None and (taken.run_id, taken.outcome.inbound_kind) == (2, "answer")
    assert rows(bot, "SELECT owner_id FROM actions") == [("console:carol",)]


def test_a_yes_in_the_new_owners_place_hands_nothing_over(bot: Dispatcher) -> None:
    """A handover flow written to escalate (``on_fail: escalate``): carol answers her question
    unclearly three times and, as any owner's, it goes to the run's facilitator, here bob, who
    asked. Before, his yes in her place handed his action to her, stamped as accepted by her;
    owners confirm what they own, so now it hands nothing over."""
    flow = bot.catalog.folder / "action_handover.yaml"
    flow.write_text(flow.read_text().replace("on_fail: help", "on_fail: escalate"))
    bot.catalog = type(bot.catalog)(bot.catalog.folder, bot.db)
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    for text in ("hmm", "not sure", "dunno"):  # "what is this?" is no miss: it is answered with help
        bot.handle(Message(DM, CAROL, text))
    seen = int(rows(bot, "SELECT max(id) FROM messages")[0][0])
    taken = bot.handle(Message(ROOM, BOB, "yes"))
    assert taken is not None and (taken.run_id, taken.outcome.inbound_kind) == (2, "answer")
    assert rows(bot, "SELECT owner_id, accepted_at IS NOT NULL FROM actions") == [("console:bob", 1)]
    assert rows(bot, "SELECT count(*) FROM action_changes") == [(0,)]
    told = "SELECT actor_id, text FROM messages WHERE direction = 'out' AND id > ? ORDER BY id"
    only = "Only carol can take over 'Draft the plan': nothing was handed over. To ask again: give A1 @carol"
    assert rows(bot, told, seen) == [("console:bob", only), ("console:carol", only)]


def test_a_stalled_review_asks_the_new_owner_too(bot: Dispatcher, clock: Clock) -> None:
    """A review whose flow does not hand a silent owner's question to the facilitator stalls
    waiting on bob. Before, the handover left it waiting on bob, who no longer owns the action;
    now carol is asked, and her answer resumes the review."""
    review_flow = bot.catalog.folder / "decision_review.yaml"
    review_flow.write_text(
        review_flow.read_text().replace("escalate_after: 3d, ", "").replace(", escalate: reassign", "")
    )
    bot.catalog = type(bot.catalog)(bot.catalog.folder, bot.db)
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    clock.now += timedelta(days=15)
    for kind in ("remind", "expire"):
        for job in jobs.pending_jobs(bot.db.conn, kind):
            bot.run_job(job)
    assert rows(bot, "SELECT status, waiting_on FROM runs WHERE id = ?", review.run_id) == [
        ("stalled", " console:bob ")
    ]
    say(bot, BOB, "give A1 @carol")
    seen = int(rows(bot, "SELECT max(id) FROM messages")[0][0])
    bot.handle(Message(DM, CAROL, "yes"))
    assert asked(bot, review.run_id, seen) == [
        ("console:carol", "Review of 'Weekly sync': was your action 'Draft the plan' (due 2026-12-03) done?")
    ]
    carols = bot.handle(Message(ROOM, CAROL, "yes"))
    assert carols is not None and (carols.run_id, carols.outcome.inbound_kind) == (review.run_id, "answer")
    assert rows(bot, "SELECT status FROM runs WHERE id = ?", review.run_id) == [("active",)]


def test_the_old_owners_late_answer_is_told_the_question_is_the_new_owners_now(bot: Dispatcher) -> None:
    """Bob's review question went to carol with the action; his late "yes" where nothing takes it
    was told "Nothing waits for your answer here: this session has no run ...", though he had
    just been shown that question. Now he is told it is carol's."""
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    say(bot, BOB, "give A1 @carol")
    bot.handle(Message(DM, CAROL, "yes"))
    told = placing.closed_for(bot.db.conn, "console", BOB.id)
    assert (
        told == "That question is carol's now: carol took over 'Draft the plan'. Nothing waits on you in this run now."
    )
    assert placing.closed_for(bot.db.conn, "console", CAROL.id) is None  # hers waits on her
