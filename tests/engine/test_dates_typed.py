"""Typed dates that used to be stored as the wrong day, and the date example the bot gives.

The clock is Wednesday 2026-03-04 10:00 UTC (11:00 in Berlin) unless a test says otherwise:
a day and month typed on that day ("march 4", "04.03.") is today, an earlier one this year is
next year's, and European dotted dates ("15.06.") are never read as a time (15:06).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from bot import texts
from bot.channels.teams_cards import answer_inputs
from bot.dispatch import Dispatcher
from bot.engine.answers import AnswerError, ParseContext, parse_date
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import open_db

FLOWS = Path(__file__).parents[2] / "flows"
ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CONV = ConversationKey("console", "t1")
MARCH_4 = date(2026, 3, 4)


def ctx_at(now: str = "2026-03-04T10:00:00+00:00", tz: str = "Europe/Berlin") -> ParseContext:
    return ParseContext(now=datetime.fromisoformat(now), tz=ZoneInfo(tz), speaker=ALICE)


CTX = ctx_at()
FRIDAY_NIGHT = ctx_at("2026-12-04T22:30:00+00:00")  # Friday 23:30 in Berlin


def refused(text: str, ctx: ParseContext = CTX, **bounds) -> AnswerError:
    with pytest.raises(AnswerError) as info:
        parse_date(text, ctx, **bounds)
    return info.value


# --- 1. day.month and day-month without a year ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.06.", date(2026, 6, 15)),  # was 2026-03-04 (read as 15:06)
        ("23.11.", date(2026, 11, 23)),  # was 2026-03-04 (23:11)
        ("01.12.", date(2026, 12, 1)),  # was 2026-03-05 (01:12, already past)
        ("4.3.", MARCH_4),  # was 2026-04-03 (month first)
        ("04.03.", MARCH_4),
        ("03.03.", date(2027, 3, 3)),  # earlier this year: next year's
        ("15.06", date(2026, 6, 15)),
        ("15.06.2027", date(2027, 6, 15)),
        ("15.06.27", date(2027, 6, 15)),
        ("1.5.2026", date(2026, 5, 1)),
        ("29.02.", date(2028, 2, 29)),  # the next one there is
    ],
)
def test_dotted_day_month(text, expected):
    assert parse_date(text, CTX) == expected


@pytest.mark.parametrize("text", ["30.02.", "15.13.", "32.01.2027", "0.5."])
def test_dotted_day_month_that_does_not_exist(text):
    assert refused(text).code == "date_invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("march 4", MARCH_4),  # was 2027-03-04
        ("4 march", MARCH_4),
        ("3/4", MARCH_4),  # dateparser reads it month first
        ("March 4th", MARCH_4),
        ("march 3", date(2027, 3, 3)),  # earlier this year: next year's
        ("march 3 2026", date(2026, 3, 3)),  # a year given is kept
        ("march 5", date(2026, 3, 5)),
        ("june 15", date(2026, 6, 15)),
        ("feb 29", date(2028, 2, 29)),
        ("march 4 at 9am", MARCH_4),  # earlier today is still today
    ],
)
def test_day_month_typed_today_is_today(text, expected):
    assert parse_date(text, CTX) == expected


def test_day_month_typed_today_passes_not_before_today():
    assert parse_date("march 4", CTX, not_before=MARCH_4) == MARCH_4
    assert parse_date("04.03.", CTX, not_before=MARCH_4) == MARCH_4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", MARCH_4),
        ("tomorrow", date(2026, 3, 5)),
        ("next friday", date(2026, 3, 6)),
        ("friday", date(2026, 3, 6)),
        ("wednesday", date(2026, 3, 11)),
        ("end of month", date(2026, 3, 31)),
        ("in 2 weeks", date(2026, 3, 18)),
        ("2026-12-31", date(2026, 12, 31)),
        ("31/12", date(2026, 12, 31)),
        ("12/31", date(2026, 12, 31)),
        ("December 3", date(2026, 12, 3)),
        ("tomorrow 3pm", date(2026, 3, 5)),
        ("friday 3pm", date(2026, 3, 6)),
    ],
)
def test_other_forms_still_read_the_same(text, expected):
    assert parse_date(text, CTX) == expected


TIMES_ALONE = ["15:06", "3pm", "3 p.m.", "at 3pm", "10:30 am", "15h30", "noon", "midnight", "at noon"]
# after the words people put before a day: were read (by noon today, by midnight tomorrow, by 10am
# said at 11:00 tomorrow) while the same time without "by" was refused
TIMES_ALONE_AFTER_A_LEAD = ["by noon", "by midnight", "by 3pm", "by 10am", "until 5pm", "due noon", "by 15:00 utc"]


@pytest.mark.parametrize("text", TIMES_ALONE + TIMES_ALONE_AFTER_A_LEAD)
def test_a_time_alone_is_not_a_date(text):
    error = refused(text)
    assert error.code == "date_time_alone"  # was stored as today (or tomorrow)
    reprompt = texts.answer_error(error.code, error.params)
    assert reprompt == (
        "That is a time of day; this question takes a day. Say which day: 'today', 'tomorrow', 'next Friday' or 2026-12-31."
    )


@pytest.mark.parametrize("text", ["by 5", "on 5"])
def test_a_bare_number_after_a_lead_word_is_not_a_month(text):
    assert refused(text).code == "date_invalid"  # "by 5" was stored as 2027-05-04


@pytest.mark.parametrize(
    "text", ["eod", "by eod", "end of day", "by end of day", "tonight", "by tonight", "today at noon", "noon today"]
)
def test_the_end_of_today_and_today_with_a_time_are_today(text):
    assert parse_date(text, CTX) == MARCH_4
    assert parse_date(text, FRIDAY_NIGHT) == date(2026, 12, 4)  # 23:30: still today


@pytest.mark.parametrize(
    ("text", "expected"), [("tomorrow noon", date(2026, 3, 5)), ("friday by noon", date(2026, 3, 6))]
)
def test_a_day_with_a_time_is_that_day(text, expected):
    assert parse_date(text, CTX) == expected


def test_in_the_speakers_zone_today_is_the_local_day():
    tokyo = ctx_at("2026-03-04T20:00:00+00:00", "Asia/Tokyo")  # 05:00 on March 5 in Tokyo
    assert parse_date("march 5", tokyo) == date(2026, 3, 5)
    assert parse_date("05.03.", tokyo) == date(2026, 3, 5)
    assert parse_date("march 4", tokyo) == date(2027, 3, 4)


# --- 2. the date example follows the clock ---------------------------------------------------


def test_date_example_is_always_ahead():
    assert texts.date_example(date(2026, 3, 4)) == "2026-12-31"
    assert texts.date_example(date(2026, 11, 30)) == "2026-12-31"
    assert texts.date_example(date(2026, 12, 1)) == "2027-12-31"
    assert texts.date_example(date(2027, 1, 5)) == "2027-12-31"
    assert texts.date_example(date(2027, 1, 5), not_after=date(2027, 1, 31)) == "2027-01-31"
    assert texts.date_example(date(2027, 1, 5), not_before="2028-02-01") == "2028-02-01"


@pytest.mark.parametrize(
    "bounds",
    [
        {"not_before": date(2027, 6, 1), "not_after": date(2027, 1, 31)},  # crossed today (not every day)
        {"not_after": date(2026, 12, 1)},  # past: a pinned version's fixed bound
    ],
)
def test_no_date_is_suggested_when_the_bounds_take_none(bounds):
    assert texts.date_example(date(2027, 1, 5), **bounds) == "a date as YYYY-MM-DD"  # before: one it refuses


def test_the_reprompt_example_is_taken_the_day_it_is_given():
    january = ctx_at("2027-01-05T10:00:00+00:00")
    error = refused("soonish", january, not_before=january.today)
    text = texts.answer_error(error.code, error.params)
    assert "2026-12-31" not in text
    example = re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert example and parse_date(example[0], january, not_before=january.today) >= january.today


def test_date_texts_without_a_day_hard_code_no_year():
    assert not re.search(r"\d{4}", texts.expected("date"))
    assert not re.search(r"\d{4}", texts.answer_error("date_invalid", {}))
    card_input = answer_inputs({"type": "date", "optional": False}, [])[0]
    assert card_input["type"] == "Input.Date" and not re.search(r"\d{4}", card_input["errorMessage"])


@contextmanager
def asked_the_due_date(tmp_path: Path, now: datetime) -> Iterator[tuple[Database, Callable[[str], list[str]]]]:
    """Alice's post_meeting on a ledger whose clock reads ``now``, at the first action's due date:
    the ledger, and ``say``: what alice says, the texts of the replies."""
    db = open_db(tmp_path / "t.db")
    try:
        bot = Dispatcher(db, FlowCatalog(FLOWS, db), ZoneInfo("UTC"), clock=lambda: now)
        bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=ALICE, participants=[BOB]), CONV)

        def say(text: str) -> list[str]:
            result = bot.handle(Message(CONV, ALICE, text))
            assert result is not None
            return [reply.text for reply in result.outcome.replies]

        for text in ("We ship", "Plan", "@bob"):
            say(text)
        yield db, say
    finally:
        db.conn.close()


def test_in_a_conversation_in_2027_the_bot_suggests_a_date_it_takes(tmp_path):
    """The reviewer's run: on 2027-01-05 the help said '2026-12-31' and then refused it."""
    with asked_the_due_date(tmp_path, datetime(2027, 1, 5, 10, tzinfo=UTC)) as (_, say):
        suggested = [re.findall(r"\d{4}-\d{2}-\d{2}", line) for line in say("soonish") + say("help")]
        assert suggested == [["2027-12-31"], ["2027-12-31", "2027-01-05"]]  # help: example, then the bound
        assert say("2027-12-31")[0].startswith("Action 2: What is the action?")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the 4th", date(2026, 3, 4)),  # today: dateparser read "the 4th" as April (2026-04-04)
        ("by the 4th", date(2026, 3, 4)),
        ("on the 21st", date(2026, 3, 21)),
        ("1st", date(2026, 4, 1)),  # past this month: next month's (dateparser: January 2027)
        ("the 3rd", date(2026, 4, 3)),  # dateparser: March, and a past day of it
        ("the 31st", date(2026, 3, 31)),
        ("the 31st of the month", date(2026, 3, 31)),
        ("the 30th", date(2026, 3, 30)),
    ],
)
def test_a_day_of_the_month_is_the_next_such_day(text: str, expected: date) -> None:
    assert parse_date(text, CTX) == expected


