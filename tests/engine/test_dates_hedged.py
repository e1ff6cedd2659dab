"""Dates as people type them when they correct themselves or round: "no wait, the 15th",
"actually friday", "tomorrow-ish", "friday or so", "Q3", "end of Q3". Each was refused with "I
can't read that as a date", so a person who had typed the right day was asked again; they are read
now as the day they name (the quarter's last day for a quarter). The clock is Wednesday 2026-03-04,
as in test_dates_typed."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine.answers import AnswerError, parse_date
from tests.engine.test_dates_typed import CTX, ctx_at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no wait, the 15th", date(2026, 3, 15)),
        ("No, the 15th", date(2026, 3, 15)),
        ("actually friday", date(2026, 3, 6)),
        ("sorry, I mean friday", date(2026, 3, 6)),
        ("oops: make that next friday", date(2026, 3, 6)),
        ("tomorrow-ish", date(2026, 3, 5)),
        ("friday ish", date(2026, 3, 6)),
        ("friday or so", date(2026, 3, 6)),
        ("around end of month", date(2026, 3, 31)),
        ("Q3", date(2026, 9, 30)),
        ("end of Q1", date(2026, 3, 31)),
        ("by q2 2027", date(2027, 6, 30)),
        ("in Q4", date(2026, 12, 31)),
    ],
)
def test_a_day_said_with_a_correction_or_roughly_is_that_day(text: str, expected: date) -> None:
    assert parse_date(text, CTX) == expected


def test_a_quarter_already_over_this_year_is_next_years() -> None:
    assert parse_date("Q1", ctx_at("2026-05-04T10:00:00+00:00")) == date(2027, 3, 31)


@pytest.mark.parametrize("text", ["no later", "wait", "sorry", "next sprint", "Q5"])
def test_words_that_name_no_day_are_still_refused(text: str) -> None:
    with pytest.raises(AnswerError):
        parse_date(text, CTX)
