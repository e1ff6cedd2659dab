"""Replies the channel's own pacing holds back, each with a slot reserved (Slack's one message a
second per channel, its 50 direct messages opened a minute), and those of them withheld since (their
run cancelled or ended while they waited): the channel releases their slots at once (``withheld``),
so the conversation's next reply, or the channel's, takes it rather than one a slot later, and the
conversation held for them is free again."""

from __future__ import annotations

import math
import sqlite3

#: A reply no longer to send: given up (withheld), or delivered (by another process, its lease taken over).
SETTLED = "(failed_at IS NOT NULL OR delivered_at IS NOT NULL)"
#: Seconds between two looks for withheld replies among those held back (a look reads the ledger).
LOOK_EVERY = 0.25


class Paced:
    """Reply id -> its conversation, while the channel's pacing holds it back."""

    def __init__(self) -> None:
        self.held: dict[int, str] = {}
        self._looked = -math.inf

    def hold(self, item_id: int, key: str) -> None:
        self.held[item_id] = key

    def tried(self, item_id: int) -> None:
        """``item_id`` is tried again (its slot came): no longer held back."""
        self.held.pop(item_id, None)

    def withheld(self, conn: sqlite3.Connection, now: float) -> tuple[list[tuple[int, str]], float | None]:
        """The replies held back that were given up since (each with its conversation), no longer
        held; looked for at most every LOOK_EVERY seconds (a pass woken sooner: when to look again;
        else None, the next wake looks: a run cancelled wakes its channel's sender)."""
        if not self.held:
            return [], None
        if now - self._looked < LOOK_EVERY:
            return [], self._looked + LOOK_EVERY - now
        self._looked = now
        ids = list(self.held)
        marks = ", ".join("?" * len(ids))
        sql = f"SELECT id, failed_at IS NOT NULL FROM messages WHERE {SETTLED} AND id IN ({marks})"
        try:
            rows = conn.execute(sql, ids).fetchall()
        except sqlite3.Error:  # unreadable for now: looked at again later
            return [], None
        gone = [(int(row[0]), self.held.pop(int(row[0]))) for row in rows]  # (sent by another process: dropped)
        return [(item_id, key) for (item_id, key), row in zip(gone, rows, strict=True) if row[1]], None
