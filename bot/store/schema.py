"""The core of the ledger's schema: its first tables (``INITIAL``) and the ordered migrations of
the core set (``Migrations("decisionbot")``) that changed them since. :mod:`bot.store.migrations`
applies this set first, then each area's.

Each migration runs once, in order, in a transaction with the record of it having been applied;
re-applying is a no-op. Never edit an applied migration: add the next one.
"""

from __future__ import annotations

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


@migrations()
def m003_actions_confirmed_for_the_owner(db: Database) -> None:
    """An action whose owner's question was handed to someone else (the facilitator, after the
    owner's misses or the escalation timer) is confirmed by that person, not accepted by its owner:
    ``accepted_at`` stays for the owner's own yes; ``confirmed_by``/``confirmed_at`` say who said yes
    in their place, and when. Rows written before are corrected from the answers: the yes that
    set ``accepted_at`` (same run, item and time) given by someone other than the owner."""
    db.execute("ALTER TABLE actions ADD COLUMN confirmed_by TEXT")  # actor id; NULL when the owner accepted
    db.execute("ALTER TABLE actions ADD COLUMN confirmed_at TEXT")
    db.execute(
        "UPDATE actions SET confirmed_by = (SELECT an.actor_id FROM answers an JOIN decisions d ON d.run_id = an.run_id"
        " WHERE d.id = actions.decision_id AND an.item = actions.item AND an.field IS NULL AND an.value = 'true'"
        " AND an.at = actions.accepted_at AND an.actor_id != actions.owner_id ORDER BY an.id DESC LIMIT 1)"
        " WHERE accepted_at IS NOT NULL"
    )
    db.execute("UPDATE actions SET confirmed_at = accepted_at, accepted_at = NULL WHERE confirmed_by IS NOT NULL")


@migrations()
def m004_leases(db: Database) -> None:
    """Work one process on the ledger does at a time (bot/store/leases.py): each channel's outbox
    is delivered by one server, so two on one file (a rolling restart) never send a reply twice."""
    db.execute(
        """CREATE TABLE leases (
        name TEXT PRIMARY KEY,           -- what is leased: outbox:<channel>
        holder TEXT NOT NULL,            -- a random token of the process that holds it
        expires_at TEXT NOT NULL         -- after this, another process may take it over
    )"""
    )


@migrations()
def m005_outbox_parts(db: Database) -> None:
    """A reply too long for its platform goes out in parts (bot/outbox.py): ``parts_sent`` counts
    the parts already delivered, so a retry (a 429 between two parts, a restart) goes on from the
    next part instead of posting the first ones again."""
    db.execute("ALTER TABLE messages ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0")


@migrations()
def m006_actions_done_confirmed_for_the_owner(db: Database) -> None:
    """A review's "done" for an action whose owner's question was handed to someone else (the
    facilitator) is theirs, as a yes for the owner is (m003): ``done_confirmed_by`` says who; the
    owner's own "done" leaves it empty. Rows written before are filled from the shipped review
    flow's answers (``actions_done``): the last answer for the action, when not the owner's."""
    db.execute("ALTER TABLE actions ADD COLUMN done_confirmed_by TEXT")  # actor id; NULL when the owner said so
    db.execute(
        "UPDATE actions SET done_confirmed_by = (SELECT CASE WHEN an.actor_id != actions.owner_id THEN an.actor_id END"
        " FROM reviews rv JOIN runs ru ON ru.id = rv.run_id JOIN answers an ON an.run_id = ru.id"
        " WHERE rv.decision_id = actions.decision_id AND rv.held_at = actions.done_at AND an.step = 'actions_done'"
        " AND an.field IS NULL AND json_extract(ru.context, '$.trigger.actions[' || (an.item - 1) || '].id') = actions.id"
        " ORDER BY an.id DESC LIMIT 1) WHERE status = 'done'"
    )


@migrations()
def m007_outbox_retry_since(db: Database) -> None:
    """A reply refused for now is retried for a day (bot/outbox.py ``RETRY_FOR``) from its first
    refusal, ``retry_since``; a refusal of its whole channel (a token revoked, the app uninstalled)
    clears it, so the replies kept through such an outage get their day of retries after it. The
    day used to count from ``created_at``: a reply kept over a weekend was given up by the first 429
    after the fix, and one queued while the server was stopped by the first after the restart."""
    db.execute("ALTER TABLE messages ADD COLUMN retry_since TEXT")


