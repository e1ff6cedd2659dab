"""The analysts' part of the ledger: SQL views of the standard measures and a full-text index.

Applied after the core schema (``AREA_SETS`` in :mod:`bot.store.migrations`). The views are the
measures of :mod:`bot.analytics.sql` with their defaults (every run, as of now, 2 days of grace
for reviews, 7 idle days for drop-off); ``decisionbot report`` runs the same SQL with the values
it is given. ``messages_fts`` indexes ``messages.text`` (FTS5, Porter stemming) and is kept
current by triggers.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.analytics import summary
from bot.analytics.sql import MEASURES, as_view

migrations = Migrations("decisionbot-analytics")

FTS_TABLE = "messages_fts"

#: sqlite-utils' update trigger re-indexes a message on any update; delivering a reply updates
#: ``delivered_at`` and ``attempts`` only, so the index is refreshed when the text changes.
_UPDATE_TRIGGER = """CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES('delete', old.rowid, old.text);
  INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END"""


def create_views(db: Database) -> None:
    """(Re)create every measure view from its current definition."""
    for name, sql in MEASURES.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {as_view(sql)}")


@migrations()
def m001_measure_views(db: Database) -> None:
    create_views(db)


@migrations()
def m002_messages_fts(db: Database) -> None:
    db.table("messages").enable_fts(["text"], fts_version="FTS5", create_triggers=True, tokenize="porter")
    db.execute("DROP TRIGGER messages_au")
    db.execute(_UPDATE_TRIGGER)


@migrations()
def m003_summary_tables(db: Database) -> None:
    summary.create(db)
