"""What the Slack channel remembers besides the run: its threads and its widget prompts.

``slack_threads`` maps a thread (channel, thread ts) to the run that lives in it: runs started
by ``/decision start`` or a mention, and runs started by a trigger into a bare channel, whose
first message becomes the thread's root when it is delivered. Inbound thread replies find their
run through it; a thread is closed when the run's summary is posted.

``slack_prompts`` holds each posted message that carries widgets (buttons, selects, a date
picker): who it asks, and whether it was answered, so that a second click cannot answer twice;
its ``answer`` is the answer as shown ("Yes", an option's label, a person's mention), not the
words typed. A prompt whose person the run no longer asks (handed to the facilitator, or the run
ended) is superseded or closed, and its widgets are taken away.

``slack_dms`` keeps the direct message the bot opened with each person (``conversations.open``),
so that a restarted server writes to it without opening it again (Slack opens about 50 a minute).
One Slack refuses later (deleted, the person gone) is forgotten: the next message opens it again.

``slack_moves`` keeps, for each ``thread_moved`` transition, where its run lived and the channel it
went on in, and who moved it (``/decision move``; nobody when its thread was deleted), found by the
thread it left (m004) as well as by run; its queries, and a moved run's threads, are in
:mod:`bot.store.slack_moves`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
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


@migrations()
def m002_direct_messages(db: Database) -> None:
    db.execute(
        """CREATE TABLE slack_dms (
        user_id TEXT PRIMARY KEY,        -- Slack user id (U...)
        channel TEXT NOT NULL,           -- their direct message with the bot (D...)
        opened_at TEXT NOT NULL
    )"""
    )


@migrations()
def m003_thread_moves(db: Database) -> None:
    db.execute(
        """CREATE TABLE slack_moves (
        transition_id INTEGER PRIMARY KEY REFERENCES transitions(id),  -- the run's thread_moved
        run_id INTEGER NOT NULL REFERENCES runs(id),
        from_conversation TEXT NOT NULL, -- where the run lived: slack:C.../<thread ts> (or slack:C...)
        to_conversation TEXT NOT NULL,   -- the channel it went on in (its new thread's root came next)
        by_id TEXT,                      -- who moved it (/decision move); NULL: its thread was deleted
        at TEXT NOT NULL
    )"""
    )
    db.execute("CREATE INDEX slack_moves_run ON slack_moves(run_id)")


@migrations()
def m004_thread_moves_by_old_thread(db: Database) -> None:  # a reply in a thread no run reads: did a run leave it?
    db.execute("CREATE INDEX slack_moves_from ON slack_moves(from_conversation)")


@migrations()
def m005_prompts_by_run(db: Database) -> None:  # a move, a click on an old copy: the run's questions only
    db.execute("CREATE INDEX slack_prompts_run ON slack_prompts(run_id, channel)")


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


PROMPT_COLUMNS = "channel, ts, run_id, actor_id, text, expects, status, answered_by, answer"


def prompt_row(row: tuple[Any, ...]) -> PromptRow:
    channel, ts, run_id, actor_id, text, expects, status, by, answer = row
    return PromptRow(channel, ts, run_id, actor_id, text, json.loads(expects) if expects else None, status, by, answer)


def thread_run(conn: sqlite3.Connection, channel: str, thread_ts: str) -> int | None:
    """The run living in this open thread, if any."""
    sql = "SELECT run_id FROM slack_threads WHERE channel = ? AND thread_ts = ? AND closed_at IS NULL"
    row = conn.execute(sql, (channel, thread_ts)).fetchone()
    return int(row[0]) if row else None


def run_thread(conn: sqlite3.Connection, run_id: int, channel: str) -> str | None:
    """The thread a run's messages go to in ``channel`` (its root's ts), if it has one."""
    sql = "SELECT thread_ts FROM slack_threads WHERE run_id = ? AND channel = ? ORDER BY created_at LIMIT 1"
    row = conn.execute(sql, (run_id, channel)).fetchone()
    return str(row[0]) if row else None


def thread_holder(conn: sqlite3.Connection, channel: str, thread_ts: str) -> int | None:
    """The run this thread belongs to, open or ended, if any (a thread holds one run, ever)."""
    sql = "SELECT run_id FROM slack_threads WHERE channel = ? AND thread_ts = ?"
    row = conn.execute(sql, (channel, thread_ts)).fetchone()
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


def question_at(conn: sqlite3.Connection, channel: str, ts: str) -> tuple[int, str] | None:
    """(run, person) of the question posted at ``channel``/``ts`` when it is the latest one its
    open run put to that person there (a question since, posted or still to go, or none waiting:
    None; one given up since does not count, as it never reached them)."""
    row = conn.execute(
        "SELECT m.run_id, m.actor_id FROM messages m JOIN runs r ON r.id = m.run_id"
        " WHERE m.platform_id = ? AND m.direction = 'out' AND m.kind = 'prompt' AND m.channel = 'slack'"
        " AND m.actor_id IS NOT NULL AND r.status IN ('active', 'stalled') AND instr(r.waiting_on, ' ' || m.actor_id || ' ') > 0"
        " AND (r.conversation = ? OR substr(r.conversation, 1, length(?) + 1) = ? || '/')"
        " AND m.id = (SELECT max(id) FROM messages WHERE run_id = m.run_id AND direction = 'out' AND kind = 'prompt'"
        " AND actor_id = m.actor_id AND failed_at IS NULL)",
        (ts, f"slack:{channel}", f"slack:{channel}", f"slack:{channel}"),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def close_run(conn: sqlite3.Connection, run_id: int, now: datetime) -> list[PromptRow]:
    """The run ended: its threads stop taking answers and its open prompts are closed. Returns
    those prompts (their widgets are to be taken away)."""
    stamp = iso(now)
    conn.execute("UPDATE slack_threads SET closed_at = ? WHERE run_id = ? AND closed_at IS NULL", (stamp, run_id))
    rows = conn.execute(
        f"UPDATE slack_prompts SET status = 'closed', updated_at = ? WHERE run_id = ? AND status = 'open'"
        f" RETURNING {PROMPT_COLUMNS}",
        (stamp, run_id),
    ).fetchall()
    return [prompt_row(r) for r in rows]


#: The open prompts of a run that goes on (or of any run): of whom they ask, and whether the run
#: waits on that person still, with the step each asked (see :func:`prompts_open`).
_OPEN_PROMPTS = (
    f"SELECT {', '.join('p.' + c for c in PROMPT_COLUMNS.split(', '))}, m.step, p.actor_id IS ?,"
    " p.actor_id IS NOT NULL AND r.status IN ('active', 'stalled') AND instr(r.waiting_on,"
    " ' ' || CASE WHEN p.actor_id = ? THEN r.facilitator_id ELSE p.actor_id END || ' ') = 0"
    " FROM slack_prompts p LEFT JOIN runs r ON r.id = p.run_id LEFT JOIN messages m ON m.id = p.message_id"
    " WHERE p.run_id = ? AND p.status = 'open'"
)


@dataclass(frozen=True)
class Asked:
    """What a question posted to a person of a run finds open: their earlier prompts, now
    superseded (the engine asks one question per person at a time), and the prompts of people the
    run no longer waits on, each with its step (:func:`unasked_prompts`; not superseded here)."""

    superseded: list[PromptRow]
    unasked: list[tuple[PromptRow, str | None]]


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
    placeholder_id: str,
) -> Asked:
    """Record a posted prompt; earlier open prompts to the same person in the run are superseded
    (see :func:`supersede_prompts`)."""
    asked = supersede_prompts(conn, run_id, actor_id, now, placeholder_id, keep=(channel, ts))
    conn.execute(
        "INSERT OR REPLACE INTO slack_prompts (channel, ts, message_id, run_id, actor_id, text, expects, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (channel, ts, message_id, run_id, actor_id, text, json.dumps(expects) if expects else None, iso(now)),
    )
    return asked


def supersede_prompts(
    conn: sqlite3.Connection,
    run_id: int,
    actor_id: str | None,
    now: datetime,
    placeholder_id: str,
    keep: tuple[str, str] | None,
) -> Asked:
    """The run asked ``actor_id`` something new: their open prompts are superseded; the others
    it found open whose person the run no longer waits on are returned too (``keep``, a prompt
    posted now, apart), as :func:`unasked_prompts` finds them once these are superseded. One read
    of the run's open prompts (mostly none) serves both: an UPDATE ... RETURNING costs SQLite two
    temporary tables even when it changes nothing."""
    found = conn.execute(_OPEN_PROMPTS, (actor_id, placeholder_id, run_id)).fetchall()
    theirs = [prompt_row(row[:-3]) for row in found if row[-2]]
    taken = supersede_these(conn, [(row.channel, row.ts) for row in theirs], now)
    superseded = [replace(row, status="superseded") for row in theirs if (row.channel, row.ts) in taken]
    unasked = [(prompt_row(row[:-3]), row[-3]) for row in found if not row[-2] and row[-1] and (row[0], row[1]) != keep]
    return Asked(superseded, unasked)


def unasked_prompts(
    conn: sqlite3.Connection, run_id: int, placeholder_id: str, keep: tuple[str, str] | None
) -> list[tuple[PromptRow, str | None]]:
    """Open prompts of a run that goes on whose person it no longer waits on (their question was
    handed to the facilitator, or dropped by ``back``), each with the step it asked; to be
    superseded (:func:`supersede_these`). A prompt asked of the placeholder facilitator is the
    claimer's. ``keep``: (channel, ts) of a prompt posted now, left alone."""
    found = conn.execute(_OPEN_PROMPTS, (None, placeholder_id, run_id)).fetchall()
    return [(prompt_row(row[:-3]), row[-3]) for row in found if row[-1] and (row[0], row[1]) != keep]


