"""A Slack run's threads as it moves (``/decision move``, its root deleted): the thread it lives in
now, the thread it left, what its latest move queued and left behind. ``slack_moves`` (its
migrations with the channel's others, :mod:`bot.store.slack`) keeps, for each ``thread_moved``
transition, where the run lived, the channel it went on in and who moved it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import NamedTuple

from bot.model import ConversationKey
from bot.store import iso
from bot.store.runs import OPEN
from bot.store.slack import PROMPT_COLUMNS, PromptRow, prompt_row, run_thread


def current_thread(conn: sqlite3.Connection, run_id: int, where: ConversationKey) -> str | None:
    """The thread run ``run_id``, living in ``where``, posts in: ``where``'s own, else the one its
    root made in that bare channel; None in a direct message, or before its root is out."""
    if where.thread is not None or where.conversation.startswith("D"):  # (a direct message: no thread)
        return where.thread
    return run_thread(conn, run_id, where.conversation)


def moved_from(conn: sqlite3.Connection, channel: str, thread_ts: str) -> int | None:
    """The open run whose latest move left thread ``channel``/``thread_ts``, if any."""
    row = conn.execute(
        "SELECT m.run_id FROM slack_moves m JOIN runs r ON r.id = m.run_id WHERE m.from_conversation = ?"
        f" AND r.status IN {OPEN} ORDER BY m.transition_id DESC LIMIT 1",
        (str(ConversationKey("slack", channel, thread_ts)),),
    ).fetchone()
    return int(row[0]) if row else None


def lived_in(conn: sqlite3.Connection, run_id: int, channel: str, thread_ts: str) -> bool:
    """Whether run ``run_id`` (open or ended) moved away from thread ``channel``/``thread_ts``."""
    sql = "SELECT 1 FROM slack_moves WHERE from_conversation = ? AND run_id = ? LIMIT 1"
    return conn.execute(sql, (str(ConversationKey("slack", channel, thread_ts)), run_id)).fetchone() is not None


class RootWaiting(NamedTuple):
    """The root a run's latest move queued, not out yet: its outbox id, the move's time, where the
    run lived before it (``from_conversation``), and who moved it (None: its thread was deleted)."""

    root: int
    at: str
    left: str
    by: str | None


def root_waiting(conn: sqlite3.Connection, run_id: int, to: ConversationKey) -> RootWaiting | None:
    """The root run ``run_id``'s latest move queued for ``to`` (the bare channel it went to),
    while it is not out; None when its latest move went elsewhere, or its root went out. The
    root is the move's first message, queued in its transaction, at its time."""
    row = conn.execute(
        "SELECT o.id, m.at, m.from_conversation, m.by_id FROM slack_moves m JOIN messages o ON o.id = ("
        "SELECT min(id) FROM messages WHERE run_id = m.run_id AND direction = 'out' AND conversation = m.to_conversation"
        " AND created_at = m.at) WHERE m.run_id = ? AND m.to_conversation = ? AND o.delivered_at IS NULL"
        " AND m.transition_id = (SELECT max(transition_id) FROM slack_moves WHERE run_id = ?)",
        (run_id, str(to), run_id),
    ).fetchone()
    return RootWaiting(int(row[0]), str(row[1]), str(row[2]), row[3]) if row else None


def leave_thread(
    conn: sqlite3.Connection, run_id: int, channel: str, thread_ts: str | None, to: str, now: datetime
) -> list[PromptRow]:
    """The run leaves its thread ``channel``/``thread_ts`` (its root deleted; moved elsewhere by its
    facilitator) for conversation ``to``, a bare channel: its next message there becomes the root
    of its new thread, as the first message of a run an alert starts does. The thread is
    forgotten (its replies no longer reach the run) and the run's open prompts in the channel are
    superseded (their messages went with the thread, or stay behind answered by nothing). What
    the outbox still holds for the old thread is the caller's (``outbox_rows.requeue``). In the
    caller's transaction; returns the prompts superseded."""
    if thread_ts is not None:
        conn.execute(
            "DELETE FROM slack_threads WHERE channel = ? AND thread_ts = ? AND run_id = ?", (channel, thread_ts, run_id)
        )
    conn.execute("UPDATE runs SET conversation = ? WHERE id = ?", (to, run_id))
    left = conn.execute(
        "UPDATE slack_prompts SET status = 'superseded', updated_at = ? WHERE run_id = ? AND channel = ?"
        f" AND status = 'open' RETURNING {PROMPT_COLUMNS}",
        (iso(now), run_id, channel),
    )
    return [prompt_row(r) for r in left.fetchall()]


