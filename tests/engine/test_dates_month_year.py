"""A month with its year ("january 2027", "end of march 2027", "2027-01") and a half year ("H1",
"end of H2 2027") as due dates: read as a month alone and a quarter are (its 1st, its middle, its
end; a half's last day), never with a day taken from today's date, which dateparser fills in
("january 2027" said on 4 December was 4 January; "H1" was read as that day in January).

The clock is Friday 2026-12-04 23:30 in Paris (22:30 UTC) unless a test says otherwise."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.engine.answers import AnswerError, ParseContext, parse_date
from bot.model import Actor


def ctx_at(now: str = "2026-12-04T22:30:00+00:00", tz: str = "Europe/Paris") -> ParseContext:
    return ParseContext(now=datetime.fromisoformat(now), tz=ZoneInfo(tz), speaker=Actor("console:alice", "alice"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("january 2027", date(2027, 1, 1)),  # as "january" alone: its 1st
        ("Jan 2027", date(2027, 1, 1)),
        ("in January 2027", date(2027, 1, 1)),
        ("by march, 2027", date(2027, 3, 1)),
        ("mid march 2027", date(2027, 3, 15)),
        ("end of February 2028", date(2028, 2, 29)),
        ("late feb 2027", date(2027, 2, 28)),
        ("early may 2027", date(2027, 5, 1)),
        ("2027-01", date(2027, 1, 1)),
        ("december 2026", date(2026, 12, 1)),  # this month, said in it: its 1st (a bound refuses it)
    ],
)
def test_a_month_and_its_year_is_read_as_the_month_alone_is(text, expected):
    assert parse_date(text, ctx_at()) == expected


def test_a_month_and_its_year_does_not_depend_on_todays_date():
    for now in ("2026-12-04T22:30:00+00:00", "2026-12-30T10:00:00+00:00", "2027-01-17T10:00:00+00:00"):
        assert parse_date("june 2027", ctx_at(now)) == date(2027, 6, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H1", date(2027, 6, 30)),  # this year's first half is over: next year's, as "Q1" is
        ("h2", date(2026, 12, 31)),
        ("end of H1", date(2027, 6, 30)),
        ("by H1 2028", date(2028, 6, 30)),
        ("in h2 2027", date(2027, 12, 31)),
        ("Q1", date(2027, 3, 31)),  # quarters as before
        ("end of Q4", date(2026, 12, 31)),
    ],
)
def test_a_half_year_is_its_last_day_as_a_quarter_is(text, expected):
    assert parse_date(text, ctx_at()) == expected


def test_a_month_of_a_year_that_has_passed_is_too_early_not_another_day():
    with pytest.raises(AnswerError) as info:
        parse_date("january 2026", ctx_at(), not_before=date(2026, 12, 4))
    assert info.value.code == "date_too_early"


@pytest.mark.parametrize("text", ["9999-12-31", "2127-01-01", "2126-12-05", "in 101 years"])
def test_a_date_more_than_ten_years_away_is_refused_unless_the_question_bounds_it(text):
    """9999-12-31 was taken as a due or review date: a review no timer can reach (``jobs run-due``
    counts to the year 9000). Said on 2026-12-04 (Paris), the furthest is 2126-12-04; a question
    with its own ``not_after`` goes by that alone."""
    with pytest.raises(AnswerError) as info:
        parse_date(text, ctx_at())
    assert (info.value.code, info.value.params) == ("date_too_far", {"bound": date(2126, 12, 4), "years": 100})
    assert parse_date("2126-12-04", ctx_at()) == date(2126, 12, 4)
    assert parse_date("2200-01-01", ctx_at(), not_after=date(2300, 1, 1)) == date(2200, 1, 1)


def test_the_furthest_day_from_a_leap_day_is_the_28th():
    from bot.engine.answers import furthest_day

    assert furthest_day(date(2028, 2, 29)) == date(2128, 2, 28)


def test_a_flows_own_bounds_are_not_capped():
    """A flow's ``not_after: "2200-01-01"`` (quoted) or ``in 150 years`` was refused at load once
    answers were capped at 100 years; a question whose ``not_before`` is past the cap took no day."""
    from bot.engine.answers import resolve_bound

    assert resolve_bound("2200-01-01", ctx_at()) == date(2200, 1, 1)
    assert resolve_bound("in 150 years", ctx_at()) == date(2176, 12, 4)
    assert parse_date("2201-01-01", ctx_at(), not_before=date(2200, 1, 1)) == date(2201, 1, 1)
    with pytest.raises(AnswerError) as info:  # the cap counts from such a bound
        parse_date("9999-12-31", ctx_at(), not_before=date(2200, 1, 1))
    assert info.value.params["bound"] == date(2300, 1, 1)