def supersede_these(conn: sqlite3.Connection, prompts: list[tuple[str, str]], now: datetime) -> set[tuple[str, str]]:
    """The prompts posted at these (channel, ts) are superseded; returns those that were open."""
    return {(channel, ts) for channel, ts in prompts if supersede_prompt(conn, channel, ts, now)}


def supersede_prompt(conn: sqlite3.Connection, channel: str, ts: str, now: datetime) -> bool:
    """The one prompt posted at ``channel``/``ts`` is superseded; False when it was not open."""
    cur = conn.execute(
        "UPDATE slack_prompts SET status = 'superseded', updated_at = ? WHERE channel = ? AND ts = ? AND status = 'open'",
        (iso(now), channel, ts),
    )
    return cur.rowcount > 0


def prompt(conn: sqlite3.Connection, channel: str, ts: str) -> PromptRow | None:
    row = conn.execute(
        f"SELECT {PROMPT_COLUMNS} FROM slack_prompts WHERE channel = ? AND ts = ?", (channel, ts)
    ).fetchone()
    return prompt_row(row) if row else None


def prompts_answered_by(conn: sqlite3.Connection, run_id: int, actor_id: str, placeholder_id: str) -> list[PromptRow]:
    """The open prompts an answer by ``actor_id`` in ``run_id`` takes: those asking them, and,
    when they facilitate it, those asked of the placeholder facilitator before they claimed it."""
    rows = conn.execute(
        f"SELECT {PROMPT_COLUMNS} FROM slack_prompts WHERE run_id = ? AND status = 'open' AND (actor_id = ?"
        " OR (actor_id = ? AND EXISTS (SELECT 1 FROM runs WHERE id = ? AND facilitator_id = ?)))",
        (run_id, actor_id, placeholder_id, run_id, actor_id),
    ).fetchall()
    return [prompt_row(r) for r in rows]


