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

from bot import texts
from bot.store import iso

migrations = Migrations("decisionbot-slack-inbox")

#: How long a failed turn waits before its next try, by the tries it has had: about the 5
#: minutes over which Slack itself sends an event again; past the last, it is no longer run.
BACKOFF = (timedelta(seconds=1), timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5))
#: Tries of one event's turn before its row is kept as failed and no longer run: "given up" (the
#: index ``slack_inbox_given_up`` is made for 5: another number needs a migration remaking it).
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


@migrations()
def m002_given_up_index(db: Database) -> None:
    """The events given up, counted by ``/metrics`` and ``/healthz`` (:func:`counts`) through an
    index of their own: the rows on their way (nearly all) never enter it, so keeping an event
    costs nothing more, and counting reads no payload."""
    db.execute("CREATE INDEX slack_inbox_given_up ON slack_inbox (tries) WHERE tries >= 5")


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


# --- what the operator sees and does (``/metrics``, ``/healthz``, ``decisionbot slack``) -----------


@dataclass(frozen=True)
class Counts:
    waiting: int  # kept and not given up: its turn to run, under way, or waiting for its next try
    given_up: int  # failed TRIES times: kept with why, no longer run until the operator says so


def counts(conn: sqlite3.Connection) -> Counts:
    """The events kept, in one query that reads no payload (the event ids' index, then the given-up
    ones' own: ``m002_given_up_index``)."""
    kept, given_up = conn.execute(
        "SELECT (SELECT count(*) FROM slack_inbox),"
        f" (SELECT count(*) FROM slack_inbox WHERE tries >= {TRIES})"  # (the index's condition, word for word)
    ).fetchone()
    return Counts(kept - given_up, given_up)


def given_up_health(conn: sqlite3.Connection) -> str | None:
    """For ``/healthz``: the events given up, how many and what to run (a warning: the status stays
    ok, as for a channel failing); None when none, or when the ledger could not be read."""
    try:
        given_up = counts(conn).given_up
    except sqlite3.Error:
        return None
    return texts.slack_events_given_up_health(given_up, TRIES) if given_up else None


@dataclass(frozen=True)
class Row:
    """A kept event as the operator lists it."""

    id: int
    event_id: str
    received_at: str
    tries: int
    failed: str | None
    retry_at: str | None
    payload: dict[str, Any]

    @property
    def given_up(self) -> bool:
        return self.tries >= TRIES


_ROW = "SELECT id, event_id, received_at, tries, failed, retry_at, payload FROM slack_inbox"


def rows(conn: sqlite3.Connection, given_up_only: bool = False) -> list[Row]:
    """The kept events, oldest first (only those given up: ``given_up_only``)."""
    where = f" WHERE tries >= {TRIES}" if given_up_only else ""
    return [_row(row) for row in conn.execute(f"{_ROW}{where} ORDER BY id").fetchall()]


def named(conn: sqlite3.Connection, names: list[str]) -> dict[str, Row]:
    """The kept events these name, each by the row's id (digits) or Slack's event_id; a name that
    names none is left out."""
    found: dict[str, Row] = {}
    for name in names:
        column = "id" if name.isdigit() else "event_id"
        row = conn.execute(f"{_ROW} WHERE {column} = ?", (name,)).fetchone()
        if row is not None:
            found[name] = _row(row)
    return found


def _row(row: tuple[Any, ...]) -> Row:
    try:
        payload = json.loads(row[6])
    except ValueError:
        payload = None
    return Row(row[0], row[1], row[2], row[3], row[4], row[5], payload if isinstance(payload, dict) else {})


def given_up_ids(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute(f"SELECT id FROM slack_inbox WHERE tries >= {TRIES} ORDER BY id")]


def retry(conn: sqlite3.Connection, ids: list[int]) -> list[str]:
    """Set these given-up events to be tried again (TRIES more tries, the first at the server's next
    pass); ``failed`` is kept, saying why until the turn is done or fails again. Their event ids,
    those that were given up alone."""
    marks = ",".join("?" * len(ids))
    changed = conn.execute(
        f"UPDATE slack_inbox SET tries = 0, retry_at = NULL WHERE id IN ({marks}) AND tries >= {TRIES}"
        " RETURNING id, event_id",
        ids,
    ).fetchall()
    return [event_id for _, event_id in sorted(changed)]
