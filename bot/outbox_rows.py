"""The outbox's rows: outbound ``messages`` not yet delivered, read as :class:`Queued`, and the
marks the sender writes (sent, a part sent, refused for now or given up, the channel down), and
how long a refused one waits. :mod:`bot.outbox` delivers them."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlite_utils import Database

from bot.model import Actor, ConversationKey, Reply
from bot.store import iso


@dataclass(frozen=True)
class Queued:
    id: int
    reply: Reply
    attempts: int
    parts_sent: int = 0  # of a reply sent in parts: those delivered already
    part: int = 0  # the part of the reply being delivered (``reply`` is then that part) ...
    parts: int = 1  # ... of so many
    #: its first refusal for now (since its channel last worked): RETRY_FOR counts from it
    retry_since: str | None = None

    @property
    def last_part(self) -> bool:
        return self.part == self.parts - 1


#: A reply still to send: queued, neither delivered nor given up.
UNSENT = "direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"


def pending(
    db: Database,
    channel: str,
    limit: int = 500,
    upto: int | None = None,
    run_id: int | None = None,
    conversation: str | None = None,
    after: int = 0,
    skip: Collection[str] = (),
) -> list[Queued]:
    """Undelivered replies of ``channel`` (of one run, with ``run_id``; of one conversation, with
    ``conversation``) not given up, oldest first; only ids up to ``upto`` when given (the rows
    above it belong to a group commit still open), and above ``after``; none of the conversations
    in ``skip``."""
    rows = db.conn.execute(
        f"SELECT {QUEUED_COLUMNS} FROM messages WHERE {UNSENT} AND channel = ? AND id > ? AND id <= ?"
        " AND (? IS NULL OR run_id = ?) AND (? IS NULL OR conversation = ?)"
        " AND (? IS NULL OR conversation NOT IN (SELECT value FROM json_each(?))) ORDER BY id LIMIT ?",
        (
            channel,
            after,
            upto if upto is not None else 1 << 62,
            run_id,
            run_id,
            conversation,
            conversation,
            *([json.dumps(list(skip))] * 2 if skip else [None, None]),
            limit,
        ),
    ).fetchall()
    return [queued_from_row(row) for row in rows]


def last_id(db: Database) -> int:
    """The id of the newest message of the ledger (0 for none): what was queued after a moment
    has ids above it."""
    row = db.conn.execute("SELECT max(id) FROM messages").fetchone()
    return int(row[0] or 0)


#: Channels whose replies no server sends: they wait to be read, the console's by ``chat --run``, a
#: Rasa sender's at their next call of a decisionbot action (``decisionbot rasa-actions``).
READ_NOT_SENT = "('console', 'rasa')"


def waiting(conn: sqlite3.Connection, channels: Iterable[str]) -> int:
    """Replies of ``channels`` (those a server serves) still to send."""
    served = list(channels)
    marks = ", ".join("?" * len(served))
    try:
        row = conn.execute(f"SELECT count(*) FROM messages WHERE {UNSENT} AND channel IN ({marks})", served).fetchone()
    except sqlite3.Error:  # the ledger gone or locked as the server stops: nothing to count on
        return 0
    return int(row[0])


def channels_waiting(conn: sqlite3.Connection) -> list[str]:
    """The channels with replies still to send, but the console's (they wait for ``chat --run``)."""
    rows = conn.execute(f"SELECT DISTINCT channel FROM messages WHERE {UNSENT} AND channel != 'console'")
    return sorted(row[0] for row in rows)


def latest_prompts(db: Database, run_id: int, actor_ids: list[str]) -> list[Queued]:
    """The newest question the run sent (or queued) to each of ``actor_ids``, oldest first: what
    they are being asked now, to show again to someone coming back to the run."""
    if not actor_ids:
        return []
    rows = db.conn.execute(
        f"SELECT {QUEUED_COLUMNS} FROM messages WHERE id IN (SELECT max(id) FROM messages WHERE run_id = ?"
        f" AND direction = 'out' AND kind = 'prompt' AND actor_id IN ({', '.join('?' * len(actor_ids))})"
        " GROUP BY actor_id) ORDER BY id",
        (run_id, *actor_ids),
    ).fetchall()
    return [queued_from_row(row) for row in rows]


#: The columns queued_from_row reads, in order.
QUEUED_COLUMNS = (
    "id, run_id, conversation, actor_id, actor_name, step, kind, text, expects, private, attempts, payload, parts_sent,"
    " retry_since"
)


def queued_from_row(row: tuple[Any, ...]) -> Queued:
    *columns, parts, retry_since = row
    mid, run_id, conversation, actor_id, actor_name, step, kind, text, expects, private, attempts, payload = columns
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
    return Queued(mid, reply, attempts, parts or 0, retry_since=retry_since)


class Delivered(NamedTuple):
    """A reply the platform took, until its mark is committed: the platform's id for it, and
    where it was said when not in its conversation (``Channel.said_in``)."""

    platform_id: str | None
    said_in: str | None

    def marks(self, item_id: int) -> tuple[dict[int, str] | None, dict[int, str] | None]:
        """``mark_sent``'s ``platform_ids`` and ``said_in`` for it."""
        return (
            {item_id: self.platform_id} if self.platform_id else None,
            {item_id: self.said_in} if self.said_in else None,
        )