@migrations()
def m008_action_changes(db: Database) -> None:
    """Actions change after their decision: ``due A12 DATE`` moves the due date, ``drop A12`` drops
    it. Each change is a row (the field, its old and new value, why, who, when), so the first due
    date and who dropped what stay known."""
    db.execute(
        """CREATE TABLE action_changes (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES actions(id),
            field TEXT NOT NULL,             -- due | status
            old TEXT,
            new TEXT,
            reason TEXT,                     -- what the person said after 'drop A12'
            actor_id TEXT NOT NULL,
            actor_name TEXT,
            at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX action_changes_action ON action_changes(action_id)")


@migrations()
def m009_handover_keeps_the_old_acceptance(db: Database) -> None:
    """A handover (``give A12 @person``, then their yes) sets the action's ``accepted_at`` to the new
    owner's yes and clears ``confirmed_by``/``confirmed_at``: the old owner's own yes (or the
    confirmation given in their place) was kept nowhere. The owner change's row keeps it now.
    Rows written before are filled: after an earlier handover, the old owner's yes was that
    change's ``at``; the first owner's, from the shipped flows' ``owner_accepts`` answers of the
    decision's run (the last yes for the item before the change: theirs, or one in their place)."""
    for column in ("old_accepted_at", "old_confirmed_by", "old_confirmed_at"):
        db.execute(f"ALTER TABLE action_changes ADD COLUMN {column} TEXT")
    db.execute(
        "UPDATE action_changes SET old_accepted_at = (SELECT p.at FROM action_changes p WHERE p.field = 'owner'"
        " AND p.action_id = action_changes.action_id AND p.id < action_changes.id ORDER BY p.id DESC LIMIT 1)"
        " WHERE field = 'owner'"
    )
    by, at = _first_owners_yes("an.actor_id"), _first_owners_yes("an.at")
    first = "field = 'owner' AND old_accepted_at IS NULL"
    db.execute(
        f"UPDATE action_changes SET old_confirmed_by = {by}, old_confirmed_at = {at} WHERE {first} AND old IS NOT {by}"
    )
    db.execute(f"UPDATE action_changes SET old_accepted_at = {at} WHERE {first} AND old_confirmed_by IS NULL")


@migrations()
def m010_inbound_messages_by_platform_id(db: Database) -> None:
    """An edit or deletion of a Slack message looks its message up by platform id
    (``slack_edits.tell``), on the event loop: without an index that read every message, about
    66 ms at a million, for each of the edits Slack sends (link previews too). Inbound rows only:
    the outbox's rows get theirs when delivered, and are looked up by their run."""
    db.execute(
        "CREATE INDEX messages_inbound_platform ON messages(platform_id)"
        " WHERE direction = 'in' AND platform_id IS NOT NULL"
    )


def _first_owners_yes(column: str) -> str:
    """SQL: ``column`` of the last yes to the action of an ``action_changes`` row given before it in
    its decision's run (the shipped flows' ``owner_accepts`` step)."""
    return (
        f"(SELECT {column} FROM answers an JOIN decisions d ON d.run_id = an.run_id JOIN actions a ON a.decision_id = d.id"
        " WHERE a.id = action_changes.action_id AND an.step = 'owner_accepts' AND an.item = a.item"
        " AND an.field IS NULL AND an.value = 'true' AND an.at <= action_changes.at ORDER BY an.id DESC LIMIT 1)"
    )


@migrations()
def m011_answers_name_their_message(db: Database) -> None:
    """Each answer names the inbound message that gave it (``answers.message_id``): the analysts'
    ``answer_sources`` reads there which surface it came through (a Slack button, menu, date picker
    or user picker, the thread, a direct message; a Teams card or chat). NULL for an answer no
    message gave (a default the bot took). Rows written before are given the inbound message of their
    turn: the one of their run and person written at the same instant (a turn writes both at once)."""
    db.execute("ALTER TABLE answers ADD COLUMN message_id INTEGER")
    db.execute(
        "UPDATE answers SET message_id = (SELECT max(m.id) FROM messages m WHERE m.run_id = answers.run_id"
        " AND m.direction = 'in' AND m.created_at = answers.at AND m.actor_id = answers.actor_id"
        " AND m.kind NOT IN ('edited', 'deleted', 'refused'))"
    )


@migrations()
def m012_owner_digests(db: Database) -> None:
    """The day of each owner's calendar their latest digest went on (``bot.triggers.digest``): at
    most one a day of theirs, whatever their zone did meanwhile."""
    db.execute(
        """CREATE TABLE owner_digests (
        owner_id TEXT PRIMARY KEY,           -- neutral actor id
        day TEXT NOT NULL,                   -- YYYY-MM-DD on the owner's clock when it was sent
        sent_at TEXT NOT NULL
    )"""
    )
