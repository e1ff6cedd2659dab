"""Dates people type short or loosely: "2w", "friday next week", "mid december", "january",
"end of january", "beginning of next month"; read on the speaker's calendar, bounds still hold.

The clock is Sunday 2026-11-29 23:30 UTC unless a test says otherwise: in Berlin it is already
Monday 2026-11-30, so "next week" is the week of 7 December there and of 30 November in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.engine.answers import AnswerError, ParseContext, parse_date
from bot.engine.questions import is_done_word
from bot.model import Actor

NOW = "2026-11-29T23:30:00+00:00"


def ctx_at(now: str = NOW, tz: str = "Europe/Berlin") -> ParseContext:
    return ParseContext(now=datetime.fromisoformat(now), tz=ZoneInfo(tz), speaker=Actor("console:alice", "alice"))


@pytest.mark.parametrize(
    ("text", "berlin", "utc"),
    [
        ("2w", date(2026, 12, 14), date(2026, 12, 13)),
        ("3d", date(2026, 12, 3), date(2026, 12, 2)),
        ("in 3 wks", date(2026, 12, 21), date(2026, 12, 20)),
        ("1m", date(2026, 12, 30), date(2026, 12, 29)),  # a month: no due date is a minute away
        ("friday next week", date(2026, 12, 11), date(2026, 12, 4)),
        ("next week friday", date(2026, 12, 11), date(2026, 12, 4)),
        ("mon of next week", date(2026, 12, 7), date(2026, 11, 30)),
    ],
)
def test_short_forms_and_a_day_of_next_week_are_read_in_the_speakers_zone(text, berlin, utc):
    assert parse_date(text, ctx_at()) == berlin
    assert parse_date(text, ctx_at(tz="UTC")) == utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("january", date(2027, 1, 1)),  # a month alone: the 1st of the next one to start
        ("by jan", date(2027, 1, 1)),
        ("in March", date(2027, 3, 1)),
        ("december", date(2026, 12, 1)),
        ("november", date(2027, 11, 1)),  # this one has started: next year's
        ("mid december", date(2026, 12, 15)),
        ("mid-dec", date(2026, 12, 15)),
        ("middle of january", date(2027, 1, 15)),
        ("mid november", date(2027, 11, 15)),  # this one's middle is past
        ("end of january", date(2027, 1, 31)),
        ("end of november", date(2026, 11, 30)),  # this one's end is still to come
        ("mid next month", date(2026, 12, 15)),
        ("beginning of next month", date(2026, 12, 1)),
        ("start of february", date(2027, 2, 1)),
    ],
)
def test_a_month_its_middle_start_or_end(text, expected):
    assert parse_date(text, ctx_at(tz="UTC")) == expected


def test_bounds_still_refuse_what_falls_outside():
    with pytest.raises(AnswerError) as info:
        parse_date("january", ctx_at(tz="UTC"), not_after=date(2026, 12, 31))
    assert info.value.code == "date_too_late"
    with pytest.raises(AnswerError) as info:
        parse_date("friday next week", ctx_at(tz="UTC"), not_before=date(2026, 12, 5))
    assert info.value.code == "date_too_early"


@pytest.mark.parametrize("text", ["mayday", "2x", "mid", "end of janvier"])
def test_words_that_name_no_month_or_unit_are_not_dates(text):
    with pytest.raises(AnswerError) as info:
        parse_date(text, ctx_at(tz="UTC"))
    assert info.value.code == "date_invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow eod", date(2026, 11, 30)),
        ("Tomorrow EOD.", date(2026, 11, 30)),
        ("by end of day tomorrow", date(2026, 11, 30)),
        ("friday cob", date(2026, 12, 4)),
        ("eod friday", date(2026, 12, 4)),
        ("monday, by eod", date(2026, 11, 30)),
        ("cob", date(2026, 11, 29)),
    ],
)
def test_the_end_of_a_day_said_beside_the_day_is_that_day(text, expected):
    assert parse_date(text, ctx_at(tz="UTC")) == expected


@pytest.mark.parametrize("text", ["that’s all", "That’s it.", "that is all", "we're done", "No more actions"])
def test_more_ways_to_end_a_list_are_done_words(text):
    assert is_done_word(text)


def test_bounds_that_cross_on_the_day_leave_not_before_alone() -> None:
    """``not_before: tomorrow`` and ``not_after: end of month`` on the month's last day: tomorrow is
    after the month's end, so no answer fitted both, and the run waited for good."""
    from bot.engine.model import Question
    from bot.engine.questions import expects, parse

    q = Question(id="when", ask="When?", type="date", not_before="tomorrow", not_after="end of month")
    last_day = ctx_at("2026-12-31T10:00:00+00:00", "UTC")
    assert parse(q, "2027-01-05", last_day) == "2027-01-05"
    assert expects(q, last_day)["not_before"] == "2027-01-01" and expects(q, last_day)["not_after"] is None
    with pytest.raises(AnswerError) as early:
        parse(q, "today", last_day)
    assert early.value.code == "date_too_early"
    mid_month = ctx_at("2026-12-10T10:00:00+00:00", "UTC")
    with pytest.raises(AnswerError) as late:
        parse(q, "2027-01-05", mid_month)  # on other days both bounds hold
    assert late.value.code == "date_too_late"