def mark_sent(
    db: Database,
    ids: list[int],
    now: datetime,
    platform_ids: Mapping[int, str] | None = None,
    said_in: Mapping[int, str] | None = None,
) -> None:
    """The replies ``ids`` were delivered (each with the platform's id for it, when known); one
    said somewhere else than the conversation it was queued in (``said_in``: an owner's direct
    message, see ``Channel.said_in``) names that conversation from now on, for its person alone."""
    if not ids:
        return
    stamp = iso(now)
    platform_ids, said_in = platform_ids or {}, said_in or {}
    db.conn.executemany(  # delivered: not given up, even if withheld while it was being posted (its run ended)
        "UPDATE messages SET delivered_at = ?1, attempts = attempts + 1, platform_id = coalesce(?2, platform_id),"
        " conversation = coalesce(?3, conversation), private = CASE WHEN ?3 IS NULL THEN private ELSE 1 END,"
        " last_error = CASE WHEN failed_at IS NULL THEN last_error END, failed_at = NULL WHERE id = ?4",
        [(stamp, platform_ids.get(i), said_in.get(i), i) for i in ids],
    )


def given_up(conn: sqlite3.Connection, message_id: int) -> bool:
    """Whether the reply was given up since the sender read it: withheld as its run ended (a
    cancelled run's question, a reminder), or withdrawn (:func:`mark_withdrawn`)."""
    row = conn.execute("SELECT failed_at IS NOT NULL FROM messages WHERE id = ?", (message_id,)).fetchone()
    return bool(row and row[0])


def mark_withdrawn(db: Database, ids: list[int], why: str, now: datetime) -> None:
    """Replies given up unsent because what they ask is no longer asked (a question closed before
    its person could be shown it): ``failed_at`` and ``why``, no attempt counted."""
    db.conn.executemany(
        "UPDATE messages SET failed_at = ?, last_error = ? WHERE id = ?", [(iso(now), why[:500], i) for i in ids]
    )


def requeue(
    conn: sqlite3.Connection, run_id: int, old: str, new: str, below: int, why: str, now: datetime
) -> list[int]:
    """The replies of ``run_id`` queued before ``below`` for conversation ``old`` and still unsent
    (its run moved) go to ``new``, after whatever was queued so far: each queued again as it was
    (its words, its person, when it was first queued), the old row withdrawn with ``why``. One
    being delivered meanwhile to ``old`` lands there and its copy in ``new``: never lost (Slack's
    poster takes the first back). Returns the new rows' ids, in their order."""
    found = conn.execute(
        f"SELECT id FROM messages WHERE {UNSENT} AND run_id = ? AND conversation = ? AND id < ? ORDER BY id",
        (run_id, old, below),
    ).fetchall()
    copied = []
    for (message_id,) in found:
        row = conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind, text,"
            " expects, private, payload, created_at) SELECT run_id, direction, channel, ?, actor_id, actor_name, step,"
            " kind, text, expects, private, payload, created_at FROM messages WHERE id = ? RETURNING id",
            (new, message_id),
        ).fetchone()
        copied.append(int(row[0]))
    conn.executemany(  # withdrawn, as mark_withdrawn does
        "UPDATE messages SET failed_at = ?, last_error = ? WHERE id = ?", [(iso(now), why[:500], i) for (i,) in found]
    )
    return copied


def mark_part(conn: sqlite3.Connection, message_id: int, parts_sent: int) -> None:
    """``parts_sent`` parts of a reply sent in parts are delivered: a retry goes on after them."""
    conn.execute("UPDATE messages SET parts_sent = ? WHERE id = ?", (parts_sent, message_id))


def mark_channel_down(conn: sqlite3.Connection, channel: str, error: str) -> None:
    """The platform refused ``channel`` as a whole (:class:`ChannelDown`): every reply it holds
    says why it waits, and none has used any of its day of retries (``retry_since``: counted again
    from the next refusal after the outage), nor an attempt (``attempts`` stays)."""
    conn.execute(
        f"UPDATE messages SET last_error = ?, retry_since = NULL WHERE {UNSENT} AND channel = ?",
        (error[:500], channel),
    )


def mark_failed(
    conn: sqlite3.Connection, message_id: int, error: str, gave_up: datetime | None = None, now: datetime | None = None
) -> None:
    """One more refused attempt; with ``gave_up``, the outbox stops trying the reply then; with
    ``now``, a refusal for now: the reply's day of retries starts then, if it had not started. A
    reply withheld while it was being posted (its run ended) stays given up, and says why."""
    conn.execute(
        "UPDATE messages SET attempts = attempts + 1, last_error = CASE WHEN failed_at IS NULL THEN ? ELSE"
        " last_error END, failed_at = coalesce(failed_at, ?), retry_since = coalesce(retry_since, ?) WHERE id = ?",
        (error[:500], iso(gave_up) if gave_up else None, iso(now) if now else None, message_id),
    )


def doubling(tries: int, first: float, most: float) -> float:
    """Seconds before asking again after ``tries`` refusals in a row of something that only an
    operator's fix mends (a token refused): ``first``, then twice as long each time, ``most`` at most."""
    return min(most, first * 2 ** (tries - 1))


def backoff(attempts: int) -> float:
    """Seconds before the next try: 0.5, 1, 2, 4 ... up to a minute, each times a jitter of up to a
    quarter more (so at most 75 s: replies refused together do not retry together)."""
    return min(60.0, 0.5 * 2 ** min(attempts, 7)) * (1 + random.random() / 4)
