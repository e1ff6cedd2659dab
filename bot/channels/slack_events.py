"""Pure translators of what Slack sends: signed requests and Socket Mode envelopes in, the
neutral pieces the Slack channel hands to the dispatcher out. No I/O here.

One URL takes everything (as Bolt apps do): Events API callbacks and ``url_verification`` as
JSON, interactive payloads as a form field ``payload=<JSON>``, slash commands as a flat form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot import inbound_json
from bot.channels.slack_blocks import parse_block_id


@dataclass
class Answer:
    """What Slack gets back: a status and maybe a JSON body (a challenge, an ephemeral reply)."""

    status: int = 200
    body: dict[str, Any] | None = None

    def response(self) -> web.Response:
        if self.body is None:
            return web.Response(status=self.status)
        return web.json_response(self.body, status=self.status)


class Malformed(ValueError):
    """A payload that cannot be what Slack sends; ``reason`` is short, for a 400 and the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


#: Characters of a name a payload gives (an id, a type) that a 400 or a log line repeats.
SHOWN = 40


def shown(value: Any) -> str:
    """A payload's id or type as a 400 and the log repeat it: cut to SHOWN characters."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


#: Seconds a signed request's timestamp may be off (slack_sdk's own check: five minutes).
SIGNED_WITHIN = 300


def signed_headers(headers: Mapping[str, str], now: float) -> bool:
    """Whether a request's headers can hold Slack's signature, checked before its body is read:
    both headers, the timestamp ASCII digits within five minutes of ``now``, the signature ASCII.
    A request refused here is forged or stale whatever its body (:func:`verify` checks the HMAC)."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if not timestamp or not signature or not (timestamp.isascii() and timestamp.isdigit()) or not signature.isascii():
        return False
    return abs(now - int(timestamp)) <= SIGNED_WITHIN


