"""bot.engine.people: the person parser (me, mentions, ids, names; ambiguous and unknown people).
Helpers in tests/engine/test_answers.py."""

from __future__ import annotations

import pytest

from bot import texts
from bot.engine.people import parse_person
from bot.model import Actor
from tests.engine.test_answers import ALICE, BOB, BOBBY, CAROL, DAVE, error_of, make_ctx

# --- people -----------------------------------------------------------------------------------

PEOPLE = (ALICE, BOB, BOBBY, CAROL, DAVE)


@pytest.mark.parametrize(
    "text",
    [
        "me",
        "Me",
        "myself",
        "I",
        "Me!",
        "me.",
        "mine",
        "I will",
        "I'll take it.",
        "I’ll do it",
        "on it",
        "I got it",
        "I've got this",
    ],
)
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


def test_person_whose_platform_id_is_the_whole_text():
    """A sender id shaped as a neutral id (Twilio's, through Rasa) names the known person with that
    platform id, not a person of a channel the bot has none of; a known id still comes first."""
    wendy = Actor("rasa:whatsapp:+14155550002", "Wendy")
    ctx = make_ctx(people=(*PEOPLE, wendy), channel="rasa")
    assert parse_person("whatsapp:+14155550002", ctx) == wendy
    assert parse_person("rasa:whatsapp:+14155550002", ctx) == wendy
    assert parse_person("whatsapp:+14155550009", ctx) == Actor("whatsapp:+14155550009", "+14155550009")
    shadow = Actor("rasa:slack:U0DAVE", "Not Dave")
    assert parse_person("slack:U0DAVE", make_ctx(people=(*PEOPLE, shadow))) == DAVE


def test_person_unknown_through_rasa_says_what_works_there():
    params = {"name": "<at>Zed</at>", "known": ["bob", "alice"]}
    assert texts.answer_error("person_unknown", params, "rasa") == (
        "I don't know '<at>Zed</at>'. Name a participant (bob, alice), say 'me', or give their sender id as @id."
    )
    for channel in ("slack", "teams", "console", None):
        assert texts.answer_error("person_unknown", params, channel).endswith("say 'me', or @mention someone.")
