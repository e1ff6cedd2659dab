"""bot.engine.answers: the date parser, its fast paths, its dateparser fallback, bounds and
error codes. Helpers in tests/engine/test_answers.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.engine.answers import ParseContext, parse_date, resolve_bound
from tests.engine.test_answers import ALICE, CTX, error_of, make_ctx

# --- dates: fast paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("today", date(2026, 11, 26)),
        ("Tomorrow", date(2026, 11, 27)),
        ("yesterday", date(2026, 11, 25)),
        ("in 1 day", date(2026, 11, 27)),
        ("in 3 days", date(2026, 11, 29)),
        ("in a week", date(2026, 12, 3)),
        ("in 2 weeks", date(2026, 12, 10)),
        ("2 weeks from now", date(2026, 12, 10)),
        ("10 days from today", date(2026, 12, 6)),
        ("in 1 month", date(2026, 12, 26)),
        ("in 3 months", date(2027, 2, 26)),
        ("next week", date(2026, 12, 3)),
        ("next month", date(2026, 12, 26)),
        ("friday", date(2026, 11, 27)),
        ("Fri", date(2026, 11, 27)),
        ("next friday", date(2026, 11, 27)),
        ("thursday", date(2026, 12, 3)),
        ("next thu", date(2026, 12, 3)),
        ("monday", date(2026, 11, 30)),
        ("sunday", date(2026, 11, 29)),
        ("wed", date(2026, 12, 2)),
        ("end of month", date(2026, 11, 30)),
        ("end of the month", date(2026, 11, 30)),
        ("EOM", date(2026, 11, 30)),
        ("end of week", date(2026, 11, 27)),
        ("end of quarter", date(2026, 12, 31)),
        ("end of year", date(2026, 12, 31)),
        ("end of next month", date(2026, 12, 31)),
        ("end of next quarter", date(2027, 3, 31)),
        ("  In  2   Weeks. ", date(2026, 12, 10)),
    ],
)
def test_date_fast_paths(text, expected):
    assert parse_date(text, CTX) == expected


def test_date_months_clamp_to_month_end():
    jan31 = make_ctx("2027-01-31T12:00:00+00:00")
    assert parse_date("in 1 month", jan31) == date(2027, 2, 28)
    assert parse_date("next month", jan31) == date(2027, 2, 28)
    assert parse_date("end of next month", jan31) == date(2027, 2, 28)
    leap = make_ctx("2028-01-31T12:00:00+00:00")
    assert parse_date("in 1 month", leap) == date(2028, 2, 29)
    assert parse_date("in 13 months", make_ctx("2026-03-31T12:00:00+00:00")) == date(2027, 4, 30)


def test_date_end_of_week_on_friday_and_weekend():
    friday = make_ctx("2026-11-27T10:00:00+00:00")
    saturday = make_ctx("2026-11-28T10:00:00+00:00")
    assert parse_date("end of week", friday) == date(2026, 11, 27)
    assert parse_date("friday", friday) == date(2026, 12, 4)
    assert parse_date("end of week", saturday) == date(2026, 12, 4)


def test_date_end_of_quarter_mid_year():
    may = make_ctx("2026-05-10T10:00:00+00:00")
    assert parse_date("end of quarter", may) == date(2026, 6, 30)
    assert parse_date("end of next quarter", may) == date(2026, 9, 30)


def test_date_uses_local_day_not_utc_day():
    tokyo = make_ctx("2026-11-26T23:30:00+00:00", "Asia/Tokyo")  # Fri 27th 08:30 there
    assert parse_date("today", tokyo) == date(2026, 11, 27)
    assert parse_date("tomorrow", tokyo) == date(2026, 11, 28)
    assert parse_date("friday", tokyo) == date(2026, 12, 4)
    assert parse_date("end of week", tokyo) == date(2026, 11, 27)
    la = make_ctx("2026-11-27T05:00:00+00:00", "America/Los_Angeles")  # Thu 26th 21:00
    assert parse_date("today", la) == date(2026, 11, 26)
    assert parse_date("friday", la) == date(2026, 11, 27)


def test_date_naive_now_is_taken_as_utc():
    ctx = ParseContext(datetime(2026, 11, 26, 23, 30), ZoneInfo("Asia/Tokyo"), ALICE)
    assert parse_date("today", ctx) == date(2026, 11, 27)


# --- dates: dateparser fallback ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("December 3", date(2026, 12, 3)),
        ("3 Dec 2026", date(2026, 12, 3)),
        ("November 20", date(2027, 11, 20)),  # past this year: the future one
        ("the 5th of december", date(2026, 12, 5)),
    ],
)
def test_date_dateparser_fallback(text, expected):
    assert parse_date(text, CTX) == expected


def test_date_dateparser_converts_explicit_zone_to_speaker_zone():
    tokyo = make_ctx("2026-11-26T23:30:00+00:00", "Asia/Tokyo")
    assert parse_date("December 3 23:30 UTC", tokyo) == date(2026, 12, 4)


@pytest.mark.parametrize(
    "text", ["blah", "2026-02-30", "5", "1700000000", "in 9999 years"]
)  # asap: tests/test_words_left.py
def test_date_invalid(text):
    assert error_of(parse_date, text, CTX).code == "date_invalid"


def test_date_empty():
    assert error_of(parse_date, " ", CTX).code == "empty"


def test_date_bounds():
    today, last = date(2026, 11, 26), date(2026, 12, 31)
    assert parse_date("today", CTX, not_before=today) == today
    assert parse_date("2026-12-31", CTX, not_after=last) == last
    err = error_of(parse_date, "yesterday", CTX, not_before=today, not_after=last)
    assert (err.code, err.params) == ("date_too_early", {"bound": today})
    err = error_of(parse_date, "2027-01-05", CTX, not_before=today, not_after=last)
    assert (err.code, err.params) == ("date_too_late", {"bound": last})
    err = error_of(parse_date, "January 5", CTX, not_after=last)
    assert (err.code, err.params) == ("date_too_late", {"bound": last})


def test_resolve_bound():
    assert resolve_bound(None, CTX) is None
    assert resolve_bound("today", CTX) == date(2026, 11, 26)
    assert resolve_bound("tomorrow", CTX) == date(2026, 11, 27)
    assert resolve_bound("2026-12-31", CTX) == date(2026, 12, 31)
    assert resolve_bound("end of month", CTX) == date(2026, 11, 30)
    assert resolve_bound("December 3", CTX) == date(2026, 12, 3)
    assert resolve_bound(date(2027, 1, 1), CTX) == date(2027, 1, 1)
    instant = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert resolve_bound(instant, CTX) == date(2026, 11, 27)  # 00:30 in Paris
    assert error_of(resolve_bound, "whenever", CTX).code == "date_invalid"
