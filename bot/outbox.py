"""The outbox: replies a committed turn queued, delivered after the commit and marked sent.

A crash between commit and delivery re-sends rather than loses: whatever is still undelivered
is delivered again, in order, per conversation.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from bot.channels import DeliveryFailed, RetryLater
from bot.model import Actor, ConversationKey, Reply
from bot.store import group, iso, transaction

if TYPE_CHECKING:
    from bot.channels import Channel


@dataclass(frozen=True)
class Queued:
    id: int
    reply: Reply
    attempts: int


def pending(db: Database, channel: str, limit: int = 500, upto: int | None = None) -> list[Queued]:
    """Undelivered replies of ``channel``, oldest first; only ids up to ``upto`` when given (the
    rows above it belong to a group commit still open)."""
    rows = db.conn.execute(
        f"SELECT {QUEUED_COLUMNS} FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND channel = ?"
        " AND id <= ? ORDER BY id LIMIT ?",
        (channel, upto if upto is not None else 1 << 62, limit),
    ).fetchall()
    return [queued_from_row(row) for row in rows]


#: The columns queued_from_row reads, in order.
QUEUED_COLUMNS = "id, run_id, conversation, actor_id, actor_name, step, kind, text, expects, private, attempts, payload"


def queued_from_row(row: tuple[Any, ...]) -> Queued:
    mid, run_id, conversation, actor_id, actor_name, step, kind, text, expects, private, attempts, payload = row
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
        attachments=list(json.loads(payload).get("attachments", [])) if payload else [],
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


MAX_ATTEMPTS = 8


class Sender:
    """Delivers one channel's outbox after each commit: in order per conversation, retrying
    refusals with backoff (``Retry-After`` on 429), giving up on a reply after MAX_ATTEMPTS."""

    def __init__(self, db: Database, channel: Channel, clock: Callable[[], datetime]):
        self.db = db
        self.channel = channel
        self.clock = clock
        self.wake = asyncio.Event()
        self.blocked_until: dict[str, float] = {}  # conversation -> monotonic time
        self.delivered = 0

    def notify(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        self.wake.set()  # replies left from before a restart go first
        while True:
            await self.wake.wait()
            self.wake.clear()
            delay = await self.drain()
            if delay is not None:
                asyncio.get_running_loop().call_later(delay, self.wake.set)

    async def drain(self) -> float | None:
        """Deliver what is pending; return when to look again for held-back conversations."""
        loop = asyncio.get_running_loop()
        upto = group.horizon(self.db.conn)
        items = [q for q in pending(self.db, self.channel.name, upto=upto) if q.attempts < MAX_ATTEMPTS]
        grouped = group.installed(self.db.conn)
        if upto is not None and grouped is not None:  # the rest is sent once its group commits
            grouped.after_commit(self.wake.set)
        by_conversation: dict[str, list[Queued]] = {}
        for item in items:
            by_conversation.setdefault(str(item.reply.conversation), []).append(item)
        waits = await asyncio.gather(*(self._conversation(k, v, loop.time()) for k, v in by_conversation.items()))
        pending_waits = [w for w in waits if w is not None]
        return min(pending_waits) if pending_waits else None

    async def _conversation(self, key: str, items: list[Queued], now: float) -> float | None:
        held = self.blocked_until.get(key, 0.0) - now
        if held > 0:
            return held
        for item in items:
            try:
                platform_id = await self.channel.deliver(item)
            except RetryLater as exc:
                with transaction(self.db):
                    mark_failed(self.db, item.id, f"retry: {exc.reason}")
                wait = max(exc.seconds, backoff(item.attempts))
                self.blocked_until[key] = asyncio.get_running_loop().time() + wait
                return wait
            except DeliveryFailed as exc:
                with transaction(self.db):
                    mark_failed(self.db, item.id, f"failed: {exc}")
                    self.db.conn.execute("UPDATE messages SET attempts = ? WHERE id = ?", (MAX_ATTEMPTS, item.id))
                continue
            with transaction(self.db):
                mark_sent(self.db, [item.id], self.clock(), {item.id: platform_id} if platform_id else None)
            self.delivered += 1
        return None


def backoff(attempts: int) -> float:
    """Seconds before the next try: 0.5, 1, 2, 4 ... up to a minute, with a little jitter."""
    return min(60.0, 0.5 * 2**attempts) * (1 + random.random() / 4)
