"""The latest reading of the metric behind a run or a decision (metric, value, threshold, when
last seen, whether it resolved since), as reminders, escalations and reviews show it.

The newest event of the trigger's dedup key gives it: the alert that fired again after its
decision, in a run of its own, is read there. A SQL check's last evaluation that read a value
comes after it when newer: evaluations within bounds feed no event."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot import texts

#: The newest event of ``?``'s dedup key (``?`` itself first) that carries a value.
NEWEST_READING = (
    "SELECT payload, last_seen_at, status, source FROM events"
    " WHERE (id = ? OR id > ? AND dedup_key = (SELECT dedup_key FROM events WHERE id = ?))"
    " AND coalesce(json_extract(payload, '$.value'), '') != '' ORDER BY id DESC LIMIT 1"
)


def event_reading(conn: sqlite3.Connection, event_id: int | None) -> dict[str, Any] | None:
    """The latest reading of the metric an event reported, if it is a metric's."""
    if event_id is None:
        return None
    row = conn.execute(NEWEST_READING, (event_id, event_id, event_id)).fetchone()
    if row is None:
        return None
    payload = json.loads(row[0])
    reading = {**payload, "last_seen_at": row[1], "status": row[2]}
    if row[3] == "check" and payload.get("check"):  # evaluated since: within bounds, or a new breach
        reading.update(check_reading(conn, str(payload["check"]), row[1], row[2]) or {})
    return reading


def check_reading(conn: sqlite3.Connection, check: str, after: str, event_status: str) -> dict[str, Any] | None:
    """A check's last evaluation that read a value, if it came after ``after``. One within bounds
    is resolved only when its event is (``clear_after`` may hold the breach open)."""
    row = conn.execute(
        "SELECT value, threshold, breached, at FROM check_evaluations WHERE check_name = ? AND value IS NOT NULL"
        " AND error IS NULL ORDER BY id DESC LIMIT 1",
        (check,),
    ).fetchone()
    if row is None or row[3] <= after:
        return None
    status = "firing" if row[2] else event_status
    return {"value": texts.metric_number(row[0]), "threshold": texts.metric_number(row[1]), "last_seen_at": row[3],
            "status": status}  # fmt: skip
