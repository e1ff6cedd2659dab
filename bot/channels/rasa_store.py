"""What the Rasa channel remembers besides the run: the answer it gave each action call.

``rasa_calls`` holds, per action, sender and user message (``tracker.latest_message.message_id``), the
events and responses the action returned. The same call again (Rasa, or the channel in front of
it, sending it once more after a timeout) gets that answer back and changes nothing: a start
does not start a second run, an answer is not taken twice, and the replies the first call marked
sent reach the person after all. Rows are written in the call's own transaction and forgotten
after a week, as delivery ids are (:func:`housekeeping`, after each call: an action server has no
server housekeeping around it).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot import texts
from bot.store import iso, transaction, utc_now, write_lock
from bot.store import migrations as store_migrations
from bot.store.runs import DELIVERY_MEMORY, forget_deliveries

if TYPE_CHECKING:
    from bot.dispatch import Dispatcher

migrations = Migrations("decisionbot-rasa")


@migrations()
def m001_calls(db: Database) -> None:
    db.execute(
        """CREATE TABLE rasa_calls (
        call_id TEXT PRIMARY KEY,        -- JSON ["<action name>", "<sender_id>", "<message_id>"]
        answer TEXT NOT NULL,            -- JSON: {"events": [...], "responses": [...]}
        created_at TEXT NOT NULL
    )"""
    )


def _key(*parts: str) -> str:
    return json.dumps(list(parts), ensure_ascii=False)


def message_key(sender_id: str, message_id: Any) -> str | None:
    """A user message's id as the ledger keeps it (its delivery id), or None when it has none.
    The sender is part of it: message ids need not be unique across senders (a connector passing
    each chat's own message numbers)."""
    return _key(sender_id, str(message_id)) if isinstance(message_id, str | int) and str(message_id) else None


def call_id(action: str, sender_id: str, message_id: Any) -> str | None:
    """The key of an action call, or None when the user message has no id (nothing to repeat):
    one sender's answer is never given to another (see :func:`message_key`)."""
    return _key(action, sender_id, str(message_id)) if message_key(sender_id, message_id) else None


def answered(db: Database, key: str) -> dict[str, Any] | None:
    row = db.conn.execute("SELECT answer FROM rasa_calls WHERE call_id = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def remember(db: Database, key: str, events: list[Any], responses: list[Any], now: datetime) -> None:
    answer = json.dumps({"events": events, "responses": responses}, ensure_ascii=False)
    db.conn.execute(
        "INSERT OR REPLACE INTO rasa_calls (call_id, answer, created_at) VALUES (?, ?, ?)", (key, answer, iso(now))
    )


def upkeep_due(db: Database) -> bool:
    """Whether answers older than a week wait to be forgotten (read without the write lock)."""
    cutoff = iso(utc_now() - DELIVERY_MEMORY)
    return db.conn.execute("SELECT 1 FROM rasa_calls WHERE created_at < ? LIMIT 1", (cutoff,)).fetchone() is not None


def upkeep(db: Database, batch: int = 1000) -> int:
    """Forget up to ``batch`` answers older than a week (past any retry); returns how many."""
    cutoff = iso(utc_now() - DELIVERY_MEMORY)
    conn = db.conn
    if not upkeep_due(db):
        return 0
    with transaction(db):
        cur = conn.execute(
            "DELETE FROM rasa_calls WHERE rowid IN (SELECT rowid FROM rasa_calls ORDER BY rowid LIMIT ?)"
            " AND created_at < ?",
            (batch, cutoff),
        )
    return cur.rowcount


#: Seconds a call's housekeeping waits for another process's write lock before leaving it to the
#: next call (the call's answer waits for it).
HOUSEKEEPING_WAIT = 1.0


async def housekeeping(bot: Dispatcher) -> None:
    """No server housekeeping around an action server: index what was said now, forget old ids.
    After the commit, so a failure here is logged and the call still gets its answer."""
    try:
        async with write_lock.holding(bot.db.conn, HOUSEKEEPING_WAIT):
            store_migrations.upkeep(bot.db)
            with transaction(bot.db) as conn:
                forget_deliveries(conn, bot.clock())
        bot.maintain()
    except write_lock.LedgerBusy:  # another process holds the lock: the next call does it
        return
    except Exception:
        logging.getLogger("decisionbot").exception(texts.rasa_housekeeping_failed())