def late_value(conn: sqlite3.Connection, run_id: int, step: str | None, actor_id: str, message_id: int) -> Any:
    """The value the run took from the first answer to ``step`` by ``actor_id`` after the outbox
    message ``message_id`` (the answer ``transcript.answer_after`` finds): the answer recorded in
    the same turn, for the same step, from the same words. None when it took none (a 'done')."""
    row = conn.execute(
        "SELECT a.value FROM messages m JOIN answers a ON a.run_id = m.run_id AND a.actor_id = m.actor_id"
        " AND a.step = m.step AND a.at = m.created_at"
        " AND (a.message_id = m.id OR a.raw = trim(m.text, ' ' || char(9, 10, 13)))"  # ('#2 yes' kept as typed)
        " WHERE m.id = (SELECT min(id) FROM messages WHERE run_id = ? AND id > ? AND direction = 'in'"
        " AND step = ? AND actor_id = ? AND kind = 'answer') ORDER BY a.id DESC LIMIT 1",
        (run_id, message_id, step, actor_id),
    ).fetchone()
    return json.loads(row[0]) if row and row[0] is not None else None


def prompt_step(conn: sqlite3.Connection, channel: str, ts: str) -> str | None:
    """The step the prompt posted at ``channel``/``ts`` asked."""
    row = conn.execute(
        "SELECT m.step FROM slack_prompts p JOIN messages m ON m.id = p.message_id WHERE p.channel = ? AND p.ts = ?",
        (channel, ts),
    ).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def answer_prompt(conn: sqlite3.Connection, channel: str, ts: str, actor_id: str, answer: str, now: datetime) -> bool:
    """The one prompt posted at ``channel``/``ts`` is answered; False when it was not open.
    ``answer`` is the answer as its "answered by" line shows it (an option's label, a person's
    mention, a date), not the words typed."""
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


