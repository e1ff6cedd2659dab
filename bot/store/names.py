"""The names of the conversations runs live in, as their platform last gave them, for analysts and
facilitators (the ledger otherwise keeps ids only: ``slack:C0OPS``).

``conversation_names`` holds one row per conversation (a Slack channel, a Teams channel or group
chat), keyed as ``runs.conversation`` without its thread (``slack:C0OPS``;
:func:`bot.analytics.sql_parts.conversation_of`): its name (a Slack channel's without ``#``; a
Teams channel's as ``Team / Channel``) and when it was last seen. Names are kept where a platform
gives them with what the bot does anyway: a Slack slash command's ``channel_name`` (and the
channels its text names, ``<#C0OPS|ops>``), what Slack says of the channels ``routes.yaml`` names
when the server checks them and of both channels of a ``/decision move`` (``conversations.info``,
asked for that check), a Teams activity's ``channelData`` (its channel and team; a channel created
or renamed, told in the team's General channel: the channel it names) or group chat's
``conversation.name``. A Slack channel runs live in that none of those named (a run started by a
mention or a message there) is asked about in the background, off the turns' path
(:mod:`bot.channels.slack_naming`: a few ``conversations.info`` a minute at most). A Slack name
given with a turn is never waited for (another process holding the ledger's write lock: kept the
next time it is given). A conversation never named has no row: the views say NULL. Read by the
analytics views that show a conversation and ``decisionbot runs list``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.store import group, iso, transaction
from bot.store.write_lock import LedgerBusy

migrations = Migrations("decisionbot-names")


@migrations()
def m001_conversation_names(db: Database) -> None:
    db.execute(
        """CREATE TABLE conversation_names (
        conversation TEXT PRIMARY KEY,   -- platform:id, as runs.conversation without its thread
        platform TEXT NOT NULL,          -- slack, teams
        name TEXT NOT NULL,              -- as the platform last gave it (a Slack channel: without #)
        seen_at TEXT NOT NULL            -- when it was last given so (UTC)
    ) WITHOUT ROWID"""
    )


def name_of(conn: sqlite3.Connection, conversation: str) -> str | None:
    """The name kept for ``conversation`` (``slack:C0OPS``), or None."""
    row = conn.execute("SELECT name FROM conversation_names WHERE conversation = ?", (conversation,)).fetchone()
    return None if row is None else str(row[0])


def news(conn: sqlite3.Connection, platform: str, named: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """Of the names a platform gave (``named``: (conversation id, name) pairs: ``C0OPS``, ``ops``;
    an empty or missing name is none), those not kept as given yet, keyed as the ledger keys them
    (``slack:C0OPS``): read only, so that a turn that teaches nothing new writes nothing."""
    return [
        (f"{platform}:{conversation}", name)
        for conversation, name in dict(named).items()
        if conversation and name and name_of(conn, f"{platform}:{conversation}") != name
    ]


def learnt(db: Database, platform: str, named: Iterable[tuple[str, str | None]], now: datetime) -> int:
    """Keep the names :func:`news` finds new, with when they were given; returns how many."""
    changed = news(db.conn, platform, named)
    if not changed:
        return 0
    with transaction(db) as conn:
        conn.executemany(
            "INSERT INTO conversation_names (conversation, platform, name, seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (conversation) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at",
            [(key, platform, name, iso(now)) for key, name in changed],
        )
    return len(changed)


async def kept_if_free(
    db: Database, platform: str, given: Iterable[tuple[str, object]], clock: Callable[[], datetime]
) -> int:
    """Keep the names ``given`` (as :func:`learnt`; a name that is no string is none) that are new,
    never waiting for the ledger: while another process holds its write lock they are left for
    the next time they are given. How many were kept."""
    named = [(conversation, name) for conversation, name in given if isinstance(name, str)]
    if not news(db.conn, platform, named):
        return 0
    try:
        await group.writable(db.conn, within=0)
    except LedgerBusy:
        return 0
    return learnt(db, platform, named, clock())


@dataclass(frozen=True)
class Place:
    """Where a run lives now (``conversation``: its key without the thread, ``slack:C0OPS``) and its
    name; ``moved_from``: where it started, when it lives elsewhere now (moved with ``/decision
    move``: ``slack_moves``), and that one's name."""

    platform: str
    conversation: str
    name: str | None
    moved_from: str | None = None
    moved_from_name: str | None = None


def _channel(key: str) -> str:
    return key.partition("/")[0]  # as bot.analytics.sql_parts.conversation_of


def places(conn: sqlite3.Connection, run_ids: Iterable[int]) -> dict[int, Place]:
    """Each run's :class:`Place`, by id (read only; two queries however many runs: the runs, then
    the names of their channels)."""
    rows = conn.execute(
        "SELECT r.id, r.channel, r.conversation, (SELECT m.from_conversation FROM slack_moves m"
        " WHERE m.run_id = r.id ORDER BY m.transition_id LIMIT 1)"
        " FROM runs r WHERE r.id IN (SELECT value FROM json_each(?))",  # as many as asked: no variable each
        (json.dumps(list(run_ids)),),
    ).fetchall()
    where: dict[int, tuple[str, str, str | None]] = {}
    for run_id, platform, conversation, first in rows:
        now, started = _channel(conversation), _channel(first or conversation)
        where[run_id] = (platform, now, started if started != now else None)
    named = names_of(conn, {c for _, now, moved in where.values() for c in (now, moved) if c is not None})
    return {
        run_id: Place(platform, now, named.get(now), moved, named.get(moved) if moved is not None else None)
        for run_id, (platform, now, moved) in where.items()
    }


def names_of(conn: sqlite3.Connection, conversations: Iterable[str]) -> dict[str, str]:
    """The names kept for ``conversations`` (``slack:C0OPS``), those named only (one query)."""
    rows = conn.execute(
        "SELECT conversation, name FROM conversation_names WHERE conversation IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(conversations)),),
    )
    return {str(conversation): str(name) for conversation, name in rows}
