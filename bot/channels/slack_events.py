"""Pure translators of what Slack sends: signed requests and Socket Mode envelopes in, the
neutral pieces the Slack channel hands to the dispatcher out. No I/O here.

One URL takes everything (as Bolt apps do): Events API callbacks and ``url_verification`` as
JSON, interactive payloads as a form field ``payload=<JSON>``, slash commands as a flat form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.channels.slack_blocks import parse_block_id
from bot.model import Actor


class Malformed(ValueError):
    """A payload that cannot be what Slack sends; ``reason`` is short, for a 400 and the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """HMAC-SHA256 of ``v0:timestamp:body``, and a timestamp within five minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


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


def parse(body: bytes, content_type: str) -> Envelope:
    """Classify a verified HTTP body; raise :class:`Malformed` naming the problem."""
    if content_type == "application/json" or body[:1] == b"{":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise Malformed("body is not valid JSON") from exc
        return from_json(data)
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError as exc:
        raise Malformed("body is not UTF-8") from exc
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except ValueError as exc:
            raise Malformed("payload is not valid JSON") from exc
        return from_interactive(payload)
    if "command" in form:
        return from_command(form)
    if form.get("ssl_check") == "1":
        return Envelope("ssl_check", form)
    raise Malformed("expected an event (JSON), an interactive payload or a slash command")


def from_socket(kind: str, payload: Any) -> Envelope:
    """A Socket Mode envelope's payload: the same JSON the HTTP route gets."""
    if kind == "events_api":
        return from_json(payload)
    if kind == "interactive":
        return from_interactive(payload)
    if kind == "slash_commands":
        if not isinstance(payload, dict):
            raise Malformed("slash command payload is not an object")
        return from_command({k: str(v) for k, v in payload.items()})
    raise Malformed(f"unknown envelope type '{kind}'")


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
        return Envelope("event", data, _str(data.get("team_id")), _str(data.get("api_app_id")))
    if kind == "app_rate_limited":
        return Envelope("rate_limited", data, _str(data.get("team_id")), _str(data.get("api_app_id")))
    raise Malformed(f"unknown event type '{kind}'")


def from_interactive(payload: Any) -> Envelope:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise Malformed("interactive payload without a type")
    team = _dict(payload.get("team"))
    user = _dict(payload.get("user"))
    team_id = _str(team.get("id")) or _str(user.get("team_id"))
    kind = "action" if payload["type"] == "block_actions" else "interactive"
    return Envelope(kind, payload, team_id, _str(payload.get("api_app_id")))


def from_command(form: dict[str, str]) -> Envelope:
    for name in ("user_id", "channel_id", "trigger_id"):
        if not form.get(name):
            raise Malformed(f"slash command without {name}")
    return Envelope("command", form, form.get("team_id") or None, form.get("api_app_id") or None)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- messages people type ------------------------------------------------------------------

#: Message subtypes that are still someone typing (a thread reply also sent to the channel, a
#: message with a file); edits, deletions, joins and bot messages are not.
TYPED_SUBTYPES = frozenset({"thread_broadcast", "file_share"})
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Said:
    """A message someone typed: in a channel, in a thread, or to the bot directly."""

    kind: str  # message | app_mention
    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str | None
    dm: bool
    mentions_bot: bool

    @property
    def platform_id(self) -> str:
        """One id per message, shared by its retries and by its app_mention twin."""
        return f"msg:{self.channel}:{self.ts}"


def said(event: Mapping[str, Any], bot_user_id: str | None) -> Said | None:
    """The typed message in ``event``; None for the bot's own, edits, deletions and the rest."""
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return None
    if event.get("bot_id") or (event.get("subtype") and event.get("subtype") not in TYPED_SUBTYPES):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not isinstance(user, str) or not isinstance(channel, str) or not isinstance(ts, str):
        return None
    if bot_user_id and user == bot_user_id:
        return None
    text = event.get("text") if isinstance(event.get("text"), str) else ""
    thread = event.get("thread_ts")
    return Said(
        kind=str(kind),
        channel=channel,
        user=user,
        text=str(text),
        ts=ts,
        thread_ts=thread if isinstance(thread, str) and thread != ts else None,
        dm=event.get("channel_type") == "im" or channel.startswith("D"),
        mentions_bot=bool(bot_user_id) and f"<@{bot_user_id}" in str(text),
    )


def mention_ids(text: str) -> list[str]:
    return list(dict.fromkeys(MENTION.findall(text)))


def without_mention(text: str, user_id: str | None) -> str:
    """The text with the bot's own mention taken out."""
    if not user_id:
        return text.strip()
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", " ", text).strip()


def mentions(text: str, people: Mapping[str, Actor]) -> dict[str, Actor]:
    """Each ``<@U..>`` token in ``text`` mapped to the person it names (``people`` by user id)."""
    found: dict[str, Actor] = {}
    for match in MENTION.finditer(text):
        uid = match.group(1)
        found[match.group(0)] = people.get(uid) or Actor(f"slack:{uid}", uid)
    return found


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
    channel = container.get("channel_id") or _dict(payload.get("channel")).get("id")
    message = _dict(payload.get("message"))
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


# --- slash commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Slash:
    user: str
    channel: str
    text: str
    trigger_id: str

    @property
    def platform_id(self) -> str:
        return f"cmd:{self.trigger_id}"


def slash(form: Mapping[str, str]) -> Slash:
    return Slash(form["user_id"], form["channel_id"], form.get("text", "").strip(), form["trigger_id"])
