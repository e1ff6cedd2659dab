"""The outbox: replies a committed turn queued, delivered after the commit and marked sent.

A crash between commit and delivery re-sends rather than loses: whatever is still undelivered
is delivered again, in order, per conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.model import Actor, ConversationKey, Reply
from bot.store import iso


@dataclass(frozen=True)
class Queued:
    id: int
    reply: Reply
    attempts: int


def pending(db: Database, channel: str, limit: int = 500) -> list[Queued]:
    rows = db.conn.execute(
        "SELECT id, run_id, conversation, actor_id, actor_name, step, kind, text, expects, private, attempts"
        " FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND channel = ? ORDER BY id LIMIT ?",
        (channel, limit),
    ).fetchall()
    return [_queued(row) for row in rows]


def _queued(row: tuple[Any, ...]) -> Queued:
    mid, run_id, conversation, actor_id, actor_name, step, kind, text, expects, private, attempts = row
    to = Actor(actor_id, actor_name or actor_id) if actor_id else None
    reply = Reply(
        run_id=run_id,
        conversation=ConversationKey.parse(conversation),
        text=text,
        to=to,
        step=step,
        expects=json.loads(expects) if expects else None,
        kind=kind,
        private=bool(private),
    )
    return Queued(mid, reply, attempts)


def mark_sent(db: Database, ids: list[int], now: datetime, platform_ids: dict[int, str] | None = None) -> None:
    if not ids:
        return
    stamp = iso(now)
    platform_ids = platform_ids or {}
    db.conn.executemany(
        "UPDATE messages SET delivered_at = ?, attempts = attempts + 1, platform_id = coalesce(?, platform_id) WHERE id = ?",
        [(stamp, platform_ids.get(i), i) for i in ids],
    )


def mark_failed(db: Database, message_id: int, error: str) -> None:
    db.conn.execute(
        "UPDATE messages SET attempts = attempts + 1, last_error = ? WHERE id = ?", (error[:500], message_id)
    )
