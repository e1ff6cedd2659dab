"""Malformed, correctly authenticated (or forged) requests to the Slack and Teams endpoints, driven
through the real server: a forged one gets 401, a malformed one 400 naming the problem, never a
500; and neither writes a row (every table of the database is counted before and after)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.channels import slack_events as events
from tests.fakes.slack_api import TEAM
from tests.slack_support import SECRET, Harness, event_body, message, sign
from tests.teams_support import ALICE, BOB, installed, mention, personal
from tests.teams_support import Harness as TeamsHarness

DEEP = b"[" * 100_000 + b"]" * 100_000


def everything(conn: Any) -> dict[str, int]:
    """Rows per table, every table of the database."""
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


# --- Slack ---------------------------------------------------------------------------------


def raw_signature(body: bytes, timestamp: str) -> str:
    """Signed over the bytes as they are (slack_sdk's helper decodes them as UTF-8 first)."""
    return "v0=" + hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


FORGED = {
    "body not UTF-8, any signature": (b'{"type":"x","a":"\xff"}', lambda body, now: "v0=00"),
    "body not UTF-8, its bytes signed": (b'{"type":"x","a":"\xff"}', raw_signature),
    "timestamp a superscript digit": (b"{}", lambda body, now: "v0=00"),
    "signature not ASCII": (b"{}", lambda body, now: "v0=\u00e9"),
}


@pytest.mark.parametrize("case", FORGED, ids=list(FORGED))
async def test_slack_requests_slack_cannot_have_signed_get_401(slack: Harness, case: str) -> None:
    body, signature = FORGED[case]
    now = "\u00b2" if "superscript" in case else str(int(time.time()))
    before = everything(slack.services.db.conn)
    headers = {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": signature(body, now)}
    resp = await slack.post(body, headers=headers)
    assert resp.status == 401 and await resp.json() == {"error": "invalid signature"}
    assert everything(slack.services.db.conn) == before


SURROGATE = "body is not valid JSON: a string holds a lone surrogate (an unpaired \\ud800-\\udfff escape)"


def slack_cases(thread: str) -> dict[str, tuple[bytes, bool, str]]:
    """name -> (body, as a form, the 400's reason)."""
    in_thread = message("UB", "hello <@UA>", thread_ts=thread)
    return {
        "events body nested too deeply": (DEEP, False, "body is not valid JSON: nested too deeply"),
        "object nested too deeply": (b'{"a":' + DEEP + b"}", False, "body is not valid JSON: nested too deeply"),
        "payload field nested too deeply": (
            urlencode({"payload": DEEP.decode()}).encode(),
            True,
            "payload is not valid JSON: nested too deeply",
        ),
        "NaN": (
            event_body(in_thread).replace(b'"event_time"', b'"x": NaN, "event_time"'),
            False,
            "body is not valid JSON: NaN is not a JSON number",
        ),
        "a number too large for a float": (  # Python reads it as infinity, which SQLite's JSON refuses
            event_body(in_thread).replace(b'"event_time"', b'"x": 1e400, "event_time"'),
            False,
            "body is not valid JSON: the number 1e400 is too large (beyond about 1.8e308): send it as a string",
        ),
        "subtype a list": (event_body({**in_thread, "subtype": ["a"]}), False, "event subtype is not a string"),
        "subtype an object": (event_body({**in_thread, "subtype": {}}), False, "event subtype is not a string"),
        "lone surrogate in a thread reply": (event_body({**in_thread, "text": "\ud800 <@UA>"}), False, SURROGATE),
        "lone surrogate in a mention": (
            event_body({**message("UB", "<@UBOT> start post_meeting \udfff"), "type": "app_mention"}),
            False,
            SURROGATE,
        ),
        "lone surrogate in a direct message": (event_body(message("UB", "\ud800", channel="DUB")), False, SURROGATE),
        "lone surrogate in a click": (
            urlencode({"payload": '{"type": "block_actions", "user": {"id": "UB\\ud800"}}'}).encode(),
            True,
            SURROGATE.replace("body", "payload"),
        ),
    }


CASES = list(slack_cases("0"))


@pytest.mark.parametrize("case", CASES, ids=CASES)
async def test_slack_malformed_payloads_get_400_and_write_nothing(slack: Harness, case: str) -> None:
    thread = await slack.started("start post_meeting Weekly")
    body, form, reason = slack_cases(thread)[case]
    before = everything(slack.services.db.conn)
    resp = await slack.post(body, headers=sign(body), form=form)
    assert resp.status == 400 and await resp.json() == {"error": reason}
    assert everything(slack.services.db.conn) == before  # no people row for UB either


def test_socket_mode_payloads_are_held_to_the_same_rules() -> None:
    event = {"type": "event_callback", "event": message("UB", "\ud800"), "event_id": "Ev1", "team_id": TEAM}
    with pytest.raises(events.Malformed, match="lone surrogate"):
        events.from_socket("events_api", event)
    with pytest.raises(events.Malformed, match="NaN"):
        events.from_socket("interactive", {"type": "block_actions", "x": float("nan")})


# --- Teams ---------------------------------------------------------------------------------


def mutated(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    holder = copy
    for name in path[:-1]:
        holder = holder[name]
    holder[path[-1]] = value
    return copy


HUGE = 2**70
#: name -> (what to send: a base activity, the field changed, its value; the field the 400 names)
TEAMS_CASES: dict[str, tuple[str, tuple[str, ...], Any, str]] = {
    "channelData a string": ("message", ("channelData",), "x", "channelData is not an object"),
    "channelData a number": ("message", ("channelData",), 5, "channelData is not an object"),
    "channelData.tenant a list": ("message", ("channelData", "tenant"), [1], "channelData.tenant is not an object"),
    "channelData.tenant.id a list": (
        "message",
        ("channelData", "tenant"),
        {"id": [1]},
        "channelData.tenant.id is not a string",
    ),
    "recipient a string": ("message", ("recipient",), "x", "recipient is not an object"),
    "recipient.id a number": ("message", ("recipient", "id"), 5, "recipient.id is not a string"),
    "from a list": ("message", ("from",), [1], "from is not an object"),
    "text a number": ("message", ("text",), 5, "text is not a string"),  # was stored as the answer '5'
    "text a list": ("message", ("text",), ["a"], "text is not a string"),  # was "['a']"
    "text true": ("message", ("text",), True, "text is not a string"),
    "localTimezone a number": ("message", ("localTimezone",), 5, "localTimezone is not a string"),
    "clientInfo timezone a list": (
        "message",
        ("entities",),
        [{"type": "clientInfo", "timezone": ["Europe/Paris"]}],
        "entities[].timezone is not a string",
    ),
    "from.id a number": ("message", ("from", "id"), 5, "from.id is not a string"),
    "from.aadObjectId a list": ("message", ("from", "aadObjectId"), [1], "from.aadObjectId is not a string"),
    "conversation a string": ("message", ("conversation",), "x", "conversation is not an object"),
    "conversation.id a list": ("message", ("conversation", "id"), ["a:1"], "conversation.id is not a string"),
    "conversation.id a number": ("message", ("conversation", "id"), 5, "conversation.id is not a string"),
    "serviceUrl a list": ("message", ("serviceUrl",), ["https://x"], "serviceUrl is not a string"),
    "serviceUrl a number": ("message", ("serviceUrl",), 5, "serviceUrl is not a string"),
    "entities a number": ("message", ("entities",), 5, "entities is not a list"),
    "entities[].mentioned a string": (
        "message",
        ("entities",),
        [{"type": "mention", "mentioned": "x", "text": "<at>x</at>"}],
        "entities[].mentioned is not an object",
    ),
    "membersAdded a number": ("install", ("membersAdded",), 5, "membersAdded is not a list of objects"),
    "membersAdded a list of strings": ("install", ("membersAdded",), ["x"], "membersAdded is not a list of objects"),
    "membersRemoved a list of strings": (
        "install",
        ("membersRemoved",),
        ["x"],
        "membersRemoved is not a list of objects",
    ),
    "membersAdded[].id an object": ("install", ("membersAdded",), [{"id": {}}], "membersAdded[].id is not a string"),
    "invoke value a string": ("invoke", ("value",), "x", "value is not an object"),
    "invoke value.action a string": ("invoke", ("value",), {"action": "x"}, "value.action is not an object"),
    "invoke value.action.data a string": (
        "invoke",
        ("value",),
        {"action": {"data": "s"}},
        "value.action.data is not an object",
    ),
    "invoke value.action.data a list": (
        "invoke",
        ("value",),
        {"action": {"data": [1]}},
        "value.action.data is not an object",
    ),
    "invoke card message id beyond SQLite": (
        "invoke",
        ("value",),
        {"action": {"data": {"decisionbot": {"run": 1, "message": HUGE}}}},
        "value.action.data.decisionbot.message is out of range",
    ),
    "submit card message id beyond SQLite": (
        "message",
        ("value",),
        {"decisionbot": {"run": 1, "message": HUGE}, "answer": "x"},
        "value.decisionbot.message is out of range",
    ),
    "submit card run id negative beyond SQLite": (
        "message",
        ("value",),
        {"decisionbot": {"run": -HUGE, "message": 1}, "answer": "x"},
        "value.decisionbot.run is out of range",
    ),
}


def teams_base(kind: str, url: str) -> dict[str, Any]:
    if kind == "install":
        return installed(url, "personal", (ALICE,))
    body = personal(url, ALICE, f"hello {mention(BOB)['text']}")
    body["entities"] = [mention(BOB)]
    if kind == "invoke":
        body.update(type="invoke", name="adaptiveCard/action")
        body.pop("text")
    return body


@pytest.mark.parametrize("case", TEAMS_CASES, ids=list(TEAMS_CASES))
async def test_teams_activities_with_wrong_field_types_get_400_and_write_nothing(tmp_path: Path, case: str) -> None:
    kind, path, value, problem = TEAMS_CASES[case]
    async with TeamsHarness(tmp_path) as h:
        before = everything(h.services.db.conn)
        resp = await h.post(mutated(teams_base(kind, h.url), path, value))
        assert resp.status == 400 and await resp.json() == {"error": f"Not a usable activity: {problem}."}
        assert everything(h.services.db.conn) == before


def raw_activity(edit: str) -> bytes:
    """A personal message from Alice, its JSON text edited (what json.dumps cannot write)."""
    body = json.dumps(personal("https://smba.example/", ALICE, "TEXT"))
    return body.replace('"TEXT"', edit).encode()


TEAMS_BODIES = {
    "nested too deeply": (b'{"type":"message","a":' + DEEP + b"}", "nested too deeply"),
    "NaN": (raw_activity('"x", "z": NaN'), "NaN is not a JSON number"),
    "a number too large": (raw_activity('"x", "z": -1e400'), "the number -1e400 is too large"),
    "lone surrogate in text": (raw_activity('"\\ud800"'), "lone surrogate"),
    "lone surrogate in from.id": (
        raw_activity('"x"').replace(b'"29:1alice"', b'"29:\\udfff"'),
        "lone surrogate",
    ),
    "lone surrogate in conversation.id": (
        raw_activity('"x"').replace(b'"a:chat-with-29:1alice"', b'"a:\\ud800"'),
        "lone surrogate",
    ),
    "not UTF-8": (raw_activity('"NOT_UTF8"').replace(b"NOT_UTF8", b"\xff"), "utf-8"),
}


@pytest.mark.parametrize("case", TEAMS_BODIES, ids=list(TEAMS_BODIES))
async def test_teams_bodies_the_bot_cannot_store_get_400_and_write_nothing(tmp_path: Path, case: str) -> None:
    body, problem = TEAMS_BODIES[case]
    async with TeamsHarness(tmp_path) as h:
        assert h.client is not None
        before = everything(h.services.db.conn)
        resp = await h.client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert resp.status == 400
        error = (await resp.json())["error"]
        assert error.startswith("Not a usable activity: the body is not JSON") and problem in error
        assert everything(h.services.db.conn) == before


async def test_a_well_formed_activity_still_goes_through(tmp_path: Path) -> None:
    """The table's base activities, unchanged, are taken (201): the 400s above are the edits."""
    async with TeamsHarness(tmp_path) as h:
        for kind in ("install", "message"):
            resp = await h.post(teams_base(kind, h.url))
            assert resp.status == 201, (kind, await resp.text())
