"""Action calls as Rasa may send them, checked before rasa-sdk reads them (a diff review found each
mishandled): to `/webhook/` with its slash, deflated, with a lone surrogate as raw UTF-8 bytes;
and a sender id with `:` or `+` (Teams, Twilio behind Rasa) given as `@id`, as the re-prompt says."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator

import pytest

from tests.rasa_support import Server, request, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def _start_call(sender: str, value: str) -> bytes:
    """action_decision_start with decision_data.value written as ``value`` (raw JSON)."""
    slots = {"decision_flow": "post_meeting", "decision_title": "T", "decision_data": {"value": 1}}
    good = request("action_decision_start", sender, "/decision_start", slots=slots)
    return json.dumps(good).replace('"value": 1}', f'"value": {value}}}').encode()


def test_an_overflowing_number_sent_to_webhook_with_a_trailing_slash_is_a_400(server: Server) -> None:
    """endpoints.yml `url: http://host:5055/webhook/` reaches rasa-sdk's webhook (Sanic's routes are
    not strict about the slash) but skips the edge check (request.path != "/webhook"): 1e400 and
    NaN are stored in the run's context, which SQLite's JSON functions then refuse."""
    for sender, value in (("slash_inf", "1e400"), ("slash_nan", "NaN")):
        status, answer = server.post(None, raw=_start_call(sender, value), query="/")
        stored = server.sql("SELECT count(*) FROM runs WHERE facilitator_id = ?", f"rasa:{sender}")
        assert (status, stored) == (400, [(0,)]), (value, status, json.dumps(answer)[:200], stored)


def test_a_deflated_call_refused_by_the_loader_names_its_action(server: Server) -> None:
    """Rasa may deflate its calls (COMPRESS_ACTION_SERVER_REQUEST); the 400 names the action for a
    plain body, but rr.action_named parses the compressed bytes: action_name None."""
    status, answer = server.post(
        None, raw=zlib.compress(_start_call("defl", "1e400")), headers={"Content-Encoding": "deflate"}
    )
    assert status == 400
    assert answer["action_name"] == "action_decision_start", answer


def test_a_deflated_call_inflating_past_the_body_limit_is_a_413_and_starts_nothing(server: Server) -> None:
    """A 120 KB deflated call of 120 MB (a padded start) was inflated whole, by the edge check and
    again by rasa-sdk: a worker held GBs for a few hundred KB sent (600 KB: 1.9 GB). It is now
    inflated up to the size Sanic allows a plain body (100 MB) and refused past it."""
    call = _start_call("bomb", "1").replace(
        b'"decision_title": "T"', b'"decision_title": "T' + b" " * 120_000_000 + b'"'
    )
    status, answer = server.post(None, raw=zlib.compress(call, 9), headers={"Content-Encoding": "deflate"})
    assert (status, answer) == (
        413,
        {"error": "Bad action call: the deflated body inflates to more than 100000000 bytes.", "action_name": None},
    )
    assert server.sql("SELECT count(*) FROM runs WHERE facilitator_id = 'rasa:bomb'") == [(0,)]
    fits = zlib.compress(_start_call("bomb", "1"))
    assert server.post(None, raw=fits, headers={"Content-Encoding": "deflate"})[0] == 200
    truncated = fits[:-6]  # "deflated", but its end lost
    assert server.post(None, raw=truncated, headers={"Content-Encoding": "deflate"})[0] == 400


def test_a_title_slot_longer_than_500_characters_starts_nothing_and_says_why(server: Server) -> None:
    """Rasa fills decision_title from what its user typed: 30 MB of it started a run whose every
    question repeated it (30 MB answered back, stored again with each)."""
    slots = {"decision_flow": "post_meeting", "decision_title": "T" * 5_000}
    status, answer = server.act("action_decision_start", "long_title", "/decision_start", slots=slots)
    assert (status, texts(answer)) == (200, ["Nothing started: that title is too long (5000 characters; 500 at most)."])
    assert server.sql("SELECT count(*) FROM runs WHERE facilitator_id = 'rasa:long_title'") == [(0,)]


def test_a_lone_surrogate_as_raw_utf8_bytes_in_a_slot_is_a_400(server: Server) -> None:
    """The commit: "a lone surrogate anywhere in a call [is] a 400". As raw bytes (ED A0 80) it is
    read by Python's json ('surrogatepass') and passes bot.inbound_json's escape-only check."""
    raw = _start_call("surr", '"x"').replace(b'"decision_title": "T"', b'"decision_title": "T \xed\xa0\x80"')
    status, answer = server.post(None, raw=raw)
    assert status == 400 and "lone surrogate" in answer["error"], (status, answer)


@pytest.mark.parametrize(
    ("alice", "zed"),
    [("29:1rwann", "29:1rwzed"), ("whatsapp:+14155550101", "whatsapp:+14155550109")],  # Teams, Twilio senders
)
def test_following_the_rasa_re_prompt_names_the_sender_given_as_at_id(server: Server, alice: str, zed: str) -> None:
    """dd0bed3's re-prompt says "give their sender id as @id"; behind Teams or Twilio the sender ids
    hold a ':' that rr._MENTION stops at: '@29:1rwzed' names 'rasa:29', a person who never calls."""
    slots = {
        "decision_flow": "post_meeting",
        "decision_title": "Sync",
        "decision_participants": [{"id": "bob", "name": "Bob"}],
    }
    server.act("action_decision_start", alice, "/decision_start", slots=slots)
    for answer in ("We ship", "Draft plan"):
        server.act("action_decision_answer", alice, answer, slots=slots)
    _, unknown = server.act("action_decision_answer", alice, "Zed", slots=slots)
    assert texts(unknown)[0].endswith("or give their sender id as @id.")
    server.act("action_decision_answer", alice, f"@{zed}", slots=slots)
    owner = server.sql("SELECT value FROM answers WHERE field = 'owner' AND actor_id = ?", f"rasa:{alice}")
    assert owner == [(f'{{"id": "rasa:{zed}", "name": "{zed}"}}',)], owner


@pytest.mark.parametrize("action", ["action_decision_status", "action_decision_start", "validate_decision_form"])
def test_a_tracker_whose_latest_message_is_null_is_a_400_naming_it(server: Server, action: str) -> None:
    """``latest_message: null`` passed the check (only another type was refused) and rasa-sdk then
    failed on it: a 500 with Python's words ('NoneType' object has no attribute 'get') and the whole
    request body echoed back, and nothing in decisionbot's log to say which field."""
    call = request(action, "nulled", None, slots={"decision_flow": "post_meeting"})
    call["tracker"]["latest_message"] = None
    status, answer = server.post(call)
    assert status == 400, answer
    assert answer == {"error": "Bad action call: tracker.latest_message must be an object.", "action_name": action}
    assert server.sql("SELECT count(*) FROM runs WHERE facilitator_id = 'rasa:nulled'") == [(0,)]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("slots", None, "tracker.slots must be an object"),
        ("events", None, "tracker.events must be a list"),
        ("version", 3, "version must be a string"),
    ],
)
def test_a_null_slots_or_events_or_a_version_not_a_string_is_a_400(
    server: Server, field: str, value: object, problem: str
) -> None:
    """Rasa sends ``slots`` as an object, ``events`` as a list and ``version`` as a string; ``null``
    and a number passed the check, and rasa-sdk failed on them (the form's validation, every action
    for the version): a 500 with Python's words and the request body echoed."""
    call = request("validate_decision_form", "nulled", "next friday", slots={"requested_slot": "decision_due"})
    (call if field == "version" else call["tracker"])[field] = value
    status, answer = server.post(call)
    assert (status, answer) == (400, {"error": f"Bad action call: {problem}.", "action_name": "validate_decision_form"})
