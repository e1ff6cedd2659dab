"""When a decision was made (``decisions.decided_at``), through whole runs of the shipped flows.

The clock moves between turns, so the answers that make the decision come hours before the run
completes (owners confirm, a review date is asked): ``decided_at`` is the latest answer among the
steps ``record.decision`` uses, not the completion time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import iso
from tests.clock import Clock

FLOWS = Path(__file__).parents[1] / "flows"
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # a Thursday
ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CONV = ConversationKey("console", "t1")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def bot(db, clock) -> Dispatcher:
    return Dispatcher(db, FlowCatalog(FLOWS, db), ZoneInfo("Europe/Paris"), clock=clock)


def say(bot: Dispatcher, actor: Actor, text: str) -> None:
    result = bot.handle(Message(CONV, actor, text))
    assert result is not None, f"{actor.name}: {text!r} found no open run"
    assert not [r for r in result.outcome.replies if r.kind == "error"], result.outcome.replies


def decision(db) -> tuple[str, str, str]:
    return db.execute(
        "SELECT d.text, d.decided_at, r.completed_at FROM decisions d JOIN runs r ON r.id = d.run_id"
    ).fetchone()


def breach(bot: Dispatcher) -> None:
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)


def test_a_templated_decision_is_dated_by_its_answers_not_by_the_owners_and_the_review(db, bot, clock):
    breach(bot)
    clock.at(hours=0.5)
    say(bot, ALICE, "me")
    clock.at(hours=1)
    say(bot, ALICE, "act")
    decided = iso(clock.at(hours=2))
    say(bot, ALICE, "Roll back the release")
    clock.at(hours=2.5)
    for text in ("Roll back", "@bob", "next friday", "done"):
        say(bot, ALICE, text)
    clock.at(hours=20)
    say(bot, BOB, "yes")  # bob confirms his action the next morning
    completed = iso(clock.at(hours=30))
    say(bot, ALICE, "ok")  # the review date, hours later still
    assert decision(db) == ("Act now: Roll back the release", decided, completed)


def test_a_corrected_decision_answer_dates_the_decision(db, bot, clock):
    breach(bot)
    clock.at(hours=0.5)
    say(bot, ALICE, "me")
    clock.at(hours=1)
    say(bot, ALICE, "watch")
    clock.at(hours=2)
    say(bot, ALICE, "Conversion under 2%")
    corrected = iso(clock.at(hours=3))
    say(bot, ALICE, "change plan to Conversion under 1.5%")
    completed = iso(clock.at(hours=9))
    say(bot, ALICE, "ok")
    assert decision(db) == ("Watch it: Conversion under 1.5%", corrected, completed)


def test_a_step_left_with_back_does_not_date_the_decision(db, bot, clock):
    breach(bot)
    clock.at(hours=0.5)
    say(bot, ALICE, "me")
    clock.at(hours=1)
    say(bot, ALICE, "watch")
    clock.at(hours=5)
    say(bot, ALICE, "Conversion under 2%")  # plan, then left: back to the response
    clock.at(hours=6)
    say(bot, ALICE, "back")
    say(bot, ALICE, "back")
    clock.at(hours=3)  # another process's clock, behind: plan's answer (5 h) is later than any on the route
    say(bot, ALICE, "ignore")
    decided = iso(clock.at(hours=4))
    say(bot, ALICE, "False alarm")
    assert decision(db)[:2] == ("Ignore it: False alarm", decided)
