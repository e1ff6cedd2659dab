"""A year said as a review or due date. A year alone ("in 2027", "2027", "next year") names no
day to hold anyone to, and any day picked for it (today's date a year on, as dateparser read
it, or its 1st or its 31 December) would be a guess the chase then keeps: it is refused with a
hint naming that year's ways to say a day. Its start, middle or end said outright is read:
"end of 2027", "early next year", "mid 2027"; "this year" is its end, as "this week" is."""

from __future__ import annotations

from datetime import date

import pytest

from bot import texts
from bot.engine.answers import parse_date
from tests.engine.test_answers import error_of, make_ctx

DEC1 = make_ctx("2026-12-01T10:00:00+00:00")  # a Tuesday
HINT = (
    "2027 is a whole year: say a day in it, a month or a quarter: 'March 2027', 'Q1 2027', 'end of 2027' or 2027-03-15."
)


@pytest.mark.parametrize(
    "text",
    ["in 2027", "2027", "by 2027", "during 2027", "sometime in 2027", "next year", "Next year.", "sometime next year",
     "in the next year", "by next year"],
)  # fmt: skip
def test_a_year_alone_is_refused_with_a_hint_naming_its_ways_to_say_a_day(text: str) -> None:
    refused = error_of(parse_date, text, DEC1)
    assert refused.code == "date_year_alone"
    assert texts.answer_error(refused.code, refused.params) == HINT


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("end of 2027", date(2027, 12, 31)),
        ("by the end of 2027", date(2027, 12, 31)),
        ("late 2027", date(2027, 12, 31)),
        ("end of next year", date(2027, 12, 31)),
        ("late next year", date(2027, 12, 31)),
        ("early 2027", date(2027, 1, 1)),
        ("start of 2027", date(2027, 1, 1)),
        ("beginning of next year", date(2027, 1, 1)),
        ("early next year", date(2027, 1, 1)),
        ("mid 2027", date(2027, 7, 1)),
        ("mid-next year", date(2027, 7, 1)),
        ("this year", date(2026, 12, 31)),
        ("in a year", date(2027, 12, 1)),  # a year from today, said outright
        ("january 2027", date(2027, 1, 1)),
        ("H1 2027", date(2027, 6, 30)),
    ],
)
def test_a_years_start_middle_or_end_is_read(text: str, day: date) -> None:
    assert parse_date(text, DEC1) == day
