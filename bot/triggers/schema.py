"""The triggers' tables and columns, as their own ordered migrations ("decisionbot-triggers").

- ``events`` gains ``route`` (the route a trigger took), ``resolved_at`` and ``problem`` (why a
  trigger started no run: no channel, an unknown flow).
- ``runs`` gains an index on ``event_id`` (the dedup look-up: the open run of an event).
- ``jobs`` gains an index for claiming due jobs.
- ``check_evaluations``: one row per evaluation of a SQL metric check, breach or not.
- ``events`` gains ``left_out`` (m002): the people a trigger named that nobody can ask (a bot user,
  a deactivated account), left out of its run.
- ``jobs`` gains an index of the checks' done jobs (m003), which :func:`upkeep` forgets after
  ``CHECK_JOBS_KEPT``: a check runs every few minutes, each run a job; the evaluation is kept in
  ``check_evaluations`` (the analysts'), its job would only pile up.
"""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.store import iso, transaction, utc_now

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


@migrations()
def m003_check_jobs_done(db: Database) -> None:
    db.execute("CREATE INDEX jobs_checks_done ON jobs(done_at) WHERE kind = 'check' AND done_at IS NOT NULL")


#: How long a SQL check's done job is kept (``jobs list --all`` shows them); its evaluation, in
#: ``check_evaluations``, is kept for good.
CHECK_JOBS_KEPT = timedelta(days=7)

_OLD_CHECK_JOBS = "SELECT id FROM jobs WHERE kind = 'check' AND done_at IS NOT NULL AND done_at < ?"


def upkeep_due(db: Database) -> bool:
    """Whether checks' jobs done more than a week ago wait to be forgotten (one index probe)."""
    cutoff = iso(utc_now() - CHECK_JOBS_KEPT)
    return db.conn.execute(f"{_OLD_CHECK_JOBS} LIMIT 1", (cutoff,)).fetchone() is not None


def upkeep(db: Database, batch: int = 1000) -> int:
    """Forget up to ``batch`` of the checks' jobs done more than a week ago; how many."""
    if not upkeep_due(db):
        return 0
    with transaction(db) as conn:
        cur = conn.execute(
            f"DELETE FROM jobs WHERE id IN ({_OLD_CHECK_JOBS} LIMIT ?)", (iso(utc_now() - CHECK_JOBS_KEPT), batch)
        )
    return cur.rowcount
