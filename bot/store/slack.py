"""What the Slack channel remembers besides the run: its threads and its widget prompts.

``slack_threads`` maps a thread (channel, thread ts) to the run that lives in it: runs started
by ``/decision start`` or a mention, and runs started by a trigger into a bare channel, whose
first message becomes the thread's root when it is delivered. Inbound thread replies find their
run through it; a thread is closed when the run's summary is posted.

``slack_prompts`` holds each posted message that carries widgets (buttons, selects, a date
picker): who it asks, and whether it was answered, so that a second click cannot answer twice.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot import texts
from bot.errors import BotError
from bot.store import iso

migrations = Migrations("decisionbot-slack")


class ThreadTaken(BotError):
    """A run was to live in a Slack thread that already belongs to another run."""


@migrations()
def m001_threads_and_prompts(db: Database) -> None:
    db.execute(
        """CREATE TABLE slack_threads (
        channel TEXT NOT NULL,           -- Slack channel id (C..., G...)
        thread_ts TEXT NOT NULL,         -- ts of the thread's root message
        run_id INTEGER NOT NULL REFERENCES runs(id),
        created_at TEXT NOT NULL,
        closed_at TEXT,                  -- the run's summary was posted: replies are no longer answers
        PRIMARY KEY (channel, thread_ts)
    )"""
    )
    db.execute("CREATE INDEX slack_threads_run ON slack_threads(run_id)")
    db.execute(
        """CREATE TABLE slack_prompts (
        channel TEXT NOT NULL,
        ts TEXT NOT NULL,                -- the posted message
        message_id INTEGER NOT NULL REFERENCES messages(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        actor_id TEXT,                   -- who is asked (slack:U...)
        text TEXT NOT NULL,              -- the question, to redraw the message once answered
        expects TEXT,                    -- JSON
        status TEXT NOT NULL DEFAULT 'open',     -- open | answered | superseded | closed
        answered_by TEXT,
        answer TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (channel, ts)
    )"""
    )
    db.execute("CREATE INDEX slack_prompts_open ON slack_prompts(run_id, actor_id) WHERE status = 'open'")


@dataclass(frozen=True)
class PromptRow:
    channel: str
    ts: str
    run_id: int
    actor_id: str | None
    text: str
    expects: dict[str, Any] | None
    status: str
    answered_by: str | None
    answer: str | None


_PROMPT_COLUMNS = "channel, ts, run_id, actor_id, text, expects, status, answered_by, answer"


def _prompt(row: tuple[Any, ...]) -> PromptRow:
    channel, ts, run_id, actor_id, text, expects, status, by, answer = row
    return PromptRow(channel, ts, run_id, actor_id, text, json.loads(expects) if expects else None, status, by, answer)


def thread_run(conn: sqlite3.Connection, channel: str, thread_ts: str) -> int | None:
    """The run living in this open thread, if any."""
    row = conn.execute(
        "SELECT run_id FROM slack_threads WHERE channel = ? AND thread_ts = ? AND closed_at IS NULL",
        (channel, thread_ts),
    ).fetchone()
    return int(row[0]) if row else None


def run_thread(conn: sqlite3.Connection, run_id: int, channel: str) -> str | None:
    """The thread a run's messages go to in ``channel`` (its root's ts), if it has one."""
    row = conn.execute(
        "SELECT thread_ts FROM slack_threads WHERE run_id = ? AND channel = ? ORDER BY created_at LIMIT 1",
        (run_id, channel),
    ).fetchone()
    return str(row[0]) if row else None


def thread_holder(conn: sqlite3.Connection, channel: str, thread_ts: str) -> int | None:
    """The run this thread belongs to, open or ended, if any (a thread holds one run, ever)."""
    row = conn.execute(
        "SELECT run_id FROM slack_threads WHERE channel = ? AND thread_ts = ?", (channel, thread_ts)
    ).fetchone()
    return int(row[0]) if row else None


def add_thread(conn: sqlite3.Connection, channel: str, thread_ts: str, run_id: int, now: datetime) -> None:
    """``run_id`` lives in this thread. Recording it again is a no-op; a thread that belongs to
    another run raises ThreadTaken (the caller's savepoint goes, with the run it was starting),
    so no run is ever kept whose thread replies would reach another."""
    held = thread_holder(conn, channel, thread_ts)
    if held == run_id:
        return
    if held is not None:
        raise ThreadTaken(texts.slack_thread_taken(channel, thread_ts, run_id, held))
    conn.execute(
        "INSERT INTO slack_threads (channel, thread_ts, run_id, created_at) VALUES (?, ?, ?, ?)",
        (channel, thread_ts, run_id, iso(now)),
    )


def close_run(conn: sqlite3.Connection, run_id: int, now: datetime) -> None:
    """The run ended: its threads stop taking answers and its open prompts are closed."""
    stamp = iso(now)
    conn.execute("UPDATE slack_threads SET closed_at = ? WHERE run_id = ? AND closed_at IS NULL", (stamp, run_id))
    conn.execute(
        "UPDATE slack_prompts SET status = 'closed', updated_at = ? WHERE run_id = ? AND status = 'open'",
        (stamp, run_id),
    )


def add_prompt(
    conn: sqlite3.Connection,
    channel: str,
    ts: str,
    message_id: int,
    run_id: int,
    actor_id: str | None,
    text: str,
    expects: dict[str, Any] | None,
    now: datetime,
) -> list[PromptRow]:
    """Record a posted prompt; earlier open prompts to the same person in the run are superseded
    (the engine asks one question per person at a time). Returns the superseded ones."""
    superseded = supersede_prompts(conn, run_id, actor_id, now)
    conn.execute(
        "INSERT OR REPLACE INTO slack_prompts (channel, ts, message_id, run_id, actor_id, text, expects, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (channel, ts, message_id, run_id, actor_id, text, json.dumps(expects) if expects else None, iso(now)),
    )
    return superseded


def supersede_prompts(conn: sqlite3.Connection, run_id: int, actor_id: str | None, now: datetime) -> list[PromptRow]:
    """The run asked ``actor_id`` something new: their open prompts are superseded. Returns them."""
    rows = conn.execute(
        f"UPDATE slack_prompts SET status = 'superseded', updated_at = ? WHERE run_id = ? AND actor_id IS ?"
        f" AND status = 'open' RETURNING {_PROMPT_COLUMNS}",
        (iso(now), run_id, actor_id),
    ).fetchall()
    return [_prompt(r) for r in rows]


def supersede_prompt(conn: sqlite3.Connection, channel: str, ts: str, now: datetime) -> bool:
    """The one prompt posted at ``channel``/``ts`` is superseded; False when it was not open."""
    cur = conn.execute(
        "UPDATE slack_prompts SET status = 'superseded', updated_at = ? WHERE channel = ? AND ts = ? AND status = 'open'",
        (iso(now), channel, ts),
    )
    return cur.rowcount > 0


def prompt(conn: sqlite3.Connection, channel: str, ts: str) -> PromptRow | None:
    row = conn.execute(
        f"SELECT {_PROMPT_COLUMNS} FROM slack_prompts WHERE channel = ? AND ts = ?", (channel, ts)
    ).fetchone()
    return _prompt(row) if row else None


def answer_prompts(conn: sqlite3.Connection, run_id: int, actor_id: str, answer: str, now: datetime) -> list[PromptRow]:
    """``actor_id`` answered in ``run_id``: their open prompts are answered. Returns them."""
    rows = conn.execute(
        f"UPDATE slack_prompts SET status = 'answered', answered_by = ?, answer = ?, updated_at = ?"
        f" WHERE run_id = ? AND actor_id = ? AND status = 'open' RETURNING {_PROMPT_COLUMNS}",
        (actor_id, answer, iso(now), run_id, actor_id),
    ).fetchall()
    return [_prompt(r) for r in rows]


def answer_claimed_prompts(
    conn: sqlite3.Connection, run_id: int, actor_id: str, placeholder_id: str, answer: str, now: datetime
) -> list[PromptRow]:
    """``actor_id`` answered in ``run_id`` as its facilitator: the open prompts asked of the
    placeholder facilitator before they claimed the run are answered too. Returns them."""
    rows = conn.execute(
        f"UPDATE slack_prompts SET status = 'answered', answered_by = ?, answer = ?, updated_at = ?"
        f" WHERE run_id = ? AND actor_id = ? AND status = 'open'"
        f" AND EXISTS (SELECT 1 FROM runs WHERE id = ? AND facilitator_id = ?) RETURNING {_PROMPT_COLUMNS}",
        (actor_id, answer, iso(now), run_id, placeholder_id, run_id, actor_id),
    ).fetchall()
    return [_prompt(r) for r in rows]


def answer_prompt(conn: sqlite3.Connection, channel: str, ts: str, actor_id: str, answer: str, now: datetime) -> bool:
    """The one prompt posted at ``channel``/``ts`` is answered; False when it was not open."""
    cur = conn.execute(
        "UPDATE slack_prompts SET status = 'answered', answered_by = ?, answer = ?, updated_at = ?"
        " WHERE channel = ? AND ts = ? AND status = 'open'",
        (actor_id, answer, iso(now), channel, ts),
    )
    return cur.rowcount > 0


def talks_by_dm(conn: sqlite3.Connection, run_id: int, actor_id: str) -> bool:
    """Whether this person's latest message to the run came by direct message."""
    row = conn.execute(
        "SELECT conversation FROM messages WHERE run_id = ? AND direction = 'in' AND actor_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (run_id, actor_id),
    ).fetchone()
    return bool(row) and str(row[0]).startswith("slack:D")
