"""The events triggers are stored as (an alert, a check's breach, a hook's call): inserted, and
deduplicated by their key: a repeat counted on the open one, a resolution, a new incident."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.model import ConversationKey, Trigger
from bot.store import iso


def insert_event(conn: sqlite3.Connection, trigger: Trigger, now: datetime) -> int:
    cur = conn.execute(
        "INSERT INTO events (source, kind, dedup_key, status, title, payload, first_seen_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            trigger.source,
            trigger.kind,
            trigger.dedup_key,
            trigger.status,
            trigger.title,
            json.dumps(trigger.data, default=str),
            iso(now),
            iso(now),
        ),
    )
    return int(cur.lastrowid or 0)


@dataclass
class KeyedEvent:
    """The newest event of a dedup key, with the run it started (if any)."""

    id: int
    status: str
    resolved_at: str | None
    title: str
    payload: dict[str, Any]
    run_id: int | None
    run_status: str | None
    conversation: ConversationKey | None
    last_seen_at: str = ""

    @property
    def run_open(self) -> bool:
        return self.run_status in ("active", "stalled")


def latest_event(conn: sqlite3.Connection, dedup_key: str) -> KeyedEvent | None:
    row = conn.execute(
        "SELECT e.id, e.status, e.resolved_at, e.title, e.payload, r.id, r.status, r.conversation, e.last_seen_at"
        " FROM events e"
        " LEFT JOIN runs r ON r.event_id = e.id WHERE e.dedup_key = ? ORDER BY e.id DESC, r.id DESC LIMIT 1",
        (dedup_key,),
    ).fetchone()
    if row is None:
        return None
    eid, status, resolved_at, title, payload, run_id, run_status, conversation, seen = row
    conv = ConversationKey.parse(conversation) if conversation else None
    return KeyedEvent(eid, status, resolved_at, title, json.loads(payload), run_id, run_status, conv, seen)


def note_event(
    conn: sqlite3.Connection,
    event_id: int,
    route: str | None,
    problem: str | None,
    left_out: Sequence[tuple[str, str]] = (),
) -> None:
    """The route a trigger took, or why it started no run; the people it named that its run left
    out, as nobody can ask them (``left_out``: JSON ``[{"id": ..., "kind": "app"}]``)."""
    gone = json.dumps([{"id": i, "kind": kind} for i, kind in left_out]) if left_out else None
    conn.execute(
        "UPDATE events SET route = ?, problem = ?, left_out = ? WHERE id = ?", (route, problem, gone, event_id)
    )


def repeat_event(
    conn: sqlite3.Connection, event_id: int, data: dict[str, Any], now: datetime, title: str | None
) -> None:
    """A repeat of a firing trigger: count it, keep the latest values (and ``title``, an alert
    group's, which counts its alerts: "Disk full (+4 more)"); a flap re-opens it."""
    conn.execute(
        "UPDATE events SET repeat_count = repeat_count + 1, last_seen_at = ?, payload = json_patch(payload, ?),"
        " title = coalesce(?, title), status = 'firing', resolved_at = NULL WHERE id = ?",
        (iso(now), json.dumps(data, default=str), title, event_id),
    )


def take_over_event(conn: sqlite3.Connection, event_id: int, trigger: Trigger, now: datetime) -> None:
    """An unrouted event's alert, routed now: its run starts on that event (one event per incident,
    first seen when it first came), with this notification's title and values, counted as a repeat."""
    conn.execute(
        "UPDATE events SET repeat_count = repeat_count + 1, last_seen_at = ?, title = ?, payload = ?,"
        " status = 'firing', resolved_at = NULL WHERE id = ?",
        (iso(now), trigger.title, json.dumps(trigger.data, default=str), event_id),
    )


def repeat_stale(conn: sqlite3.Connection, event_id: int, now: datetime) -> None:
    """A stale notification of an incident that has resolved: counted, its values and status kept."""
    conn.execute(
        "UPDATE events SET repeat_count = repeat_count + 1, last_seen_at = ? WHERE id = ?", (iso(now), event_id)
    )


def end_incident(conn: sqlite3.Connection, event_id: int) -> None:
    """An incident whose resolution never came (``send_resolved: false``) but which a new one
    (the same alert firing again, from a new start) has replaced: resolved when last seen."""
    conn.execute("UPDATE events SET status = 'resolved', resolved_at = last_seen_at WHERE id = ?", (event_id,))


def end_unrouted(conn: sqlite3.Connection, dedup_keys: Sequence[str]) -> None:
    """The unrouted events of these keys (alerts stored before a ``dedup: group`` route took
    them), now that their group's event stands for them: resolved when last seen, as an
    incident another replaced (their ``problem`` says why they started no run)."""
    for key in dedup_keys:
        conn.execute(
            "UPDATE events SET status = 'resolved', resolved_at = last_seen_at WHERE dedup_key = ?"
            " AND status = 'firing' AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.event_id = events.id)",
            (key,),
        )


def resolve_event(conn: sqlite3.Connection, event_id: int, data: dict[str, Any], now: datetime) -> None:
    conn.execute(
        "UPDATE events SET status = 'resolved', resolved_at = coalesce(resolved_at, ?), last_seen_at = ?,"
        " payload = json_patch(payload, ?) WHERE id = ?",
        (iso(now), iso(now), json.dumps(data, default=str), event_id),
    )
