"""Tests for bot.engine.answers: every parser, its fast paths and its error codes."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.engine.answers import (
    AnswerError,
    Option,
    ParseContext,
    describe_date,
    parse_choice,
    parse_date,
    parse_number,
    parse_person,
    parse_text,
    parse_yes_no,
    resolve_bound,
)
from bot.model import Actor

PARIS = ZoneInfo("Europe/Paris")
ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
BOBBY = Actor("console:bobby", "Bobby")
CAROL = Actor("slack:U0CAROL", "carol")
DAVE = Actor("slack:U0DAVE", "dave")


def make_ctx(
    now: str = "2026-11-26T15:00:00+00:00",  # a Thursday, 16:00 in Paris
    tz: str = "Europe/Paris",
    **kwargs,
) -> ParseContext:
    return ParseContext(now=datetime.fromisoformat(now), tz=ZoneInfo(tz), speaker=ALICE, **kwargs)


CTX = make_ctx()


def error_of(func, *args, **kwargs) -> AnswerError:
    with pytest.raises(AnswerError) as info:
        func(*args, **kwargs)
    return info.value


# --- AnswerError ------------------------------------------------------------------------------


def test_answer_error_carries_code_and_params():
    err = AnswerError("too_long", max=10)
    assert isinstance(err, ValueError)
    assert (err.code, err.params) == ("too_long", {"max": 10})
    assert str(err) == "too_long(max=10)"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.params) == ("too_long", {"max": 10})


def test_import_does_not_load_dateparser():
    root = Path(__file__).resolve().parents[2]
    code = "import sys, bot.engine.answers; print('dateparser' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


# --- text -------------------------------------------------------------------------------------


def test_text_is_stripped():
    assert parse_text("  the disk is full \n") == "the disk is full"


@pytest.mark.parametrize(
    ("text", "kwargs", "code", "params"),
    [
        ("   ", {}, "empty", {}),
        ("abc", {"min_length": 5}, "too_short", {"min": 5}),
        ("abcdef", {"max_length": 5}, "too_long", {"max": 5}),
    ],
)
def test_text_errors(text, kwargs, code, params):
    err = error_of(parse_text, text, **kwargs)
    assert (err.code, err.params) == (code, params)


# --- choices ----------------------------------------------------------------------------------

OPTIONS = [
    Option("rollback", "Roll back"),
    Option("fix_forward", "Fix forward"),
    Option("fire_drill", "Fire drill"),
    Option("wait", "✅ Wait and see"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "fix_forward"),
        ("4.", "wait"),
        ("rollback", "rollback"),
        ("ROLL BACK", "rollback"),
        ("fix_forward", "fix_forward"),
        ("  fire drill ", "fire_drill"),
        ("ro", "rollback"),
        ("fix", "fix_forward"),
        ("fire", "fire_drill"),
        ("wait and see", "wait"),
        ("Wa", "wait"),
    ],
)
def test_choice_accepts_number_value_label_and_prefix(text, expected):
    assert parse_choice(text, OPTIONS) == expected


def test_choice_exact_value_wins_over_index():
    options = [Option("5", "five"), Option("10", "ten"), Option("2", "two")]
    assert parse_choice("2", options) == "2"
    assert parse_choice("1", options) == "5"


def test_choice_ambiguous_prefix():
    err = error_of(parse_choice, "fi", OPTIONS)
    assert err.code == "choice_ambiguous"
    assert err.params == {"candidates": ["Fix forward", "Fire drill"]}


@pytest.mark.parametrize("text", ["5", "0", "r", "maybe", "rollbackx"])
def test_choice_unknown(text):
    err = error_of(parse_choice, text, OPTIONS)
    assert err.code == "choice_unknown"
    assert err.params == {"options": ["Roll back", "Fix forward", "Fire drill", "✅ Wait and see"]}


def test_choice_empty():
    assert error_of(parse_choice, " ", OPTIONS).code == "empty"


# --- yes / no ---------------------------------------------------------------------------------

YES = [
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "ok",
    "okay",
    "sure",
    "accept",
    "accepted",
    "agree",
    "confirm",
    "true",
    "👍",
]
NO = [
    "no",
    "n",
    "nope",
    "nah",
    "decline",
    "declined",
    "reject",
    "refuse",
    "false",
    "👎",
]


@pytest.mark.parametrize("text", [*YES, "Yes!", "OK.", " YEP ", "👍🏽", "Sure?"])
def test_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", [*NO, "no.", "NOPE!!", "👎🏻"])
def test_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(("text", "code"), [("maybe", "yes_no"), ("  ", "empty")])
def test_yes_no_errors(text, code):
    assert error_of(parse_yes_no, text).code == code


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("-3", -3),
        ("+7", 7),
        ("12.5", 12.5),
        ("12,5", 12.5),
        ("1,234", 1234),
        ("1 234", 1234),
        ("1,234,567.25", 1234567.25),
        ("12%", 12),
        ("12.5 %", 12.5),
        ("1.5k", 1500),
        ("2K", 2000),
        ("0.5", 0.5),
        (".5", 0.5),
        ("3.0", 3),
        ("\u22124", -4),
    ],
)
def test_number(text, expected):
    value = parse_number(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ["abc", "12abc", "1,234,5", "1.2.3", "-", "k", "%"])
def test_number_invalid(text):
    assert error_of(parse_number, text).code == "number_invalid"


def test_number_bounds_are_inclusive():
    assert parse_number("1", minimum=1, maximum=5) == 1
    assert parse_number("5", minimum=1, maximum=5) == 5
    err = error_of(parse_number, "0", minimum=1, maximum=5)
    assert (err.code, err.params) == ("number_too_small", {"minimum": 1})
    err = error_of(parse_number, "5.5", minimum=1, maximum=5)
    assert (err.code, err.params) == ("number_too_large", {"maximum": 5})


def test_number_empty():
    assert error_of(parse_number, "").code == "empty"


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


@pytest.mark.parametrize("text", ["blah", "asap", "2026-02-30", "5", "1700000000", "in 9999 years"])
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


def test_describe_date():
    assert describe_date(date(2026, 12, 4), CTX) == "Fri 2026-12-04"
    assert describe_date(date(2026, 11, 30), CTX) == "Mon 2026-11-30"


# --- people -----------------------------------------------------------------------------------

PEOPLE = (ALICE, BOB, BOBBY, CAROL, DAVE)


@pytest.mark.parametrize("text", ["me", "Me", "myself", "I"])
def test_person_me(text):
    assert parse_person(text, make_ctx(people=PEOPLE)) == ALICE


def test_person_mention_token():
    ctx = make_ctx(people=PEOPLE, mentions={"@bob": BOB, "<at>Dave</at>": DAVE})
    assert parse_person("@bob", ctx) == BOB
    assert parse_person("<at>Dave</at>", ctx) == DAVE
    assert parse_person("it's <at>Dave</at> please", ctx) == DAVE


def test_person_two_mentions_are_ambiguous():
    ctx = make_ctx(people=PEOPLE, mentions={"@bob": BOB, "@carol": CAROL})
    err = error_of(parse_person, "@bob or @carol", ctx)
    assert err.code == "person_ambiguous"
    assert err.params == {"name": "@bob or @carol", "candidates": ["bob", "carol"]}


def test_person_slack_raw_mention():
    ctx = make_ctx(people=PEOPLE, channel="slack")
    assert parse_person("<@U0CAROL>", ctx) == CAROL
    assert parse_person("<@U0ZED|zed>", ctx) == Actor("slack:U0ZED", "zed")
    assert parse_person("<@U0ZED>", ctx) == Actor("slack:U0ZED", "U0ZED")


def test_person_neutral_id():
    ctx = make_ctx(people=PEOPLE)
    assert parse_person("console:bob", ctx) == BOB
    assert parse_person("slack:U0DAVE", ctx) == DAVE
    assert parse_person("teams:29:1abc", ctx) == Actor("teams:29:1abc", "29:1abc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bob", BOB),
        ("@BOB", BOB),
        ("bobby", BOBBY),
        ("Car", CAROL),
        ("@da", DAVE),
        ("u0dave", DAVE),
        ("alice", ALICE),
    ],
)
def test_person_by_name(text, expected):
    assert parse_person(text, make_ctx(people=PEOPLE)) == expected


def test_person_same_name_on_two_channels_is_ambiguous():
    ctx = make_ctx(people=(BOB, Actor("slack:U0BOB", "Bob")))
    err = error_of(parse_person, "bob", ctx)
    assert (err.code, err.params) == (
        "person_ambiguous",
        {"name": "bob", "candidates": ["bob", "Bob"]},
    )


def test_person_exact_beats_prefix_and_prefix_can_be_ambiguous():
    ctx = make_ctx(people=(BOB, BOBBY))
    assert parse_person("bob", ctx) == BOB
    err = error_of(parse_person, "@bo", ctx)
    assert err.code == "person_ambiguous"
    assert err.params == {"name": "bo", "candidates": ["bob", "Bobby"]}


def test_person_unknown_on_console_with_at_is_created():
    ctx = make_ctx(people=PEOPLE)
    assert parse_person("@Zed", ctx) == Actor("console:zed", "Zed")


def test_person_unknown_on_console_without_at():
    err = error_of(parse_person, "zed", make_ctx(people=(BOB,)))
    assert err.code == "person_unknown"
    assert err.params == {"name": "zed", "known": ["bob", "alice"]}


def test_person_unknown_on_slack():
    err = error_of(parse_person, "@zed", make_ctx(people=(CAROL,), channel="slack"))
    assert err.code == "person_unknown"
    assert err.params == {"name": "zed", "known": ["carol", "alice"]}


@pytest.mark.parametrize(("text", "code"), [("", "empty"), ("@", "empty")])
def test_person_empty(text, code):
    assert error_of(parse_person, text, make_ctx(people=PEOPLE)).code == code
