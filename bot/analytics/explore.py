"""The ledger in Datasette (the optional ``explore`` extra), read-only.

Every connection Datasette opens to the ledger is made here (:func:`_connect`): the file by its
own name (``mode=ro``, or ``immutable=1`` for a copy nobody writes), ``PRAGMA query_only``, and
no ``ATTACH`` (which would create a file), so no query, plugin or canned query can write; a
writable connection is refused. Datasette's own would paste the path into a URI unquoted: a
``?`` or ``#`` in it opened (and created) another, writable file. The metadata describes every
table, column and view, and the canned queries are the standard measures. Its CSV downloads
escape what a spreadsheet would read as a formula (:mod:`bot.analytics.explore_csv`).
"""

from __future__ import annotations

import re
import sqlite3
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot import texts
from bot.analytics.catalog import TABLES, VIEWS, describe, live_schema
from bot.analytics.explore_csv import guard_csv
from bot.analytics.report import require_migrated
from bot.analytics.search import fts_query
from bot.analytics.sql_parts import person_name
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
    "participation": ("Participation per person", "SELECT * FROM participation ORDER BY answers DESC, person"),
    "answer_time_by_person": (
        "Answer time per person",
        "SELECT * FROM answer_time_by_person ORDER BY median_hours_to_answer DESC, person",
    ),
    "answer_time_by_step": ("Answer time per step", "SELECT * FROM answer_time_by_step"),
    "stall_waits": ("Waits before stalls per step", "SELECT * FROM stall_waits ORDER BY stalls DESC"),
    "trigger_quality": ("Trigger quality", "SELECT * FROM trigger_quality"),
    "search": (
        "Search the transcripts",
        f"SELECT m.run_id, m.created_at, {person_name('m.actor_id', 'm.actor_name')} AS actor_name, m.step, m.text"
        " FROM messages_fts"
        " JOIN messages m ON m.id = messages_fts.rowid"
        # each word quoted, as transcripts search does (fts_words: _connect's); the page runs it as it
        # opens, before any words are typed: an empty phrase matches nothing
        " WHERE messages_fts MATCH coalesce(nullif(fts_words(:words), ''), '\"\"') ORDER BY rank LIMIT 100",
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
    name = re.sub(r"[^\w.-]+", "-", path.stem)  # its URL: no '#', '?' or '/' in it
    db = open_readonly(path, immutable)
    try:
        require_migrated(db.conn, path)  # its views and summaries would be missing or stale
        schema = live_schema(db.conn)
    finally:
        db.conn.close()

    class LedgerDatasette(Datasette):  # type: ignore[misc]
        def app(self) -> Any:
            return guard_csv(super().app())  # its CSV downloads as safe as 'decisionbot export's

    settings = {"sql_time_limit_ms": 10_000, "allow_download": False}
    ds = LedgerDatasette(metadata=metadata(name, schema), settings=settings)
    ds.remove_database("_memory")  # Datasette adds it when given no file; ours is added below
    ds.add_database(_ledger_database(ds, path, immutable), name=name)
    return ds


def _ledger_database(ds: Any, path: Path, immutable: bool) -> Any:
    """Datasette's database of the ledger, whose every connection is :func:`_connect`'s."""
    from datasette.database import Database

    class Ledger(Database):  # type: ignore[misc]
        def connect(self, write: bool = False) -> sqlite3.Connection:
            if write:
                raise sqlite3.OperationalError("attempt to write a readonly database")
            conn = _connect(path, immutable)
            self._all_file_connections.append(conn)
            return conn

    return Ledger(ds, path=str(path), is_mutable=not immutable)


#: The largest string or blob a query may make (SQLite's default is 1 GB, which one
#: ``randomblob(999999999)`` allocates at once, before the time limit can stop it); the ledger's
#: values are far smaller.
MAX_VALUE = 32 * 1024 * 1024
#: The most text and bytes one query's rows may hold together: Datasette keeps up to 1,000 rows of a
#: result in memory and then serialises them, past the time limit, so 1,000 values of 32 MB would be 32 GB.
MAX_RESULT = 64 * 1024 * 1024


class _BoundedCursor(sqlite3.Cursor):
    """A cursor whose rows, fetched however, stop the query once they hold more than ``MAX_RESULT``."""

    held = 0

    def __next__(self) -> Any:
        row = super().__next__()
        self.held += sum(len(v) for v in row if isinstance(v, (str, bytes)))
        if self.held > MAX_RESULT:
            raise sqlite3.OperationalError(texts.analytics_result_too_big(MAX_RESULT))
        return row

    def fetchone(self) -> Any:
        return next(self, None)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return list(islice(self, self.arraysize if size is None else size))

    def fetchall(self) -> list[Any]:
        return list(self)


class _BoundedConnection(sqlite3.Connection):
    """A connection whose cursors are :class:`_BoundedCursor` (Datasette runs every query on ``conn.cursor()``;
    ``conn.execute`` makes a plain cursor on Python 3.11, and its own queries need no bound)."""

    def cursor(self, factory: Any = _BoundedCursor) -> Any:
        return super().cursor(factory)


def _connect(path: Path, immutable: bool) -> sqlite3.Connection:
    uri = f"file:{quote(str(path))}?{'immutable=1' if immutable else 'mode=ro'}"  # '#', '?' are the name's
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, factory=_BoundedConnection)
    conn.execute("PRAGMA query_only = ON")
    conn.create_function("fts_words", 1, _fts_words, deterministic=True)
    conn.set_authorizer(_no_attach)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
    return conn


def _fts_words(words: object) -> str:
    """The canned search's words as an FTS5 query (:func:`bot.analytics.search.fts_query`): each
    quoted, so a full stop, hyphen or apostrophe people type is no syntax error, nor AND an operator."""
    return fts_query(str(words or ""))


def _no_attach(action: int, *_: object) -> int:
    """ATTACH (and VACUUM INTO, which attaches its target) would open, even create, another file."""
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK


def serve(app: Any, host: str, port: int) -> None:
    """Serve Datasette's ``app`` (of :func:`build`) until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")
