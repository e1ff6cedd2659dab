"""The triggers' tables and columns, as their own ordered migrations ("decisionbot-triggers").

- ``events`` gains ``route`` (the route a trigger took), ``resolved_at`` and ``problem`` (why a
  trigger started no run: no channel, an unknown flow).
- ``runs`` gains an index on ``event_id`` (the dedup look-up: the open run of an event).
- ``jobs`` gains an index for claiming due jobs.
- ``check_evaluations``: one row per evaluation of a SQL metric check, breach or not.
- ``events`` gains ``left_out`` (m002): the people a trigger named that nobody can ask (a bot user,
  a deactivated account), left out of its run.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("decisionbot-triggers")


@migrations()
def m001_events_routes_checks(db: Database) -> None:
    for statement in (
        "ALTER TABLE events ADD COLUMN route TEXT",
        "ALTER TABLE events ADD COLUMN resolved_at TEXT",
        "ALTER TABLE events ADD COLUMN problem TEXT",
        "CREATE INDEX runs_event ON runs(event_id)",
        "CREATE INDEX jobs_claim ON jobs(due_at, claimed_at) WHERE done_at IS NULL",
        """CREATE TABLE check_evaluations (
            id INTEGER PRIMARY KEY,
            check_name TEXT NOT NULL,
            at TEXT NOT NULL,
            value REAL,                      -- NULL when the query failed
            threshold REAL NOT NULL,
            direction TEXT NOT NULL,         -- above | below
            breached INTEGER NOT NULL DEFAULT 0,
            error TEXT,                      -- why there is no value
            event_id INTEGER REFERENCES events(id)   -- the event a breach (or recovery) fed
        )""",
        "CREATE INDEX check_evaluations_name ON check_evaluations(check_name, id)",
    ):
        db.execute(statement)


@migrations()
def m002_events_left_out(db: Database) -> None:
    db.execute("ALTER TABLE events ADD COLUMN left_out TEXT")  # JSON [{"id", "kind"}], NULL: nobody
