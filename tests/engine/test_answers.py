"""Tests for bot.engine.answers: every parser, its fast paths and its error codes."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.engine.answers import AnswerError, Option, ParseContext, parse_choice, parse_number, parse_text, parse_yes_no
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
        ("\u200b", {}, "empty", {}),  # a zero-width space alone shows nothing
        (" \u200b\ufeff\u2060 ", {}, "empty", {}),
        ("\x00", {}, "control", {}),  # a NUL: sqlite3 and C tools cut the text there
        ("We decided \x00 hidden tail", {}, "control", {}),
        ("launch\x1b[2J", {}, "control", {}),
    ],
)
def test_text_errors(text, kwargs, code, params):
    err = error_of(parse_text, text, **kwargs)
    assert (err.code, err.params) == (code, params)


def test_text_with_tabs_line_breaks_and_joined_emoji_is_taken():
    assert parse_text("Plan:\tdraft\r\nthen ship") == "Plan:\tdraft\r\nthen ship"
    assert (
        parse_text("Family \U0001f468\u200d\U0001f469\u200d\U0001f467 day")
        == "Family \U0001f468\u200d\U0001f469\u200d\U0001f467 day"
    )


def test_text_of_exactly_the_bounds_is_taken():
    assert parse_text("abcde", min_length=5) == "abcde"
    assert parse_text("abcde", max_length=5) == "abcde"


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


@pytest.mark.parametrize("text", ["5", "0", "r", "maybe", "launch", "fxi"])
def test_choice_unknown(text):
    err = error_of(parse_choice, text, OPTIONS)
    assert err.code == "choice_unknown"
    assert err.params == {"options": ["Roll back", "Fix forward", "Fire drill", "✅ Wait and see"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("rollbackx", "rollback"), ("rol back", "rollback"), ("fix froward", "fix_forward"), ("fire dril", "fire_drill")],
)
def test_choice_takes_a_typo_of_one_option(text, expected):
    assert parse_choice(text, OPTIONS) == expected


SEVERITY = [Option("sev1", "Critical"), Option("low", "Minor")]


@pytest.mark.parametrize(("text", "expected"), [("cr", "sev1"), ("se", "sev1"), ("mi", "low"), ("lo", "low")])
def test_choice_takes_a_prefix_of_its_label_alone_or_of_its_value_alone(text, expected):
    assert parse_choice(text, SEVERITY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("kep", "keep"), ("wacth", "watch")],  # three letters; as alike as a typo may be (difflib: 0.8)
)
def test_choice_takes_a_typo_at_the_edges_of_what_is_read_as_one(text, expected):
    options = [Option("keep", "Keep it"), Option("watch", "Watch it"), Option("drop", "Drop it")]
    assert parse_choice(text, options) == expected


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


@pytest.mark.parametrize("text", ["Yes, I can take that on.", "ok 👍", "yes please", "Sure - by Friday", "Of course!"])
def test_yes_in_a_sentence(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["No, sorry.", "nope - I'm away", "no thanks", "Not really"])
def test_no_in_a_sentence(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "no problem",
        "No problem!",
        "No worries",
        "sure thing",
        "Will do.",
        "will do 👍",
        "Yes I can",
        "Thanks, will do",
        "lgtm",
    ],
)
def test_yes_in_other_words(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "can't",
        "Can\u2019t",
        "cannot",
        "not me",
        "Not me.",
        "Sorry, I can't",
        "I can't, I'm out next week",
        "Nope, not me",
    ],
)
def test_no_in_other_words(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    ("text", "code"),
    [("maybe", "yes_no"), ("  ", "empty"), ("no idea", "yes_no"), ("Yes. No.", "yes_no")]
    + [("yes no", "yes_no"), ("sorry", "yes_no"), ("Can't. Yes!", "yes_no"), ("Sure, but no", "yes_no")]
    + [("...", "yes_no"), ("?!", "yes_no")],  # punctuation alone: no word, so neither
)
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
