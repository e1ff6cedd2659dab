"""What reviewers typed and the bot did not take (or took wrong): "this week" as a due date (read
as today, even on a Sunday; now the end of the week), "friday week", "early january", "asap" (now
refused with a hint that a day is needed), "I can't take it on" to an owner's question, "k", and
a person named with a word after ("bob will", "@bob please"). In the terminal, piped, as the
README runs it; the readers on a fixed clock, a Sunday and a Wednesday."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.engine.answers import AnswerError, ParseContext, parse_date, parse_yes_no
from bot.engine.people import parse_person
from bot.model import Actor
from tests.test_people_words import MEETING, chat, ledger

SUNDAY = "2026-11-29T10:00:00+00:00"
WEDNESDAY = "2026-11-25T10:00:00+00:00"
BOB, CAROL = Actor("console:bob", "bob"), Actor("console:carol", "carol")


def ctx_at(now: str) -> ParseContext:
    alice = Actor("console:alice", "alice")
    return ParseContext(now=datetime.fromisoformat(now), tz=ZoneInfo("UTC"), speaker=alice, people=(BOB, CAROL))


@pytest.mark.parametrize(
    ("text", "sunday", "wednesday"),
    [
        ("this week", date(2026, 12, 4), date(2026, 11, 27)),  # its end, as 'end of week' (not today)
        ("by this week", date(2026, 12, 4), date(2026, 11, 27)),
        ("friday week", date(2026, 12, 4), date(2026, 12, 4)),  # = friday next week
        ("tue week", date(2026, 12, 1), date(2026, 12, 1)),
        ("early january", date(2027, 1, 1), date(2027, 1, 1)),  # its 1st, as 'beginning of january'
        ("late january", date(2027, 1, 31), date(2027, 1, 31)),
        ("early next month", date(2026, 12, 1), date(2026, 12, 1)),
    ],
)
def test_loose_dates_are_read(text: str, sunday: date, wednesday: date) -> None:
    assert parse_date(text, ctx_at(SUNDAY)) == sunday
    assert parse_date(text, ctx_at(WEDNESDAY)) == wednesday


@pytest.mark.parametrize("text", ["asap", "ASAP!", "a.s.a.p.", "as soon as possible", "by asap"])
def test_asap_is_refused_with_a_hint_that_a_day_is_needed(text: str) -> None:
    with pytest.raises(AnswerError) as refused:
        parse_date(text, ctx_at(SUNDAY))
    said = texts.answer_error(refused.value.code, refused.value.params)
    assert said == (
        "'As soon as possible' needs a day here: say the soonest it can be, 'today', 'tomorrow', 'friday' or 2026-12-31."
    )


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("k", True),
        ("K.", True),
        ("I can take it on", True),
        ("I can't take it on", False),
        ("Sorry, I can’t take it on.", False),
        ("i cant", False),
        ("not this week", False),
        ("Not now, sorry", False),
    ],
)
def test_yes_no_as_people_say_it(said: str, meant: bool) -> None:
    assert parse_yes_no(said) is meant


@pytest.mark.parametrize("said", ["bob will", "@bob please", "bob pls", "Bob, please.", "bob can"])
def test_a_person_with_a_word_after_is_that_person(said: str) -> None:
    assert parse_person(said, ctx_at(SUNDAY)) == BOB


def test_a_person_named_will_is_still_will_and_two_names_are_still_refused() -> None:
    will = Actor("console:will", "Will")
    ctx = ParseContext(now=datetime.fromisoformat(SUNDAY), tz=ZoneInfo("UTC"), speaker=BOB, people=(will, CAROL))
    assert parse_person("will", ctx) == will
    assert parse_person("Will please", ctx) == will
    with pytest.raises(AnswerError, match="person_unknown"):
        parse_person("carol bob", ctx)


def test_in_the_terminal_an_owner_named_with_please_asap_refused_and_cant_take_it_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECISIONBOT_TIMEZONE", "UTC")
    lines = ["We ship in March", "Draft the plan", "@bob please", "asap", "this week", "done", "/as bob"]
    out = chat(tmp_path, [*lines, "I can't take it on"], *MEETING)
    said = out.stdout
    assert "alice> @bob please\nbot -> alice: Action 1: By when should 'Draft the plan' be done?" in said
    assert "alice> asap\nbot -> alice: 'As soon as possible' needs a day here: say the soonest" in said
    today = datetime.now(ZoneInfo("UTC")).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    assert f"'Draft the plan', due {friday.isoformat()}. Do you accept it?" in said
    after = said.split("bob> I can't take it on\n")[1]
    assert after.startswith("bot -> bob: Noted. I'll ask alice to reassign it."), said
    assert ledger(tmp_path, "SELECT value FROM answers WHERE step = 'owner_accepts'") == [("false",)]
