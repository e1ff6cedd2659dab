"""People named through the platform a Rasa assistant relays: Rasa's Slack connector passes Slack's
text on (a mention is ``<@U0BOB>``) with Slack user ids as sender ids, Twilio's sender ids are
``whatsapp:+1415...``, and the Bot Framework connector keeps Teams' ``<at>Bob Smith</at>``. Each now
names the Rasa sender (``rasa:U0BOB``, ``rasa:whatsapp:+1415...``), whose question reaches them when
they next call an action; before, the engine read them as ``slack:U0BOB`` or ``whatsapp:+1415...``,
people who never call, and the run stalled. A person Rasa cannot name is re-prompted with what works
through Rasa, not with "@mention someone"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels import rasa_replies as rr
from bot.model import Actor
from tests.rasa_support import Server, request, running_actions, slot, texts

POST_MEETING = ("We ship", "Draft plan")  # the decision and the first action, before its owner


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_slack_markup_and_teams_names_in_a_text_name_rasa_senders() -> None:
    known = [Actor("rasa:U0BOB", "Bob"), Actor("rasa:29:1carol", "Carol Jones")]
    text = "<@U0BOB> and <@U0ZED|zed>, <@U0YAN>, <at>Carol Jones</at> or <at>Nobody</at> @amy"
    assert rr.mentions(text, known) == {
        "@amy": Actor("rasa:amy", "amy"),
        "<@U0BOB>": Actor("rasa:U0BOB", "Bob"),
        "<@U0ZED|zed>": Actor("rasa:U0ZED", "zed"),
        "<@U0YAN>": Actor("rasa:U0YAN", "U0YAN"),
        "<at>Carol Jones</at>": Actor("rasa:29:1carol", "Carol Jones"),
    }  # a Teams name no participant has names no sender id: not a mention


def test_participants_given_in_slack_markup_are_their_sender_ids() -> None:
    given: list[Any] = ["<@U0B>", " <@U0C|carol>", "@dan", {"id": "<@U0E>", "name": "Eve"}, {"id": "<@U0F|fay>"}]
    assert rr.participants(given) == [
        Actor("rasa:U0B", "U0B"),
        Actor("rasa:U0C", "carol"),
        Actor("rasa:dan", "dan"),
        Actor("rasa:U0E", "Eve"),
        Actor("rasa:U0F", "fay"),
    ]


def test_participants_given_as_slack_mentions_are_the_rasa_senders(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_participants": "<@U0RVB>, <@U0RVC>"}
    status, body = server.act("action_decision_start", "U0RVA", "/decision_start", slots=slots)
    assert status == 200
    run_id = body["events"][0]["value"]
    ids = server.sql("SELECT json_extract(context, '$.roles.participants') FROM runs WHERE id = ?", run_id)[0][0]
    assert ids == '[{"id":"rasa:U0RVB","name":"U0RVB"},{"id":"rasa:U0RVC","name":"U0RVC"}]'


@pytest.mark.parametrize(
    ("alice", "bob", "named_as"),
    [
        ("U0RVALICE", "U0RVBOB", "<@U0RVBOB>"),  # Rasa's Slack connector: a mention arrives as <@U…>
        ("whatsapp:+14155550001", "whatsapp:+14155550002", "whatsapp:+14155550002"),  # Twilio's sender ids
    ],
)
def test_an_owner_named_as_the_platform_behind_rasa_shows_them_is_that_rasa_sender(
    server: Server, alice: str, bob: str, named_as: str
) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly", "decision_participants": [bob]}
    server.act("action_decision_start", alice, "/decision_start", slots=slots)
    for answer in (*POST_MEETING, named_as, "2099-01-15", "done"):
        status, _ = server.act("action_decision_answer", alice, answer, slots=slots)
        assert status == 200
    owner = server.sql("SELECT value FROM answers WHERE field = 'owner' AND actor_id = ?", f"rasa:{alice}")
    assert owner == [(f'{{"id": "rasa:{bob}", "name": "{bob}"}}',)]
    _, seen = server.act("action_decision_status", bob, "/decision_status")
    assert any("Do you accept it?" in t for t in texts(seen)), (owner, texts(seen))


def test_a_start_typed_with_a_slack_mention_takes_them_as_a_participant(server: Server) -> None:
    _, started = server.act("action_decision_answer", "U0RVFAY", "start post_meeting <@U0RVDAVE> Retro")
    [(run_id, title, people)] = server.sql(
        "SELECT id, json_extract(context, '$.trigger.title'), json_extract(context, '$.roles.participants')"
        " FROM runs WHERE facilitator_id = 'rasa:U0RVFAY'"
    )
    assert (title, people) == ("Retro", '[{"id":"rasa:U0RVDAVE","name":"U0RVDAVE"}]')
    assert texts(started) == [
        f"Started run #{run_id} (post_meeting): 'Retro', with U0RVDAVE.",
        "What was decided in Retro?",
    ]


def test_a_teams_mention_relayed_by_rasa_names_the_participant_of_that_name(server: Server) -> None:
    people = [{"id": "29:1rvbob", "name": "Bob Smith"}]
    slots = {"decision_flow": "post_meeting", "decision_title": "Teams sync", "decision_participants": people}
    server.act("action_decision_start", "29:1rvann", "/decision_start", slots=slots)
    for answer in POST_MEETING:
        server.act("action_decision_answer", "29:1rvann", answer, slots=slots)
    _, unknown = server.act("action_decision_answer", "29:1rvann", "<at>Zed Zee</at>", slots=slots)
    assert texts(unknown) == [
        "I don't know '<at>Zed Zee</at>'. Name a participant (29:1rvann, Bob Smith), say 'me',"
        " or give their sender id as @id."
    ]
    _, named = server.act("action_decision_answer", "29:1rvann", "<at>Bob Smith</at>", slots=slots)
    assert texts(named) == ["Action 1: By when should 'Draft plan' be done?"]
    owner = server.sql("SELECT value FROM answers WHERE field = 'owner' AND actor_id = 'rasa:29:1rvann'")
    assert owner == [('{"id": "rasa:29:1rvbob", "name": "Bob Smith"}',)]


def test_a_form_owner_in_slack_markup_is_the_rasa_sender(server: Server) -> None:
    events = [
        {"event": "active_loop", "name": "decision_form"},
        {"event": "slot", "name": "decision_due", "value": "2099-01-15"},
        {"event": "slot", "name": "decision_owner", "value": "<@U0RVGIL>"},
    ]
    form = {"decision_participants": "U0RVGIL", "decision_due": "2099-01-15", "decision_owner": "<@U0RVGIL>"}
    status, body = server.post(request("validate_decision_form", "U0RVHAL", "<@U0RVGIL>", slots=form, events=events))
    assert status == 200 and body["responses"] == []
    assert body["events"][1:] == [slot("decision_owner", "U0RVGIL"), slot("decision_owner_id", "rasa:U0RVGIL")]


@pytest.mark.parametrize("given", ["x" * 1_000_000, "bob\x1b[2J", [{"id": "y" * 400, "name": "Y"}]])
def test_a_participant_no_sender_id_can_be_is_a_bad_call_said_briefly(given: Any) -> None:
    """As a trigger's people are refused at the hooks (bot/triggers.bad_person): an id longer than
    any platform gives (300 characters) or with a control character; the 400 does not repeat a
    megabyte back to Rasa and into the action server's log."""
    with pytest.raises(rr.BadCall) as refused:
        rr.participants(given)
    said = str(refused.value)
    assert "not a sender id" in said and len(said) < 400 and "\x1b" not in said
    assert rr.participants(["whatsapp:+14155550100", "a" * 64 + "@example.org"])  # ids platforms give are taken


