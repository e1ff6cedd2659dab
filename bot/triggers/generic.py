"""The generic JSON trigger (``POST /hooks/events``) -> Triggers, checked against
``event.schema.json`` (a JSON Schema) so that a bad body is refused naming the field."""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from bot import texts
from bot.model import BOTS_OWN_KINDS, Trigger
from bot.triggers import KEY_MAX, PayloadError, check_people
from bot.triggers.alertmanager import HINTS, PEOPLE

FIELDS = ("metric", "value", "threshold", "summary", "link")

#: Keys of a trigger's data that decisionbot itself reads (routing hints, the reviewed decision,
#: the run's claim, routing results): a caller's own ``data`` may not set them.
RESERVED = frozenset({"decision", "decision_id", "claimable", "lead_left", "owners", "escalate_to", "labels"})


@cache
def schema() -> dict[str, Any]:
    return dict(json.loads(resources.files("bot.triggers").joinpath("event.schema.json").read_text()))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    """One event: the schema's ``$defs/event``, with the other definitions it refers to."""
    return jsonschema.Draft202012Validator({"$defs": schema()["$defs"], "$ref": "#/$defs/event"})


MAX_EVENTS = 1000


def parse(body: Any) -> list[Trigger]:
    if isinstance(body, dict):
        items = [body]
    elif isinstance(body, list) and 0 < len(body) <= MAX_EVENTS:
        items = body
    else:
        raise PayloadError(texts.payload_events_shape(MAX_EVENTS))
    for i, item in enumerate(items):
        error = jsonschema.exceptions.best_match(_validator().iter_errors(item))
        prefix = f"[{i}]" if isinstance(body, list) else ""
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            field = texts.payload_shortened((prefix + where).lstrip(".") or "body", MAX_FIELD)  # a label's long name
            raise PayloadError(texts.payload_schema(field, _problem(error)))
        taken = sorted(RESERVED & set(item.get("data") or {}))
        if taken:
            raise PayloadError(texts.payload_reserved(f"{prefix}.data.{taken[0]}".lstrip(".")))
        if item.get("kind") in BOTS_OWN_KINDS:  # else analysts would count it as the bot's review or handover
            raise PayloadError(texts.payload_kind_reserved(f"{prefix}.kind".lstrip("."), item["kind"]))
        for hint in PEOPLE:
            check_people(item.get(hint), f"{prefix}.{hint}".lstrip("."))
        if refused := title_refused(item["title"]):  # a title people read: never blank, no control characters
            raise PayloadError(texts.payload_schema(f"{prefix}.title".lstrip("."), refused))
        key = item.get("dedup_key")
        if isinstance(key, str) and (not key.isprintable() or not key.strip()):  # as decisionbot trigger's
            raise PayloadError(texts.payload_schema(f"{prefix}.dedup_key".lstrip("."), texts.dedup_key_unusable()))
    return [event(item) for item in items]


def title_refused(title: str) -> str | None:
    """Why a trigger's title cannot be shown to people: blank, or holding a control character (a NUL,
    an escape sequence; not a tab or a line break); None when it can."""
    if not title.strip():
        return texts.payload_title_blank()
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in title):
        return texts.payload_title_control()
    return None


#: How much of a refused value a 400 repeats (jsonschema quotes the whole value in its message).
MAX_PROBLEM = 200
#: How much of the refused field's path it repeats (a key of ``labels`` may be as long as the body).
MAX_FIELD = 80


def _problem(error: jsonschema.ValidationError) -> str:
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return texts.payload_too_long(len(error.instance), int(error.validator_value))
    return texts.payload_shortened(error.message, MAX_PROBLEM)


#: The longest ``Idempotency-Key`` taken: a dedup key's.
MAX_REQUEST_KEY = KEY_MAX


def key_by_request(triggers: list[Trigger], key: str | None) -> None:
    """Key the events of one request that have no ``dedup_key`` of their own by its
    ``Idempotency-Key`` header (``generic-request:<key>``, ``#<n>`` after it for the n-th of a
    list): a sender's retry of the request, however late, joins the events the first one made
    (repeats counted on them) instead of starting their runs again. A key over the limit, or
    with control characters, is refused naming the header."""
    if key is None:
        return
    if len(key) > MAX_REQUEST_KEY or not key.isprintable() or not key.strip():
        why = texts.payload_too_long(len(key), MAX_REQUEST_KEY) if len(key) > MAX_REQUEST_KEY else None
        raise PayloadError(texts.payload_schema("Idempotency-Key", why or texts.payload_bad_request_key()))
    for i, trigger in enumerate(triggers):
        if trigger.dedup_key is None:
            trigger.dedup_key = f"generic-request:{key.strip()}" + (f"#{i + 1}" if len(triggers) > 1 else "")


def event(item: dict[str, Any]) -> Trigger:
    data: dict[str, Any] = dict(item.get("data") or {})
    data.update({k: str(item[k]) if k in ("value", "threshold") else item[k] for k in FIELDS if k in item})
    if item.get("labels"):
        data["labels"] = item["labels"]
    hints = {h: item[h] for h in HINTS if item.get(h)}
    if hints:
        data["decision"] = hints
    key = item.get("dedup_key")
    return Trigger(
        flow="",
        source="generic",
        kind=item.get("kind") or "event",
        title=item["title"],
        data=data,
        status=item.get("status") or "firing",
        dedup_key=f"generic:{key}" if key else None,
    )
