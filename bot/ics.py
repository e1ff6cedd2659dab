"""The review meeting as an iCalendar (RFC 5545) invitation, written with the standard library.

A flow asks for it with ``on_complete: - calendar_invite: {at: review_at, time: "10:00",
duration: 30m}``; the completed run's summary message then carries the ``.ics`` as an
attachment in its outbox payload (``{"attachments": [{"filename", "content_type", "content"}]}``)
for channels that can send files, and ``decisionbot runs invite RUN`` prints it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot import texts
from bot.engine import templates
from bot.engine.model import Flow
from bot.model import Actor

DEFAULT_TIME = time(10, 0)
DEFAULT_DURATION = timedelta(minutes=30)


def invite_spec(flow: Flow) -> dict[str, Any] | None:
    return next((dict(a["calendar_invite"]) for a in flow.on_complete if "calendar_invite" in a), None)


def review_invite(
    flow: Flow,
    record: dict[str, Any],
    participants: list[Actor],
    decision_id: int | None,
    tz: ZoneInfo,
    now: datetime,
) -> dict[str, str] | None:
    """The attachment for a completed run whose flow asks for an invitation, or None."""
    spec = invite_spec(flow)
    day = (record.get("answers") or {}).get(spec["at"]) if spec else None
    if not spec or not isinstance(day, str):
        return None
    from bot.triggers import parse_duration

    try:  # checked at load; a version pinned before that check may name no date step
        start = _instant(datetime.combine(date.fromisoformat(day), _clock(spec.get("time")), tzinfo=tz))
    except ValueError:
        return None
    try:
        length = parse_duration(spec["duration"]) if spec.get("duration") else DEFAULT_DURATION
    except ValueError:  # refused at load since (over ten years); a version pinned before may say 5000d
        length = DEFAULT_DURATION
    if length <= timedelta(0):  # refused at load since; a version pinned before may say 0m
        length = DEFAULT_DURATION
    title = texts.invite_title(record.get("title") or flow.title)
    if spec.get("title"):  # the flow's own template; a trigger's or person's title is only text
        with contextlib.suppress(*templates.RENDER_ERRORS):  # (checked at load, as above): else the flow's title
            context = {"title": record.get("title"), "decision": record.get("decision")}
            title = templates.render(spec["title"], context, strict=True)
    text = vevent(
        uid=f"decision-{decision_id or record['run']}-review-{day}@decisionbot",
        start=start,
        end=start + length,  # elapsed time, in UTC: a wall-clock sum is off by the shift on DST days
        summary=title,
        description=texts.invite_description(record),
        organizer=Actor.from_dict(record["facilitator"]),
        attendees=attendees(record, participants),
        stamp=now,
    )
    return {"filename": f"review-{day}.ics", "content_type": "text/calendar; method=REQUEST", "content": text}


def _clock(value: str | None) -> time:
    return time.fromisoformat(value) if value else DEFAULT_TIME


def _instant(local: datetime) -> datetime:
    """A local time as the UTC instant it names: a time the spring shift skips moves forward by the
    shift (02:30 becomes 03:30), one the autumn shift repeats is its first occurrence."""
    return local.astimezone(UTC)


def attendees(record: dict[str, Any], participants: list[Actor]) -> list[Actor]:
    """The facilitator, the participants and every action owner, once each."""
    people: dict[str, Actor] = {}
    for person in [Actor.from_dict(record["facilitator"]), *participants]:
        people.setdefault(person.id, person)
    for action in record.get("actions") or []:
        if action.get("owner"):
            people.setdefault(action["owner"], Actor(action["owner"], action.get("owner_name") or action["owner"]))
    return list(people.values())


def vevent(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    organizer: Actor,
    attendees: list[Actor],
    stamp: datetime,
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//decisionbot//review//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{escape(summary)}",
        f"DESCRIPTION:{escape(description)}",
        f"ORGANIZER;CN={_param(organizer.name)}:{address(organizer)}",
        *(f"ATTENDEE;CN={_param(a.name)};ROLE=REQ-PARTICIPANT;RSVP=TRUE:{address(a)}" for a in attendees),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


#: An e-mail address as a person's platform id may be one: no space, control character, angle
#: bracket, quote or second ``@``; a dot in its domain.
_EMAIL = re.compile(r"[^\s\x00-\x1f\x7f<>\"@]+@[^\s\x00-\x1f\x7f<>\"@]+\.[^\s\x00-\x1f\x7f<>\"@]+")


def address(actor: Actor) -> str:
    """``mailto:`` for an e-mail address, else a URN naming the chat user. A person's id may be
    a client's text (a hook names people by id, a Rasa sender's id is its client's): outside an
    address's characters it is percent-encoded, so no line break ends the property."""
    pid = actor.platform_id
    if _EMAIL.fullmatch(pid):
        return f"mailto:{pid}"
    return f"urn:decisionbot:{quote(actor.id, safe=':@.-_~')}"


#: Control characters RFC 5545 does not allow in a value (all but tab; line ends are escaped).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """A TEXT value: a lone CR is a line end too (a bare CR would end the content line early)."""
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _param(text: str) -> str:
    """A parameter value (a name): one line, no control characters, quoted when it must be."""
    clean = _CONTROLS.sub("", re.sub(r"[\r\n]+", " ", text)).replace('"', "'")
    return f'"{clean}"' if any(c in clean for c in ":;,") else clean


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def attachments_of(conn: sqlite3.Connection, run_id: int) -> list[dict[str, str]]:
    """The attachments queued with a run's outbound messages, oldest first."""
    rows = conn.execute(
        "SELECT payload FROM messages WHERE run_id = ? AND direction = 'out' AND payload IS NOT NULL ORDER BY id",
        (run_id,),
    ).fetchall()
    return [a for (payload,) in rows for a in json.loads(payload).get("attachments", [])]
