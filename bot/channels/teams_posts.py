"""What the bot posted in Teams, kept in SQLite so it survives restarts (the tables are made by
:mod:`bot.channels.teams_store`'s migrations):

- ``teams_threads``: the channel thread a run lives in: the reply chain of the bot's first message of that run.
- ``teams_cards``: every prompt posted as an Adaptive Card (its activity id, its card, what it expects), so a
  submit can be checked against it and the card updated to show the answer.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlite_utils import Database

from bot.bounded import CACHED_AT_MOST, Bounded
from bot.store import iso, kept_write, transaction


@dataclass(frozen=True)
class Card:
    message_id: int
    run_id: int
    step: str | None
    to_id: str | None
    conversation_id: str
    activity_id: str
    service_url: str
    card: dict[str, Any]
    expects: dict[str, Any] | None
    answered: bool = False


_CARD_COLUMNS = "message_id, run_id, step, to_id, conversation_id, activity_id, service_url, card, expects"


def _card(row: tuple[Any, ...]) -> Card:
    mid, run_id, step, to_id, conv, activity_id, url, card, expects, *answered = row
    loaded = json.loads(expects or "null")
    return Card(
        mid, run_id, step, to_id, conv, activity_id, url, json.loads(card), loaded, bool(answered and answered[0])
    )


class PostStore:
    """Reads and writes of the runs' threads and posted cards; the thread of each run is cached
    (the ``most`` written lately)."""

    def __init__(self, db: Database, most: int = CACHED_AT_MOST):
        self.db = db
        self._threads: Bounded[tuple[int, str], str] = Bounded(most)

    def thread_of(self, run_id: int, conversation_id: str) -> str | None:
        found = self._threads.get((run_id, conversation_id))
        if found is None:
            row = self.db.conn.execute(
                "SELECT root_id FROM teams_threads WHERE run_id = ? AND conversation_id = ?", (run_id, conversation_id)
            ).fetchone()
            if row is not None:
                found = self._threads[(run_id, conversation_id)] = row[0]
        return found

    def run_in_thread(self, conversation_id: str, root_id: str) -> int | None:
        row = self.db.conn.execute(
            "SELECT run_id FROM teams_threads WHERE conversation_id = ? AND root_id = ?", (conversation_id, root_id)
        ).fetchone()
        return int(row[0]) if row else None

    def save_thread(self, run_id: int, conversation_id: str, root_id: str, now: datetime) -> None:
        """The outbox opened the run's thread: kept through the loss of its group (see kept_write)."""
        sql = "INSERT OR IGNORE INTO teams_threads (run_id, conversation_id, root_id, created_at) VALUES (?, ?, ?, ?)"
        kept_write(self.db, partial(execute_one, sql=sql, args=(run_id, conversation_id, root_id, iso(now))))
        self._threads[(run_id, conversation_id)] = root_id

    def forget_thread(self, run_id: int, conversation_id: str, root_id: str) -> None:
        """The run's thread refused a post as unknown (404: its root deleted): its next message
        opens a new one. Kept through the loss of its group (see kept_write)."""
        sql = "DELETE FROM teams_threads WHERE run_id = ? AND conversation_id = ? AND root_id = ?"
        kept_write(self.db, partial(execute_one, sql=sql, args=(run_id, conversation_id, root_id)))
        self._threads.pop((run_id, conversation_id), None)

    def adopt_thread(self, run_id: int, conversation_id: str, root_id: str, now: datetime) -> None:
        """A run started in a channel's reply chain holding no run (a channel meeting's chat) lives
        there: its first message replies in it instead of opening a post of its own."""
        if self.run_in_thread(conversation_id, root_id) is None:
            self.save_thread(run_id, conversation_id, root_id, now)

    # --- cards -------------------------------------------------------------------------------

    def save_card(self, card: Card, now: datetime, answered: bool) -> None:
        """The outbox posted ``card`` (``answered``: posted answered already): kept through the
        loss of its group (see kept_write), or its submit would be refused."""
        sql = f"INSERT OR REPLACE INTO teams_cards ({_CARD_COLUMNS}, posted_at, answered_at) VALUES ({'?, ' * 10}?)"
        row = (
            card.message_id,
            card.run_id,
            card.step,
            card.to_id,
            card.conversation_id,
            card.activity_id,
            card.service_url,
            json.dumps(card.card),
            json.dumps(card.expects) if card.expects is not None else None,
            iso(now),
            iso(now) if answered else None,
        )
        kept_write(self.db, partial(execute_one, sql=sql, args=row))

    def card(self, message_id: int | None, activity_id: str | None) -> Card | None:
        """A posted card, by its outbox id (from the submit's data) or by its activity id."""
        if message_id is not None:
            row = self.db.conn.execute(
                f"SELECT {_CARD_COLUMNS}, answered_at FROM teams_cards WHERE message_id = ?", (message_id,)
            ).fetchone()
        else:
            row = self.db.conn.execute(
                f"SELECT {_CARD_COLUMNS}, answered_at FROM teams_cards WHERE activity_id = ?", (activity_id or "",)
            ).fetchone()
        return _card(row) if row else None

    def close_card(self, message_id: int, now: datetime) -> bool:
        """The card is answered; False when it was already. Kept through its group's loss (see kept_write)."""
        sql = "UPDATE teams_cards SET answered_at = ? WHERE message_id = ? AND answered_at IS NULL"
        return kept_write(self.db, partial(execute_one, sql=sql, args=(iso(now), message_id))) > 0

    def close_run_cards(self, run_id: int, now: datetime) -> list[Card]:
        """The run ended: mark its cards still open closed; return them (to show them closed).
        Kept through the loss of its group when the outbox closes them (see kept_write)."""
        rows: list[tuple[Any, ...]] = []

        def write(conn: sqlite3.Connection) -> int:
            rows[:] = conn.execute(
                "UPDATE teams_cards SET answered_at = ? WHERE run_id = ? AND answered_at IS NULL"
                f" RETURNING {_CARD_COLUMNS}",
                (iso(now), run_id),
            ).fetchall()
            return len(rows)

        kept_write(self.db, write)
        return [_card(r) for r in rows]

    def open_cards(self, run_id: int) -> list[Card]:
        """The run's cards that still take an answer."""
        sql = f"SELECT {_CARD_COLUMNS} FROM teams_cards WHERE run_id = ? AND answered_at IS NULL"
        return [_card(r) for r in self.db.conn.execute(sql, (run_id,)).fetchall()]

    def close_cards(self, run_id: int, step: str, to_id: str, now: datetime) -> list[Card]:
        """Mark the open cards asking ``to_id`` about ``step`` answered; return them."""
        with transaction(self.db) as conn:
            rows = conn.execute(
                "UPDATE teams_cards SET answered_at = ? WHERE run_id = ? AND step = ? AND to_id = ?"
                f" AND answered_at IS NULL RETURNING {_CARD_COLUMNS}",
                (iso(now), run_id, step, to_id),
            ).fetchall()
        return [_card(r) for r in rows]


def execute_one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> int:
    """One statement; the rows it changed."""
    return conn.execute(sql, args).rowcount