def dm_of(conn: sqlite3.Connection, user_id: str) -> str | None:
    """The direct message the bot opened with Slack user ``user_id``, if it is kept."""
    row = conn.execute("SELECT channel FROM slack_dms WHERE user_id = ?", (user_id,)).fetchone()
    return str(row[0]) if row else None


def keep_dm(conn: sqlite3.Connection, user_id: str, channel: str, now: datetime) -> None:
    """Slack opened ``channel``, the direct message with ``user_id``."""
    conn.execute(
        "INSERT INTO slack_dms (user_id, channel, opened_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET channel = excluded.channel, opened_at = excluded.opened_at",
        (user_id, channel, iso(now)),
    )


def forget_dm(conn: sqlite3.Connection, channel: str) -> None:
    """Slack refused the direct message ``channel``: it is opened again when next needed."""
    conn.execute("DELETE FROM slack_dms WHERE channel = ?", (channel,))


def delivered(conn: sqlite3.Connection, platform: str, delivery_id: str) -> bool:
    """Whether the delivery was seen already (a retry of an event, a click, a command)."""
    sql = "SELECT 1 FROM deliveries WHERE platform = ? AND delivery_id = ?"
    return conn.execute(sql, (platform, delivery_id)).fetchone() is not None


def question_run(conn: sqlite3.Connection, ts: str, actor_id: str) -> int | None:
    """The open run that sent ``actor_id`` the message posted at ``ts`` (a question in their
    direct message, or its reminder) and waits on them still: a reply in its thread answers it."""
    row = conn.execute(
        "SELECT m.run_id FROM runs r JOIN messages m ON m.run_id = r.id WHERE r.status IN ('active', 'stalled')"
        " AND r.channel = 'slack' AND instr(r.waiting_on, ?) > 0 AND m.direction = 'out' AND m.platform_id = ?"
        " AND m.actor_id = ? LIMIT 1",
        (f" {actor_id} ", ts, actor_id),
    ).fetchone()
    return int(row[0]) if row else None
