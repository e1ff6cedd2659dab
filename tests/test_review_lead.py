"""Who leads a decision's next review (acceptance review, a team over time zones): the facilitator
of the review that set its date. A facilitator who left the company (in Berlin) blocked the
review of their decision; the operator cancelled it and had Carol (in New York) hold it by hand,
and she kept the decision with a next date. Before, that next review went to the departed
facilitator again (and started at 09:00 on Carol's clock, 15:00 on his), blocked like the first.

Real parts: the dispatcher and scheduler on a SQLite file, people's zones through ``tz_for``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.model import Actor, Message, Trigger
from tests.test_zones import CONV, Bot

ZONES = {"alice": "Europe/Berlin", "bob": "Asia/Singapore", "carol": "America/New_York"}
ALICE, BOB, CAROL = (Actor(f"console:{name}", name) for name in ("alice", "bob", "carol"))
OPERATOR = Actor("cli:operator", "operator")  # as `decisionbot runs cancel` cancels


def facilitator_of(bot: Bot, run_id: int) -> str:
    return bot.rows("SELECT facilitator_id FROM runs WHERE id = ?", run_id)[0][0]


def test_the_next_review_is_led_by_whoever_held_the_last(tmp_path: Path) -> None:
    bot = Bot(tmp_path, datetime(2027, 3, 15, 8, 0, tzinfo=UTC), "Europe/Berlin", ZONES)
    bot.complete("2027-03-26", "2027-04-12")  # alice's decision, bob's action; reviewed on 2027-04-12
    assert bot.run_due(datetime(2027, 4, 12, 7, 0, tzinfo=UTC)) == [("start_flow", "done: run 2")]  # 09:00 Berlin
    assert facilitator_of(bot, 2) == ALICE.id
    # alice has left: the operator cancels the review she cannot hold, carol holds it by hand
    bot.clock.now = datetime(2027, 4, 13, 14, 0, tzinfo=UTC)
    assert bot.bot.cancel(2, OPERATOR, operator=True) is not None
    held = bot.bot.start(Trigger(flow="decision_review", facilitator=CAROL, data={"decision_id": 1}), CONV)
    for who, text in [(BOB, "yes"), (CAROL, "keep"), (CAROL, "2027-05-10")]:
        bot.bot.handle(Message(CONV, who, text))
    assert bot.rows("SELECT status FROM runs WHERE id = ?", held.run_id) == [("completed",)]
    # 09:00 on carol's calendar (13:00Z): the date she gave is a day of hers
    assert bot.rows("SELECT due_at FROM jobs WHERE kind = 'start_flow' AND done_at IS NULL") == [
        ("2027-05-10T13:00:00.000Z",)
    ]
    assert bot.run_due(datetime(2027, 5, 10, 13, 0, tzinfo=UTC)) == [("start_flow", f"done: run {held.run_id + 1}")]
    assert facilitator_of(bot, held.run_id + 1) == CAROL.id  # before: alice, who left
    bot.db.conn.close()


def test_a_review_held_by_its_own_facilitator_keeps_them(tmp_path: Path) -> None:
    bot = Bot(tmp_path, datetime(2027, 3, 15, 8, 0, tzinfo=UTC), "Europe/Berlin", ZONES)
    bot.complete("2027-03-26", "2027-04-12")
    assert bot.run_due(datetime(2027, 4, 12, 7, 0, tzinfo=UTC)) == [("start_flow", "done: run 2")]
    for who, text in [(BOB, "yes"), (ALICE, "keep"), (ALICE, "2027-05-10")]:
        bot.bot.handle(Message(CONV, who, text))
    assert bot.run_due(datetime(2027, 5, 10, 7, 0, tzinfo=UTC)) == [("start_flow", "done: run 3")]
    assert facilitator_of(bot, 3) == ALICE.id
    bot.db.conn.close()