def still_behind(conn: sqlite3.Connection, run_id: int, channel: str, at: str, now: datetime) -> list[PromptRow]:
    """The prompts of run ``run_id`` in ``channel`` its move at ``at`` left behind (superseded then,
    still so), left behind by its move ``now`` instead (moved again, or back, before that move's
    root was out: their redraw is this move's). In the caller's transaction."""
    rows = conn.execute(
        f"UPDATE slack_prompts SET updated_at = ? WHERE run_id = ? AND channel = ? AND status = 'superseded'"
        f" AND updated_at = ? RETURNING {PROMPT_COLUMNS}",
        (iso(now), run_id, channel, at),
    ).fetchall()
    return [prompt_row(r) for r in rows]


def left_by_root(conn: sqlite3.Connection, run_id: int, channel: str, message_id: int) -> list[PromptRow]:
    """When outbox message ``message_id``, just posted as a root in ``channel``, is the root of run
    ``run_id``'s latest move by someone (``/decision move``): the prompts that move left behind in
    the thread it left, still superseded (their redraw is to link the new thread); else none."""
    moved = conn.execute(
        "SELECT m.from_conversation, m.at FROM slack_moves m WHERE m.run_id = ? AND m.to_conversation = ?"
        " AND m.by_id IS NOT NULL AND m.transition_id = (SELECT max(transition_id) FROM slack_moves WHERE run_id = ?)"
        " AND ? = (SELECT min(id) FROM messages WHERE run_id = m.run_id AND direction = 'out'"
        " AND conversation = m.to_conversation AND created_at = m.at)",
        (run_id, str(ConversationKey("slack", channel)), run_id, message_id),
    ).fetchone()
    if moved is None:
        return []
    return left_at(conn, run_id, ConversationKey.parse(str(moved[0])).conversation, str(moved[1]))


def left_at(conn: sqlite3.Connection, run_id: int, channel: str, at: str) -> list[PromptRow]:
    """The prompts of run ``run_id`` in ``channel`` its move at ``at`` left behind, still so."""
    rows = conn.execute(
        f"SELECT {PROMPT_COLUMNS} FROM slack_prompts WHERE run_id = ? AND channel = ? AND status = 'superseded'"
        " AND updated_at = ?",
        (run_id, channel, at),
    ).fetchall()
    return [prompt_row(r) for r in rows]


def answered_copy(conn: sqlite3.Connection, channel: str, ts: str) -> PromptRow | None:
    """The latest copy of the question posted at ``channel``/``ts`` (the same run, person and words:
    asked again after a move, a deleted message), when it was answered; None when there is no
    later copy, or the latest is not answered (open: asked again since, after a 'back')."""
    row = conn.execute(
        f"SELECT {', '.join('c.' + c for c in PROMPT_COLUMNS.split(', '))} FROM slack_prompts p JOIN slack_prompts c"
        " ON c.run_id = p.run_id AND c.actor_id IS p.actor_id AND c.text = p.text AND c.message_id > p.message_id"
        " WHERE p.channel = ? AND p.ts = ? ORDER BY c.message_id DESC LIMIT 1",
        (channel, ts),
    ).fetchone()
    latest = prompt_row(row) if row else None
    return latest if latest is not None and latest.status == "answered" else None


def record_move(conn: sqlite3.Connection, run_id: int, old: str, new: str, by: str | None, now: datetime) -> None:
    """Keep where the run's latest ``thread_moved`` transition took it from and to (``slack_moves``)."""
    conn.execute(
        "INSERT INTO slack_moves (transition_id, run_id, from_conversation, to_conversation, by_id, at)"
        " SELECT max(id), ?, ?, ?, ?, ? FROM transitions WHERE run_id = ? AND event = 'thread_moved'",
        (run_id, old, new, by, iso(now), run_id),
    )
