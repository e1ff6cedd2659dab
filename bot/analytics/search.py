"""Full-text search over the transcripts (``messages_fts``, FTS5 with Porter stemming)."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot import texts
from bot.analytics.schema import FTS_TABLE, unindexed
from bot.analytics.sql_parts import person_name
from bot.errors import BotError
from bot.store import dicts

#: Who wrote or was written to, named as every measure names them (the name their platform gives them
#: now, as Slack shows an old message under its writer's name of now), else ``everyone``.
_WHO = f"coalesce({person_name('m.actor_id', 'm.actor_name')}, 'everyone')"

_SQL = f"""SELECT m.run_id, r.flow_id, m.created_at, m.direction,
       {_WHO} AS who, m.step,
       snippet({FTS_TABLE}, 0, '[', ']', '...', 12) AS snippet, m.text, m.id AS message_id
FROM {FTS_TABLE} JOIN messages m ON m.id = {FTS_TABLE}.rowid LEFT JOIN runs r ON r.id = m.run_id
WHERE {FTS_TABLE} MATCH :query AND (:flow IS NULL OR r.flow_id = :flow)
ORDER BY rank, m.id LIMIT :limit"""


__all__ = ["fts_query", "search", "unindexed"]


def fts_query(text: str) -> str:
    """Every word as a quoted term, so punctuation is never read as query syntax: all must match."""
    terms = [t.replace('"', '""') for t in text.split()]
    return " ".join(f'"{t}"' for t in terms if t)


def search(
    conn: sqlite3.Connection, query: str, flow: str | None = None, limit: int = 50, raw: bool = False
) -> list[dict[str, Any]]:
    match = query.strip() if raw else fts_query(query)
    if not match:
        raise BotError(texts.analytics_empty_query())
    has_index = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone()
    if not has_index:
        raise BotError(texts.analytics_no_index(conn.execute("PRAGMA database_list").fetchone()[2]))
    try:
        cur = conn.execute(_SQL, {"query": match, "flow": flow, "limit": limit})
    except sqlite3.OperationalError as exc:
        raise BotError(texts.analytics_bad_query(query, str(exc))) from exc
    return dicts(cur)
