"""How a run began, in its transcript: the person's start (a ``/decision start`` command, a form
submitted, ``@decisionbot start``, ``start FLOW`` in a direct message; ``start FLOW`` typed on Teams
or Rasa, by :func:`bot.control.run_command_kept`; the message that made a Rasa assistant start a
run: a ``messages`` row ``in`` of kind ``start``, when it came) and, on Slack, the root the bot
posted for the run's thread (``out`` of kind ``root``, delivered: Slack's ts, when it was asked for
and when Slack took it), written before the run's first question, so that the transcript, in ``id``
order, reads as it happened.

They are written, without a run, in the transaction that starts it, ahead of it
(:func:`record_start`), then given its run (:func:`own_start`), or taken out again when nothing
started: :func:`kept_start` does all three around the start, for every channel. No measure counts a
start as a message sent (``bot.analytics.sql_parts.NOT_SENT``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.errors import BotError
from bot.model import Actor, ConversationKey
from bot.store import iso


@dataclass(frozen=True)
class Posted:
    """A root the bot posted: its ``ts``, its ``text`` (plain), asked for at ``asked_at``, taken by
    the platform at ``delivered_at``."""

    ts: str
    text: str
    asked_at: datetime
    delivered_at: datetime


@dataclass(frozen=True)
class StartSaid:
    """A start as its transcript keeps it: ``actor``'s ``text`` (the command as typed, or what the
    form stood for), ``payload`` (how it came: JSON-able), ``at`` (when it came); ``root``: the
    root posted for the run's thread (None: none, a start in a burst)."""

    actor: Actor
    text: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    root: Posted | None = None


_INSERT = (
    "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, platform_id, kind,"
    " text, payload, created_at, delivered_at) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record_start(
    conn: sqlite3.Connection, said: StartSaid, conversation: ConversationKey, platform_id: str | None
) -> list[int]:
    """The start's rows (and its root's), in ``conversation`` (the run's), with no run yet: their ids."""
    where = str(conversation)
    start = (
        "in",
        conversation.channel,
        where,
        said.actor.id,
        said.actor.name,
        platform_id,
        "start",
        said.text,
        json.dumps(said.payload),
        iso(said.at),
        None,
    )
    ids = [int(conn.execute(_INSERT, start).lastrowid or 0)]
    if said.root is not None:
        root = said.root
        posted = ("out", conversation.channel, where, None, None, root.ts, "root", root.text, None, iso(root.asked_at))
        ids.append(int(conn.execute(_INSERT, (*posted, iso(root.delivered_at))).lastrowid or 0))
    return ids


def own_start(conn: sqlite3.Connection, ids: list[int], run_id: int | None) -> None:
    """The rows :func:`record_start` wrote given run ``run_id``; None: nothing started, they go."""
    if not ids:
        return
    marks = ", ".join("?" * len(ids))
    if run_id is None:
        conn.execute(f"DELETE FROM messages WHERE id IN ({marks})", ids)
    else:
        conn.execute(f"UPDATE messages SET run_id = ? WHERE id IN ({marks})", (run_id, *ids))


R = TypeVar("R")


def kept_start(
    conn: sqlite3.Connection,
    said: StartSaid | None,
    conversation: ConversationKey,
    platform_id: str | None,
    start: Callable[[], R],
    run_started: Callable[[R], int | None],
) -> R:
    """``start()`` carried out in the transaction ``conn`` is in, with ``said`` (None: no start to
    keep) recorded ahead of it and given the run ``run_started`` says it started: taken out again
    when it started none, or failed (a :class:`BotError`: the transaction may go on)."""
    began = record_start(conn, said, conversation, platform_id) if said is not None else []
    try:
        done = start()
    except BotError:
        own_start(conn, began, None)
        raise
    own_start(conn, began, run_started(done))
    return done


def run_of(conn: sqlite3.Connection, channel: str, platform_id: str) -> int | None:
    """The run the start delivered as ``platform_id`` on ``channel`` began (its start row), if any
    ("": no delivery id, no run)."""
    if not platform_id:
        return None
    sql = (
        "SELECT run_id FROM messages WHERE direction = 'in' AND channel = ? AND platform_id = ? AND kind = 'start'"
        " ORDER BY id LIMIT 1"
    )
    row = conn.execute(sql, (channel, platform_id)).fetchone()
    return int(row[0]) if row and row[0] is not None else None