def test_the_31st_said_in_a_month_without_one_is_the_next_month_that_has_it() -> None:
    assert parse_date("the 31st", ctx_at("2026-11-28T10:00:00+00:00")) == date(2026, 12, 31)
    assert parse_date("the 30th", ctx_at("2027-02-10T10:00:00+00:00")) == date(2027, 3, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eod", MARCH_4),
        ("end of day", MARCH_4),
        ("by tomorrow", date(2026, 3, 5)),
        ("due friday", date(2026, 3, 6)),
        ("by the end of next week", date(2026, 3, 13)),
    ],
)
def test_the_words_people_put_before_a_day_are_read(text: str, expected: date) -> None:
    assert parse_date(text, CTX) == expected


@pytest.mark.parametrize("text", ["friday 3pm", "fri 3pm", "3pm friday", "friday morning"])
def test_a_weekday_with_a_time_said_that_weekday_is_next_weeks(text: str) -> None:
    assert parse_date(text, FRIDAY_NIGHT) == date(2026, 12, 11)  # as plain "friday"; was today, past


@pytest.mark.parametrize(("text", "expected"), [("3 hours", date(2026, 12, 5)), ("in 3 hours", date(2026, 12, 5))])
def test_hours_ahead_said_late_in_the_evening_are_tomorrow(text: str, expected: date) -> None:
    assert parse_date(text, FRIDAY_NIGHT) == expected  # was read as hours ago: today ("by noon": a time alone)


