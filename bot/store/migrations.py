"""The ledger's schema, owned by ordered migrations (sqlite-utils ``Migrations``).

Each migration runs once, in order, in a transaction with the record of it having been applied;
re-applying is a no-op. Never edit an applied migration: add the next one.
"""

from __future__ import annotations

import importlib

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("decisionbot")

INITIAL = [
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,            -- cli, console, alertmanager, grafana, generic, check, schedule
        kind TEXT NOT NULL,              -- manual, alert, metric, review
        dedup_key TEXT,
        status TEXT NOT NULL DEFAULT 'firing',   -- firing | resolved
        title TEXT NOT NULL DEFAULT '',
        payload TEXT NOT NULL DEFAULT '{}',      -- JSON
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        repeat_count INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX events_dedup ON events(dedup_key)",
    """CREATE TABLE flow_versions (
        flow_id TEXT NOT NULL,
        version TEXT NOT NULL,           -- first 12 hex digits of the SHA-256 of the text
        title TEXT NOT NULL,
        path TEXT NOT NULL,
        text TEXT NOT NULL,
        first_loaded_at TEXT NOT NULL,
        PRIMARY KEY (flow_id, version)
    )""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        flow_id TEXT NOT NULL,
        flow_version TEXT NOT NULL,
        event_id INTEGER REFERENCES events(id),
        channel TEXT NOT NULL,           -- console, slack, teams, rasa
        conversation TEXT NOT NULL,      -- channel:conversation[/thread]
        facilitator_id TEXT NOT NULL,
        state TEXT NOT NULL,             -- the step the run is at, or completed / cancelled
        status TEXT NOT NULL,            -- active | completed | cancelled | stalled
        context TEXT NOT NULL,           -- JSON: answers, path, open prompts (bot/engine/state.py)
        waiting_on TEXT NOT NULL DEFAULT '',     -- ' id id ': who has an open question in this run
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT,
        FOREIGN KEY (flow_id, flow_version) REFERENCES flow_versions(flow_id, version)
    )""",
    "CREATE INDEX runs_conversation ON runs(conversation, status)",
    "CREATE INDEX runs_status ON runs(status, flow_id)",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        direction TEXT NOT NULL,         -- in | out
        channel TEXT NOT NULL,
        conversation TEXT NOT NULL,
        actor_id TEXT,                   -- in: the sender; out: the addressee (NULL: everyone)
        actor_name TEXT,
        platform_id TEXT,                -- the platform's message id
        step TEXT,
        kind TEXT NOT NULL,              -- in: answer, command, invalid, refused, closed, start;
                                         -- out: prompt, info, error, summary
        text TEXT NOT NULL,
        expects TEXT,                    -- out: JSON of the answer expected
        private INTEGER NOT NULL DEFAULT 0,
        payload TEXT,                    -- in: the raw platform payload (JSON)
        created_at TEXT NOT NULL,
        delivered_at TEXT,               -- out: NULL while in the outbox
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    )""",
    "CREATE INDEX messages_run ON messages(run_id, id)",
    "CREATE INDEX messages_outbox ON messages(channel, id) WHERE direction = 'out' AND delivered_at IS NULL",
    """CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        event TEXT NOT NULL,             -- start, next, back, cancel, stall, resume
        actor_id TEXT,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX transitions_run ON transitions(run_id)",
    """CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        step TEXT NOT NULL,
        item INTEGER,                    -- 1-based item of a repeat or fan-out step
        field TEXT,                      -- field of a repeat step
        actor_id TEXT NOT NULL,
        value TEXT,                      -- JSON
        raw TEXT NOT NULL,               -- what was typed
        kind TEXT NOT NULL,              -- answer, default, kept, skip, correction
        revision INTEGER NOT NULL,       -- 1 for the first answer; n replaces n-1
        at TEXT NOT NULL
    )""",
    "CREATE INDEX answers_slot ON answers(run_id, step, item, field, revision)",
    """CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        flow_id TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT,
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        review_at TEXT,                  -- date
        status TEXT NOT NULL DEFAULT 'open',     -- open | kept | changed | dropped
        revises INTEGER REFERENCES decisions(id),
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        decision_id INTEGER NOT NULL REFERENCES decisions(id),
        item INTEGER NOT NULL,
        what TEXT NOT NULL,
        owner_id TEXT,
        owner_name TEXT,
        due TEXT,                        -- date
        accepted_at TEXT,
        status TEXT NOT NULL DEFAULT 'open',     -- open | done | dropped
        done_at TEXT
    )""",
    "CREATE INDEX actions_owner ON actions(owner_id, status)",
    """CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        decision_id INTEGER NOT NULL REFERENCES decisions(id),
        due_at TEXT NOT NULL,            -- date
        run_id INTEGER REFERENCES runs(id),      -- the review run, once started
        held_at TEXT,
        outcome TEXT                     -- kept | changed | dropped
    )""",
    """CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        kind TEXT NOT NULL,              -- remind, escalate, expire, start_flow
        due_at TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        claimed_at TEXT,
        done_at TEXT,
        outcome TEXT                     -- done, cancelled, failed: ...
    )""",
    "CREATE INDEX jobs_due ON jobs(due_at) WHERE done_at IS NULL",
    "CREATE INDEX jobs_run ON jobs(run_id) WHERE done_at IS NULL",
    """CREATE TABLE deliveries (
        platform TEXT NOT NULL,
        delivery_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (platform, delivery_id)
    )""",
]


@migrations()
def m001_initial(db: Database) -> None:
    for statement in INITIAL:
        db.execute(statement)


@migrations()
def m002_outbox_gives_up_by_time(db: Database) -> None:
    """A reply the outbox stopped trying is marked ``failed_at`` and leaves the outbox index (it
    was kept as ``attempts >= 8``, which the index still held, so enough of them clogged it)."""
    db.execute("ALTER TABLE messages ADD COLUMN failed_at TEXT")  # out: when delivery was given up
    db.execute(
        "UPDATE messages SET failed_at = created_at WHERE direction = 'out' AND delivered_at IS NULL AND attempts >= 8"
    )
    db.execute("DROP INDEX messages_outbox")
    db.execute(
        "CREATE INDEX messages_outbox ON messages(channel, id)"
        " WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"
    )


#: Modules that own more tables, each with its own ``migrations = Migrations("decisionbot-<area>")``
#: set; applied after the core set, in this order.
AREA_SETS: tuple[str, ...] = (
    "bot.triggers.schema",
    "bot.analytics.schema",
    "bot.store.people",
    "bot.store.slack",
    "bot.channels.teams_store",
)


def upkeep(db: Database) -> int:
    """Run the ``upkeep(db)`` of every area that has one (batched work kept off the turns, such as
    the full-text index), one batch each: between turns and in the server's housekeeping.
    Returns how many items the batches did."""
    done = 0
    for module in AREA_SETS:
        hook = getattr(importlib.import_module(module), "upkeep", None)
        if hook is not None:
            done += hook(db) or 0
    return done


def catch_up(db: Database) -> None:
    """Upkeep until nothing is left, still batch by batch: after a CLI command and ``db migrate``,
    which have no housekeeping to finish the work later."""
    while upkeep(db):
        pass


def all_sets() -> list[Migrations]:
    return [migrations, *(importlib.import_module(m).migrations for m in AREA_SETS)]


def apply(db: Database) -> list[str]:
    """Apply pending migrations of every set; return the names applied."""
    applied: list[str] = []
    for mset in all_sets():
        pending = [m.name for m in mset.pending(db)]
        if pending:
            mset.apply(db)
            applied.extend(pending)
    return applied