def verify(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """HMAC-SHA256 of ``v0:timestamp:body``, and a timestamp within five minutes. What Slack
    cannot have signed is forged, never an error: a timestamp other than ASCII digits (``²`` is
    a digit to Python, not to ``int``), a signature other than ASCII, a body that is not UTF-8
    (Slack signs text; the verifier decodes it)."""
    if not signed_headers(headers, verifier.clock.now()):
        return False
    try:
        return verifier.is_valid(
            body=body, timestamp=headers["X-Slack-Request-Timestamp"], signature=headers["X-Slack-Signature"]
        )
    except (ValueError, TypeError):  # UnicodeDecodeError of the body, among them
        return False


@dataclass(frozen=True)
class Envelope:
    """One request or Socket Mode envelope, classified.

    ``kind``: url_verification, ssl_check, event, action (block_actions), interactive (other
    interactive payloads), command (a slash command), rate_limited (app_rate_limited).
    """

    kind: str
    payload: dict[str, Any]
    team_id: str | None = None
    app_id: str | None = None
    enterprise_id: str | None = None  # the Enterprise Grid organisation (of the installation, for an event)


def parse(body: bytes, content_type: str) -> Envelope:
    """Classify a verified HTTP body; raise :class:`Malformed` naming the problem."""
    if content_type == "application/json" or body[:1] == b"{":
        return from_json(_loads(body, "body"))
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError as exc:
        raise Malformed("body is not UTF-8") from exc
    if "payload" in form:
        return from_interactive(_loads(form["payload"].encode(), "payload"))
    if "command" in form:
        return from_command(form)
    if form.get("ssl_check") == "1":
        return Envelope("ssl_check", form)
    raise Malformed("expected an event (JSON), an interactive payload or a slash command")


def _loads(raw: bytes, what: str) -> Any:
    """``raw`` parsed by :func:`bot.inbound_json.loads`: refused here, before anything is written."""
    try:
        return inbound_json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Malformed(f"{what} is not valid JSON") from exc
    except ValueError as exc:  # not UTF-8, NaN, a lone surrogate, nested too deeply
        raise Malformed(f"{what} is not valid JSON: {exc}") from exc


def from_socket(kind: str, payload: Any) -> Envelope:
    """A Socket Mode envelope's payload: the same JSON the HTTP route gets, held to the same
    rules (slack_sdk parsed it with ``json.loads``: checked again as written)."""
    try:
        payload = _loads(json.dumps(payload).encode(), "payload")
    except RecursionError as exc:
        raise Malformed("payload is not valid JSON: nested too deeply") from exc
    if kind == "events_api":
        return from_json(payload)
    if kind == "interactive":
        return from_interactive(payload)
    if kind == "slash_commands":
        if not isinstance(payload, dict):
            raise Malformed("slash command payload is not an object")
        return from_command({k: str(v) for k, v in payload.items()})
    raise Malformed(f"unknown envelope type '{shown(kind)}'")


def from_json(data: Any) -> Envelope:
    if not isinstance(data, dict):
        raise Malformed("body is not a JSON object")
    kind = data.get("type")
    if kind == "url_verification":
        if not isinstance(data.get("challenge"), str):
            raise Malformed("url_verification without a challenge")
        return Envelope("url_verification", data)
    if kind == "event_callback":
        if not isinstance(data.get("event"), dict) or not isinstance(data.get("event_id"), str):
            raise Malformed("event_callback without event or event_id")
        _check_event(data["event"])
        team, enterprise = _installation(data)
        return Envelope("event", data, team, _str(data.get("api_app_id")), enterprise)
    if kind == "app_rate_limited":
        return Envelope("rate_limited", data, _str(data.get("team_id")), _str(data.get("api_app_id")))
    raise Malformed(f"unknown event type '{shown(kind)}'")


def _check_event(event: dict[str, Any]) -> None:
    """What its turn, which runs after the acknowledgement (``slack_inbox``), would refuse: refused
    now, with a 400, before the event is kept."""
    subtype = event.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise Malformed("event subtype is not a string")
    user = event.get("user")
    if event.get("type") == "app_home_opened" and event.get("tab") == "home" and not (isinstance(user, str) and user):
        raise Malformed("app_home_opened without user")


def _installation(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The workspace and Grid organisation an event is delivered for. In a channel another
    workspace owns (Slack Connect, a channel shared across an Enterprise Grid) the envelope's
    ``team_id`` and ``enterprise_id`` are the owner's; the installation is ``authorizations[0]``
    (bolt-python's ``extract_team_id`` reads it first "for shared channels"; java-slack-sdk#629).
    An org-wide installation's has no ``team_id`` (null): the envelope's is then the workspace
    the event happened in. All of it is in the same signed body."""
    authorizations = data.get("authorizations")
    first = as_dict(authorizations[0]) if isinstance(authorizations, list) and authorizations else {}
    team = _str(first.get("team_id")) or _str(data.get("team_id"))
    return team, _str(first.get("enterprise_id")) or _str(data.get("enterprise_id"))


def from_interactive(payload: Any) -> Envelope:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise Malformed("interactive payload without a type")
    team = as_dict(payload.get("team"))
    user = as_dict(payload.get("user"))
    team_id = _str(team.get("id")) or _str(user.get("team_id"))  # an org-wide installation's team may be null
    org = payload.get("enterprise")
    enterprise = _str(org) or _str(as_dict(org).get("id")) or _str(team.get("enterprise_id"))
    kind = "action" if payload["type"] == "block_actions" else "interactive"
    return Envelope(kind, payload, team_id, _str(payload.get("api_app_id")), enterprise)


def from_command(form: dict[str, str]) -> Envelope:
    for name in ("user_id", "channel_id", "trigger_id"):
        if not form.get(name):
            raise Malformed(f"slash command without {name}")
    team, app = form.get("team_id") or None, form.get("api_app_id") or None
    return Envelope("command", form, team, app, form.get("enterprise_id") or None)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: a field a payload may lack or garble."""
    return value if isinstance(value, dict) else {}


# --- widgets clicked -----------------------------------------------------------------------


@dataclass(frozen=True)
class Clicked:
    """A widget of one of our prompts was used: the answer it stands for, as typed text."""

    user: str
    channel: str
    message_ts: str
    thread_ts: str | None
    run_id: int
    message_id: int  # the outbox message the widget belongs to
    answer: str
    action_ts: str
    value: Any
    domain: str = ""  # the workspace's (``team.domain``): its messages' links

    @property
    def platform_id(self) -> str:
        return f"act:{self.action_ts}:{self.user}"


def clicked(payload: Mapping[str, Any]) -> Clicked | None:
    """The first action of a block_actions payload on one of our prompts; None for others."""
    actions = payload.get("actions")
    user = payload.get("user")
    container = payload.get("container")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise Malformed("block_actions without actions")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise Malformed("block_actions without user.id")
    if not isinstance(container, dict):
        raise Malformed("block_actions without container")
    action = actions[0]
    ids = parse_block_id(str(action.get("block_id") or ""))
    answer = action_answer(action)
    if ids is None or answer is None:
        return None
    channel = container.get("channel_id") or as_dict(payload.get("channel")).get("id")
    message = as_dict(payload.get("message"))
    if not isinstance(channel, str) or not isinstance(container.get("message_ts"), str):
        raise Malformed("block_actions without channel_id or message_ts")
    thread = container.get("thread_ts") or message.get("thread_ts")
    return Clicked(
        user=user["id"],
        channel=channel,
        message_ts=container["message_ts"],
        thread_ts=thread if isinstance(thread, str) else None,
        run_id=ids[0],
        message_id=ids[1],
        answer=answer,
        action_ts=str(action.get("action_ts") or payload.get("trigger_id") or ""),
        value={k: action[k] for k in ("type", "action_id", "value", "selected_date", "selected_user") if k in action},
        domain=str(as_dict(payload.get("team")).get("domain") or ""),
    )


def action_answer(action: Mapping[str, Any]) -> str | None:
    """The answer a widget stands for, as someone would type it: an option's value, 'yes' or
    'no', ``<@U123>`` for a person, an ISO date."""
    kind = action.get("type")
    if kind == "button":
        return _str(action.get("value"))
    if kind in ("static_select", "radio_buttons", "overflow"):
        option = action.get("selected_option")
        return _str(option.get("value")) if isinstance(option, dict) else None
    if kind == "users_select":
        user = _str(action.get("selected_user"))
        return f"<@{user}>" if user else None
    if kind == "datepicker":
        return _str(action.get("selected_date"))
    return None
