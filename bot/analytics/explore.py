"""The ledger in Datasette (the optional ``explore`` extra), read-only.

Every connection Datasette opens to the ledger is made here (:func:`_connect`): the file by its
own name (``mode=ro``, or ``immutable=1`` for a copy nobody writes), ``PRAGMA query_only``, and
no ``ATTACH`` (which would create a file), so no query, plugin or canned query can write; a
writable connection is refused. Datasette's own would paste the path into a URI unquoted: a
``?`` or ``#`` in it opened (and created) another, writable file. The metadata describes every
table, column and view, and the canned queries are the standard measures.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot import texts
from bot.analytics.catalog import TABLES, VIEWS, describe, live_schema
from bot.analytics.report import require_migrated
from bot.analytics.sql import LATENCY_BY_DIMENSION, iso_week
from bot.errors import BotError
from bot.store import open_readonly


def _percentiles(value: str) -> str:
    """Median and p90 (nearest rank) of ``value`` per dimension and key, in hours: as the views."""
    return f"""SELECT dimension, key, count(*) AS n,
       avg(CASE WHEN rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN v END) / 3600000.0 AS median,
       max(CASE WHEN rn = (9 * cnt + 9) / 10 THEN v END) / 3600000.0 AS p90
FROM (SELECT dimension, key, {value} AS v, row_number() OVER w AS rn,
             count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS cnt
      FROM dims WHERE {value} IS NOT NULL WINDOW w AS (PARTITION BY dimension, key ORDER BY {value}))
GROUP BY dimension, key"""


#: ``latency_summary`` and ``participation`` computed from the summary tables, as the report does
#: (the views read every answer and message: over Datasette's 10 s on 100,000 runs).
LATENCY = f"""WITH weeks AS (SELECT day, {iso_week("day")} AS week FROM (SELECT DISTINCT day FROM analytics_runs)),
dims AS MATERIALIZED (
    SELECT 'all' AS dimension, '' AS key, first_answer_ms AS fa, decided_ms AS dec FROM analytics_runs
    UNION ALL SELECT 'flow', flow_id, first_answer_ms, decided_ms FROM analytics_runs
    UNION ALL SELECT 'source', source, first_answer_ms, decided_ms FROM analytics_runs
    UNION ALL SELECT 'channel', channel, first_answer_ms, decided_ms FROM analytics_runs
    UNION ALL SELECT 'week', w.week, first_answer_ms, decided_ms FROM analytics_runs JOIN weeks w USING (day)),
groups AS (SELECT dimension, key, count(*) AS runs FROM dims GROUP BY dimension, key),
fa AS ({_percentiles("fa")}),
dec AS ({_percentiles("dec")})
{LATENCY_BY_DIMENSION}"""

PARTICIPATION = """WITH people AS (
    SELECT person, coalesce(max(name), max(prompt_name)) AS name, sum(inbound) AS inbound, sum(answers) AS answers, sum(addressed) AS addressed,
           sum(answered) AS answered, sum(facilitated) AS facilitated
    FROM analytics_people GROUP BY person),
owned AS (SELECT owner_id AS person, max(owner_name) AS name, count(*) AS n FROM analytics_actions
          WHERE owner_id IS NOT NULL GROUP BY owner_id),
everyone AS (SELECT person FROM people UNION SELECT person FROM owned)
SELECT e.person, coalesce(p.name, o.name, substr(e.person, instr(e.person, ':') + 1)) AS name,
       coalesce(p.inbound, 0) AS inbound_messages, coalesce(p.answers, 0) AS answers,
       coalesce(p.addressed, 0) AS prompts_addressed, coalesce(p.answered, 0) AS prompts_answered,
       CAST(p.answered AS REAL) / nullif(p.addressed, 0) AS response_rate,
       coalesce(p.facilitated, 0) AS runs_facilitated, coalesce(o.n, 0) AS actions_owned
FROM everyone e LEFT JOIN people p ON p.person = e.person LEFT JOIN owned o ON o.person = e.person
ORDER BY answers DESC, e.person"""

CANNED: dict[str, tuple[str, str]] = {
    "latency": ("Decision latency", LATENCY),
    "follow_through_by_owner": ("Follow-through by owner", "SELECT * FROM follow_through_by_owner ORDER BY due DESC"),
    "overdue_actions": (
        "Overdue open actions",
        "SELECT * FROM action_status WHERE status = 'open' AND is_due = 1 ORDER BY deadline_at",
    ),
    "review_adherence": ("Review adherence", "SELECT * FROM review_adherence"),
    "missed_reviews": ("Missed reviews", "SELECT * FROM review_status WHERE state = 'missed' ORDER BY due_at"),
    "dropoff": ("Drop-off per step", "SELECT * FROM step_dropoff"),
    "revisions": ("Revisions per step", "SELECT * FROM answer_revisions ORDER BY revisions DESC"),
    "participation": ("Participation per person", PARTICIPATION),
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
    name = re.sub(r"[^\w.-]+", "-", path.stem)  # its URL: no '#', '?' or '/' in it
    db = open_readonly(path, immutable)
    try:
        require_migrated(db.conn, path)  # its views and summaries would be missing or stale
        schema = live_schema(db.conn)
    finally:
        db.conn.close()
    ds = Datasette(metadata=metadata(name, schema), settings={"sql_time_limit_ms": 10_000, "allow_download": False})
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


def _connect(path: Path, immutable: bool) -> sqlite3.Connection:
    uri = f"file:{quote(str(path))}?{'immutable=1' if immutable else 'mode=ro'}"  # '#', '?' are the name's
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_no_attach)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
    return conn


def _no_attach(action: int, *_: object) -> int:
    """ATTACH (and VACUUM INTO, which attaches its target) would open, even create, another file."""
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK


def serve(path: str | Path, host: str, port: int, immutable: bool = False) -> None:
    import uvicorn

    uvicorn.run(build(path, immutable).app(), host=host, port=port, log_level="warning")
