"""The ledger in Datasette (the optional ``explore`` extra), read-only.

Datasette opens the file with ``mode=ro`` (or ``immutable=1`` for a copy nobody writes) and a
plugin sets ``PRAGMA query_only`` on every connection to it, so no query, plugin or canned query
can write. The metadata describes every table, column and view, and the canned queries are the
standard measures.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from bot import texts
from bot.analytics.catalog import TABLES, VIEWS, describe, live_schema
from bot.errors import BotError
from bot.store import open_readonly

CANNED: dict[str, tuple[str, str]] = {
    "latency": ("Decision latency", "SELECT * FROM latency_summary"),
    "follow_through_by_owner": ("Follow-through by owner", "SELECT * FROM follow_through_by_owner ORDER BY due DESC"),
    "overdue_actions": (
        "Overdue open actions",
        "SELECT * FROM action_status WHERE status = 'open' AND is_due = 1 ORDER BY deadline_at",
    ),
    "review_adherence": ("Review adherence", "SELECT * FROM review_adherence"),
    "missed_reviews": ("Missed reviews", "SELECT * FROM review_status WHERE state = 'missed' ORDER BY due_at"),
    "dropoff": ("Drop-off per step", "SELECT * FROM step_dropoff"),
    "revisions": ("Revisions per step", "SELECT * FROM answer_revisions ORDER BY revisions DESC"),
    "participation": ("Participation per person", "SELECT * FROM participation ORDER BY answers DESC"),
    "trigger_quality": ("Trigger quality", "SELECT * FROM trigger_quality"),
    "search": (
        "Search the transcripts",
        "SELECT m.run_id, m.created_at, m.actor_name, m.step, m.text FROM messages_fts"
        " JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH :words ORDER BY rank LIMIT 100",
    ),
}


def metadata(name: str, schema: dict[str, tuple[list[str], str]]) -> dict[str, Any]:
    """Datasette metadata for the database called ``name`` whose tables are ``schema``."""
    tables: dict[str, Any] = {
        table: {
            "description": TABLES.get(table, ("",))[0],
            "columns": {c: describe(table, c, ddl) for c in columns if describe(table, c, ddl)},
        }
        for table, (columns, ddl) in schema.items()
    }
    tables.update({view: {"description": description} for view, description in VIEWS.items()})
    queries = {key: {"title": title, "sql": sql, "description": title} for key, (title, sql) in CANNED.items()}
    return {
        "title": "decisionbot ledger",
        "description": "Decisions, actions and reviews, with the transcripts of the runs that made them. Read-only.",
        "databases": {name: {"tables": tables, "queries": queries}},
    }


def build(path: str | Path, immutable: bool = False) -> Any:
    """A Datasette instance over the ledger at ``path``, read-only."""
    try:
        from datasette.app import Datasette
    except ImportError as exc:
        raise BotError(texts.analytics_no_datasette()) from exc
    path = Path(path).resolve()
    wal = path.with_name(path.name + "-wal")
    if immutable and wal.exists() and wal.stat().st_size > 0:
        raise BotError(texts.analytics_wal_pending(str(path)))
    name = path.stem
    _register_read_only(name)
    db = open_readonly(path)
    schema = live_schema(db.conn)
    db.conn.close()
    return Datasette(
        files=[] if immutable else [str(path)],
        immutables=[str(path)] if immutable else [],
        metadata=metadata(name, schema),
        settings={"sql_time_limit_ms": 10_000, "allow_download": False},
    )


_READ_ONLY: set[str] = set()


def _register_read_only(name: str) -> None:
    """Datasette's plugins are process-wide: one plugin, told which databases to lock."""
    from datasette import hookimpl
    from datasette.plugins import pm

    _READ_ONLY.add(name)
    if pm.get_plugin("decisionbot_read_only") is not None:
        return

    def prepare_connection(conn: Any, database: str) -> None:
        if database in _READ_ONLY:
            conn.execute("PRAGMA query_only = ON")

    plugin = types.ModuleType("decisionbot_read_only")
    plugin.prepare_connection = hookimpl(prepare_connection)  # type: ignore[attr-defined]
    pm.register(plugin, name="decisionbot_read_only")


def serve(path: str | Path, host: str, port: int, immutable: bool = False) -> None:
    import uvicorn

    uvicorn.run(build(path, immutable).app(), host=host, port=port, log_level="warning")
