"""The Slack events acknowledged before their turn ran: ``slack_inbox``.

An Events API callback (a message, a mention, an edit, a channel archived) is verified, written
here and committed, and only then acknowledged; its turn runs after the acknowledgement, from
this row, and deletes the row in its last write. Slack thus gets its 200 in the time one insert
and its commit take, whatever the turn costs, and nothing acknowledged is lost: a turn cut by a
crash or a stop leaves its row, run again by the next pass over the inbox (at start-up, then
once a second); one that failed is tried again after a while (``BACKOFF``: over about the five
minutes Slack itself would have sent it again in). A turn run twice is dropped by its delivery id
as Slack's retries are. A row that failed ``TRIES`` times is kept with why, and no longer run.

Slash commands and clicks are not kept here: their answer is their outcome (an ephemeral
reply, a form's errors), told within Slack's 3 s or at their ``response_url``
(:mod:`bot.channels.slack_late`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.store import iso

migrations = Migrations("decisionbot-slack-inbox")

#: How long a failed turn waits before its next try, by the tries it has had: about the 5
#: minutes over which Slack itself sends an event again; past the last, it is no longer run.
BACKOFF = (timedelta(seconds=1), timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5))
#: Tries of one event's turn before its row is kept as failed and no longer run.
TRIES = len(BACKOFF) + 1


@migrations()
def m001_inbox(db: Database) -> None:
    db.execute(
        """CREATE TABLE slack_inbox (
        id INTEGER PRIMARY KEY,          -- the order events were acknowledged in
        event_id TEXT NOT NULL UNIQUE,   -- Slack's event_id: a retry of an event still kept is not kept twice
        payload TEXT NOT NULL,           -- the event_callback as Slack sent it (JSON)
        received_at TEXT NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0,
        failed TEXT,                     -- why its last try failed
        retry_at TEXT                    -- after a failed try: not run again before
    )"""
    )


@dataclass(frozen=True)
class Kept:
    id: int
    event_id: str
    payload: dict[str, Any]


def keep(conn: sqlite3.Connection, payload: dict[str, Any], now: datetime) -> Kept | None:
    """Write an event to the inbox; None when its event_id is there already (a retry of an event
    whose turn has not run yet)."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO slack_inbox (event_id, payload, received_at) VALUES (?, ?, ?)",
        (payload["event_id"], json.dumps(payload, ensure_ascii=False), iso(now)),
    )
    if cur.rowcount == 0:
        return None
    assert cur.lastrowid is not None
    return Kept(cur.lastrowid, payload["event_id"], payload)


def waiting(conn: sqlite3.Connection, limit: int, now: datetime) -> list[int]:
    """The oldest events whose turn is to run now (none that failed TRIES times, none whose
    failed try is too recent), by their row's id."""
    rows = conn.execute(
        "SELECT id FROM slack_inbox WHERE tries < ? AND (retry_at IS NULL OR retry_at <= ?) ORDER BY id LIMIT ?",
        (TRIES, iso(now), limit),
    ).fetchall()
    return [row[0] for row in rows]


def kept(conn: sqlite3.Connection, ids: list[int]) -> list[Kept]:
    """The events of these rows, in their order (read only for turns to start: payloads are large)."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, event_id, payload FROM slack_inbox WHERE id IN ({marks}) ORDER BY id", ids)
    return [Kept(row[0], row[1], json.loads(row[2])) for row in rows.fetchall()]


def done(conn: sqlite3.Connection, kept_id: int) -> None:
    conn.execute("DELETE FROM slack_inbox WHERE id = ?", (kept_id,))


def failed(conn: sqlite3.Connection, kept_id: int, why: str, now: datetime) -> int:
    """Count a failed try of an event's turn, its next put off (BACKOFF); how many it has had."""
    row = conn.execute("SELECT tries FROM slack_inbox WHERE id = ?", (kept_id,)).fetchone()
    if row is None:
        return TRIES
    tries = int(row[0]) + 1
    retry = iso(now + BACKOFF[min(tries, len(BACKOFF)) - 1])
    conn.execute(
        "UPDATE slack_inbox SET tries = ?, failed = ?, retry_at = ? WHERE id = ?", (tries, why, retry, kept_id)
    )
    return tries
