"""``due A12 next year``: a year alone is no due date; the command says how to name a day in it
and changes nothing (tests/engine/test_dates_years.py reads the phrases)."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from tests.actions.support import BOB, decide, rows, say
from tests.engine.test_dates_years import HINT


def test_a_due_date_of_next_year_is_refused_with_the_years_hint(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])  # Tuesday 2026-12-01
    assert say(bot, BOB, "due A1 next year") == HINT
    assert rows(bot, "SELECT due FROM actions") == [("2026-12-03",)]
    assert say(bot, BOB, "due A1 early 2027").startswith("'Draft the plan' is now due on 2027-01-01")