@pytest.mark.parametrize(("text", "expected"), [("48h", date(2026, 3, 6)), ("72h", date(2026, 3, 7))])
def test_a_count_of_hours_is_not_a_time_of_day(text: str, expected: date) -> None:
    assert parse_date(text, CTX) == expected  # was refused as "a time alone"


def test_a_day_a_year_on_said_with_its_year_stays_a_year_on() -> None:
    """The day-month re-read (today's day and month said on that day is today's) keeps a day said a
    year on. "next year" was the example here (a year from today); it is now refused as naming no
    day (tests/engine/test_dates_years.py)."""
    assert parse_date("march 4 2027", CTX) == date(2027, 3, 4)
    assert parse_date("4 March 2027", CTX) == date(2027, 3, 4)


def test_in_a_conversation_a_time_alone_asks_for_the_day(tmp_path):
    """'by noon' was stored as today's date while 'noon' was refused: both now ask for the day."""
    with asked_the_due_date(tmp_path, datetime(2026, 3, 4, 10, tzinfo=UTC)) as (db, say):
        for text in ("by noon", "noon"):
            assert say(text) == [
                "That is a time of day; this question takes a day. Say which day: 'today', 'tomorrow', "
                "'next Friday' or 2026-12-31."
            ]
        assert say("today")[0].startswith("Action 2: What is the action?")
        due = db.conn.execute("SELECT value FROM answers WHERE field = 'due'").fetchall()
        assert due == [('"2026-03-04"',)]


@pytest.mark.parametrize("typed", ["feb 29", "29 feb", "february 29", "2/29", "29.02."])
def test_the_29th_of_february_said_that_day_is_today_not_four_years_on(typed: str) -> None:
    """Said on a 29 February, dateparser's next one is four years on (2032): the fix for a day said on that
    very day caught one year on only, so the owner's due date went to 2032 without a word."""
    from bot.engine import dates

    assert dates.read(typed, datetime(2028, 2, 29, 12, tzinfo=UTC)) == date(2028, 2, 29)


@pytest.mark.parametrize("typed", ["13/13", "25/13"])
def test_a_day_and_month_mistyped_is_no_date_not_one_in_2113(typed: str) -> None:
    from bot.engine import dates

    now = datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert dates.read(typed, now) is None  # dateparser read the 13 as the year 2113
    assert dates.read("2113-12-13", now) == date(2113, 12, 13)  # a far year written out is taken


def test_a_date_answer_of_100000_characters_is_no_date_and_never_reaches_dateparser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """dateparser took 3 to 11 s over one, holding serve's event loop: no acknowledgement, no /healthz."""
    from bot.engine import dates

    def never(*_: object) -> None:
        raise AssertionError("dateparser was given the whole text")

    monkeypatch.setattr(dates, "_dateparser", never)
    assert dates.read("1/1 " * 25_000, datetime(2026, 3, 4, 10, tzinfo=UTC)) is None
    assert dates.read("  in 2 weeks  " + " " * 1_000, datetime(2026, 3, 4, 10, tzinfo=UTC)) == date(2026, 3, 18)