def test_an_at_id_is_the_whole_id_whatever_characters_it_holds() -> None:
    """Sender ids may hold any character but spaces and markup: ``@bob/x`` was read as ``@bob`` and
    ``@o'neil`` as ``@o``, other people (an action owned by rasa:bob, who was asked to take it)."""
    known = [Actor("rasa:bob/x", "Bob X"), Actor("rasa:bob", "Bob")]
    assert rr.mentions("@bob/x, @o'neil and @a#1!", known) == {
        "@bob/x": Actor("rasa:bob/x", "Bob X"),
        "@o'neil": Actor("rasa:o'neil", "o'neil"),
        "@a#1": Actor("rasa:a#1", "a#1"),
    }
    assert rr.mentions("@bob.", known) == {"@bob": Actor("rasa:bob", "Bob")}  # a sentence's stop is not the id's
    for aside in ("(owner @bob), due friday", "give A1 to @bob)", "@bob's team", "@bob…"):
        assert rr.mentions(aside, known) == {"@bob": Actor("rasa:bob", "Bob")}, aside
    for longer in ("@bob_smith", "@bob-2", "@bob.smith@example.org"):  # another id than bob's, whole
        assert rr.mentions(longer, known) == {longer: Actor(f"rasa:{longer[1:]}", longer[1:])}, longer
    assert rr.mentions("@ßx", [Actor("rasa:ss", "S")]) == {"@ßx": Actor("rasa:ßx", "ßx")}


@pytest.mark.parametrize("entry", [None, True, 1.5, ["bob"]])
def test_a_participant_that_is_no_id_is_refused_naming_it(entry: Any) -> None:
    """``[null]`` became a participant "rasa:None", whom typing None then made an owner."""
    with pytest.raises(rr.BadCall, match="in decision_participants is not a sender id"):
        rr.participants([entry])
    with pytest.raises(rr.BadCall, match="true in decision_participants is not a sender id"):
        rr.participants([{"id": True}])
    assert rr.participants([5]) == [Actor("rasa:5", "5")]  # a numeric id (Telegram's) is an id


def test_names_and_titles_from_slots_are_one_line_and_bounded(server: Server) -> None:
    """A line break in ``decision_user_name`` (or a participant's name, or the title) printed forged
    lines in ``runs show`` ("Eve\\n  07:29:23 bot -> everyone: Decision recorded: FAKE"), and a
    20,000-character name was kept whole."""
    forged = "Eve\n  07:29:23 bot -> everyone: Decision recorded: FAKE"
    slots = {
        "decision_flow": "post_meeting",
        "decision_title": "Real title\n  07:29:23 bot -> everyone: FAKE",
        "decision_user_name": forged,
        "decision_participants": [{"id": "pete", "name": "Pete\nSmith"}],
    }
    status, body = server.act("action_decision_start", "nm8", "/decision_start", slots=slots)
    assert status == 200
    run_id = body["events"][0]["value"]
    context = "SELECT json_extract(context, '$.roles.facilitator.name'), json_extract(context, '$.roles.participants')"
    name, people = server.sql(f"{context} FROM runs WHERE id = ?", run_id)[0]
    assert name == "Eve 07:29:23 bot -> everyone: Decision recorded: FAKE"
    assert people == '[{"id":"rasa:pete","name":"Pete Smith"}]'
    assert server.sql("SELECT title FROM events e JOIN runs r ON r.event_id = e.id WHERE r.id = ?", run_id) == [
        ("Real title 07:29:23 bot -> everyone: FAKE",)
    ]
    assert rr.actor_of("x", {"decision_user_name": "n" * 20_000}).name == "n" * rr.NAME_MAX
