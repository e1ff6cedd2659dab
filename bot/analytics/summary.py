"""Summary tables kept current by triggers, so the report never scans messages, answers or
transitions: each insert adds to a counter (O(1) per write) and the report reads the counters.

- ``analytics_runs``: one row per run: its flow, its trigger day (the UTC date of
  ``events.first_seen_at``, or of ``runs.started_at``), the first answer's time, the first
  decision's time, and ``reached``, every step a transition targeted (``' decision actions '``).
- ``analytics_people``: per person, trigger day and flow of the run: inbound messages, answers,
  prompts addressed and prompts answered (a prompt is a distinct person, run and step); the
  greatest display name of their inbound messages (``name``) and of their prompts
  (``prompt_name``), as the participation view takes them.
- ``analytics_prompts``: the distinct (person, run, step) prompted, and whether answered (its
  first prompt counts it as addressed; an answer after it, as answered); the first prompt's time,
  the person's first answer there at or after it, and the milliseconds between (answer time).
- ``analytics_revisions``: per flow, step, field and trigger day: answers with revision 1
  (slots), with revision 2 (revised slots) and with revision > 1 (revisions).

The triggers are :mod:`bot.analytics.summary_triggers`, the count of what a ledger already holds
:mod:`bot.analytics.summary_backfill`, and the tables brought up to date on older ledgers
:mod:`bot.analytics.summary_upgrades`. The definitions are those of the views
(:mod:`bot.analytics.sql`), which read the raw tables; the tests check that both agree. Existing
rows are counted once when the migration runs.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.analytics.sql_waits import PROMPTS_INDEX
from bot.analytics.summary_backfill import BACKFILL
from bot.analytics.summary_triggers import TRIGGERS, recreate_trigger

__all__ = ["BACKFILL", "CONVERSATIONS_INDEX", "LATENCY_INDEX", "TABLES", "TRIGGERS", "create", "recreate_trigger"]

#: The latency measure's covering index (schema.m012 added ``kind``).
LATENCY_INDEX = (
    "CREATE INDEX analytics_runs_latency ON analytics_runs(flow_id, source, kind, channel, day, first_answer_ms,"
    " decided_ms)"
)

#: The latency by conversation read in order (schema m022): the report groups runs by it.
CONVERSATIONS_INDEX = (
    "CREATE INDEX analytics_runs_conversations ON analytics_runs(conversation, day, flow_id, first_answer_ms,"
    " decided_ms)"
)

TABLES = [
    """CREATE TABLE analytics_runs (
        run_id INTEGER PRIMARY KEY,  -- runs.id
        flow_id TEXT NOT NULL,
        day TEXT NOT NULL,               -- UTC date of the trigger
        triggered_at TEXT NOT NULL,      -- events.first_seen_at, or runs.started_at
        event_id INTEGER,
        source TEXT NOT NULL,            -- events.source ('' without an event)
        channel TEXT NOT NULL,
        facilitator_id TEXT NOT NULL,
        status TEXT NOT NULL,            -- runs.status and state, kept in step
        state TEXT NOT NULL,
        last_source TEXT,                -- the source of the run's last transition
        first_answer_at TEXT,
        first_answer_ms INTEGER,         -- milliseconds from the trigger to the first answer
        decided_at TEXT,
        decided_ms INTEGER,              -- milliseconds from the trigger to the first decision
        reached TEXT NOT NULL DEFAULT ' ',       -- ' step step ': steps a transition targeted
        kind TEXT NOT NULL DEFAULT '',   -- events.kind ('' without an event); schema.m012 on older ledgers
        conversation TEXT NOT NULL DEFAULT ''    -- where the run lives now, without its thread; schema.m022
    )""",
    "CREATE INDEX analytics_runs_event ON analytics_runs(event_id, decided_at)",
    # covering indexes: the report's GROUP BYs read them in order, without sorting 100,000 rows
    LATENCY_INDEX,
    CONVERSATIONS_INDEX,
    "CREATE INDEX analytics_runs_paths ON analytics_runs(flow_id, reached, status, state, last_source, day)",
    """CREATE TABLE analytics_actions (
        action_id INTEGER PRIMARY KEY,  -- actions.id
        owner_id TEXT,
        owner_name TEXT,
        flow_id TEXT NOT NULL,
        day TEXT NOT NULL,               -- the trigger day of the run that decided it
        status TEXT NOT NULL,
        deadline_jd REAL,                -- julianday(due) + 1.5: the due date's deadline
        done_jd REAL,                    -- julianday(done_at)
        days_late INTEGER                -- done after the deadline: UTC date of done_at - due, in days
    )""",
    """CREATE INDEX analytics_actions_groups ON analytics_actions(owner_id, flow_id, day, status, deadline_jd, done_jd,
        days_late, owner_name)""",
    """CREATE TABLE analytics_reviews (
        review_id INTEGER PRIMARY KEY,  -- reviews.id
        flow_id TEXT NOT NULL,           -- the flow of the reviewed decision's run
        day TEXT NOT NULL,               -- that run's trigger day
        due_jd REAL NOT NULL,            -- julianday(due_at) + 1.5: the due date's deadline
        held_jd REAL                     -- julianday(held_at)
    )""",
    "CREATE INDEX analytics_reviews_groups ON analytics_reviews(flow_id, day, due_jd, held_jd)",
    """CREATE TABLE analytics_events (
        event_id INTEGER PRIMARY KEY,  -- events.id
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        day TEXT NOT NULL,               -- UTC date of first_seen_at
        repeat_count INTEGER NOT NULL,
        runs INTEGER NOT NULL DEFAULT 0,
        decided_runs INTEGER NOT NULL DEFAULT 0  -- its runs that wrote a decision
    )""",
    "CREATE INDEX analytics_events_groups ON analytics_events(source, kind, day, runs, decided_runs, repeat_count)",
    """CREATE TABLE analytics_people (
        person TEXT NOT NULL,
        day TEXT NOT NULL,
        flow_id TEXT NOT NULL,
        name TEXT,
        inbound INTEGER NOT NULL DEFAULT 0,
        answers INTEGER NOT NULL DEFAULT 0,
        addressed INTEGER NOT NULL DEFAULT 0,
        answered INTEGER NOT NULL DEFAULT 0,
        facilitated INTEGER NOT NULL DEFAULT 0,
        prompt_name TEXT,
        PRIMARY KEY (person, day, flow_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE analytics_prompts (
        person TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        step TEXT NOT NULL,
        answered INTEGER NOT NULL DEFAULT 0,
        asked_at TEXT,                   -- the first prompt (schema.m013 on older ledgers)
        answered_at TEXT,                -- the person's first answer to the step at or after it
        answer_ms INTEGER,               -- milliseconds from asked_at to answered_at
        flow_id TEXT,                    -- the run's flow and trigger day, as analytics_runs
        day TEXT,
        PRIMARY KEY (person, run_id, step)
    ) WITHOUT ROWID""",
    PROMPTS_INDEX,
    """CREATE TABLE analytics_revisions (
        flow_id TEXT NOT NULL,
        step TEXT NOT NULL,
        field TEXT NOT NULL,             -- '' for a step without fields
        day TEXT NOT NULL,
        slots INTEGER NOT NULL DEFAULT 0,
        revised_slots INTEGER NOT NULL DEFAULT 0,
        revisions INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (flow_id, step, field, day)
    ) WITHOUT ROWID""",
]


def create(db: Database) -> None:
    """Create the summary tables, count the rows already in the ledger, then add the triggers."""
    for statement in TABLES + BACKFILL + TRIGGERS:
        db.execute(statement)
