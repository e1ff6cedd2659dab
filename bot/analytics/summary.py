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

The definitions are those of the views (:mod:`bot.analytics.sql`), which read the raw tables;
the tests check that both agree. Existing rows are counted once when the migration runs.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.analytics.sql import NOT_SENT
from bot.analytics.sql_waits import ANSWER_MS, PROMPT_TIMES, PROMPTS_INDEX

#: The latency measure's covering index (schema.m012 added ``kind``).
LATENCY_INDEX = (
    "CREATE INDEX analytics_runs_latency ON analytics_runs(flow_id, source, kind, channel, day, first_answer_ms,"
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
        kind TEXT NOT NULL DEFAULT ''    -- events.kind ('' without an event); schema.m012 on older ledgers
    )""",
    "CREATE INDEX analytics_runs_event ON analytics_runs(event_id, decided_at)",
    # covering indexes: the report's GROUP BYs read them in order, without sorting 100,000 rows
    LATENCY_INDEX,
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

#: A name kept as the participation view takes it: the greatest (``max``) of those seen.
_GREATEST = "{col} = coalesce(max({col}, excluded.{col}), {col}, excluded.{col})"

_PEOPLE_ADD = """INSERT INTO analytics_people (person, day, flow_id, name, {col})
    SELECT {person}, day, flow_id, {name}, {value} FROM analytics_runs WHERE run_id = {run} AND true
    ON CONFLICT DO UPDATE SET {col} = {col} + excluded.{col},
        name = coalesce(max(name, excluded.name), name, excluded.name);"""

_ACTION_FACTS = """new.status, julianday(new.due) + 1.5, julianday(new.done_at),
    CASE WHEN new.status = 'done' AND julianday(new.done_at) >= julianday(new.due) + 1.5
         THEN CAST(julianday(substr(new.done_at, 1, 10)) - julianday(new.due) AS INTEGER) END"""

#: Whether the person a prompt goes to has already answered that step of that run.
_ANSWERED = """EXISTS (SELECT 1 FROM answers a WHERE a.run_id = new.run_id AND a.step = new.step
    AND a.actor_id = new.actor_id)"""

_MS = "CAST(round((julianday({at}) - julianday(triggered_at)) * 86400000.0) AS INTEGER)"

TRIGGERS = [
    f"""CREATE TRIGGER analytics_runs_ai AFTER INSERT ON runs BEGIN
        INSERT OR IGNORE INTO analytics_runs (run_id, flow_id, day, triggered_at, event_id, source, channel,
            facilitator_id, status, state, kind)
        SELECT new.id, new.flow_id, substr(coalesce(e.first_seen_at, new.started_at), 1, 10),
               coalesce(e.first_seen_at, new.started_at), new.event_id, coalesce(e.source, ''), new.channel,
               new.facilitator_id, new.status, new.state, coalesce(e.kind, '')
        FROM (SELECT 1) LEFT JOIN events e ON e.id = new.event_id;
        {_PEOPLE_ADD.format(col="facilitated", person="new.facilitator_id", name="NULL", value="1", run="new.id")}
        UPDATE analytics_events SET runs = runs + 1 WHERE event_id = new.event_id;
    END""",
    """CREATE TRIGGER analytics_runs_au AFTER UPDATE OF state, status ON runs
    WHEN old.state IS NOT new.state OR old.status IS NOT new.status BEGIN
        UPDATE analytics_runs SET status = new.status, state = new.state WHERE run_id = new.id;
    END""",
    f"""CREATE TRIGGER analytics_actions_ai AFTER INSERT ON actions BEGIN
        INSERT INTO analytics_actions (action_id, owner_id, owner_name, flow_id, day, status, deadline_jd, done_jd,
            days_late)
        SELECT new.id, new.owner_id, new.owner_name, f.flow_id, f.day, {_ACTION_FACTS}
        FROM decisions d JOIN analytics_runs f ON f.run_id = d.run_id WHERE d.id = new.decision_id;
    END""",
    f"""CREATE TRIGGER analytics_actions_au AFTER UPDATE OF owner_id, owner_name, due, status, done_at ON actions BEGIN
        UPDATE analytics_actions SET owner_id = new.owner_id, owner_name = new.owner_name,
            (status, deadline_jd, done_jd, days_late) = (SELECT {_ACTION_FACTS})
        WHERE action_id = new.id;
    END""",
    """CREATE TRIGGER analytics_reviews_ai AFTER INSERT ON reviews BEGIN
        INSERT INTO analytics_reviews (review_id, flow_id, day, due_jd, held_jd)
        SELECT new.id, f.flow_id, f.day, julianday(new.due_at) + 1.5, julianday(new.held_at)
        FROM decisions d JOIN analytics_runs f ON f.run_id = d.run_id WHERE d.id = new.decision_id;
    END""",
    """CREATE TRIGGER analytics_reviews_au AFTER UPDATE OF due_at, held_at ON reviews BEGIN
        UPDATE analytics_reviews SET due_jd = julianday(new.due_at) + 1.5, held_jd = julianday(new.held_at)
        WHERE review_id = new.id;
    END""",
    """CREATE TRIGGER analytics_events_ai AFTER INSERT ON events BEGIN
        INSERT INTO analytics_events (event_id, source, kind, day, repeat_count)
        VALUES (new.id, new.source, new.kind, substr(new.first_seen_at, 1, 10), new.repeat_count);
    END""",
    """CREATE TRIGGER analytics_events_au AFTER UPDATE OF repeat_count ON events BEGIN
        UPDATE analytics_events SET repeat_count = new.repeat_count WHERE event_id = new.id;
    END""",
    f"""CREATE TRIGGER analytics_decisions_ai AFTER INSERT ON decisions BEGIN
        UPDATE analytics_events SET decided_runs = decided_runs + 1
        WHERE event_id = (SELECT event_id FROM analytics_runs WHERE run_id = new.run_id AND decided_at IS NULL);
        UPDATE analytics_runs SET decided_at = new.decided_at, decided_ms = {_MS.format(at="new.decided_at")}
        WHERE run_id = new.run_id AND (decided_at IS NULL OR new.decided_at < decided_at);
    END""",
    """CREATE TRIGGER analytics_transitions_ai AFTER INSERT ON transitions BEGIN
        UPDATE analytics_runs SET last_source = new.source,
            reached = CASE WHEN new.target IN ('completed', 'cancelled') OR instr(reached, ' ' || new.target || ' ')
                           THEN reached ELSE reached || new.target || ' ' END
        WHERE run_id = new.run_id;
    END""",
    f"""CREATE TRIGGER analytics_answers_ai AFTER INSERT ON answers BEGIN
        UPDATE analytics_runs SET first_answer_at = new.at, first_answer_ms = {_MS.format(at="new.at")}
        WHERE run_id = new.run_id AND (first_answer_at IS NULL OR new.at < first_answer_at);
        INSERT INTO analytics_revisions (flow_id, step, field, day, slots, revised_slots, revisions)
            SELECT flow_id, new.step, coalesce(new.field, ''), day, new.revision = 1, new.revision = 2,
                   new.revision > 1
            FROM analytics_runs WHERE run_id = new.run_id AND true
            ON CONFLICT DO UPDATE SET slots = slots + excluded.slots,
                revised_slots = revised_slots + excluded.revised_slots, revisions = revisions + excluded.revisions;
        {_PEOPLE_ADD.format(col="answers", person="new.actor_id", name="NULL", value="1", run="new.run_id")}
        UPDATE analytics_prompts SET answered = 1
        WHERE person = new.actor_id AND run_id = new.run_id AND step = new.step AND answered = 0;
        UPDATE analytics_prompts SET answered_at = new.at, answer_ms = {ANSWER_MS.format(at="new.at", asked="asked_at")}
        WHERE person = new.actor_id AND run_id = new.run_id AND step = new.step AND answered_at IS NULL
            AND asked_at <= new.at;
    END""",
    f"""CREATE TRIGGER analytics_messages_in AFTER INSERT ON messages
    WHEN new.run_id IS NOT NULL AND new.actor_id IS NOT NULL AND new.direction = 'in'
        AND new.kind NOT IN {NOT_SENT} BEGIN
        {_PEOPLE_ADD.format(col="inbound", person="new.actor_id", name="new.actor_name", value="1", run="new.run_id")}
    END""",
    f"""CREATE TRIGGER analytics_messages_prompt AFTER INSERT ON messages
    WHEN new.run_id IS NOT NULL AND new.actor_id IS NOT NULL AND new.direction = 'out' AND new.kind = 'prompt' BEGIN
        INSERT INTO analytics_people (person, day, flow_id, prompt_name, addressed, answered)
            SELECT new.actor_id, day, flow_id, new.actor_name, p.fresh, p.fresh AND {_ANSWERED}
            FROM analytics_runs, (SELECT NOT EXISTS (SELECT 1 FROM analytics_prompts WHERE person = new.actor_id
                AND run_id = new.run_id AND step = coalesce(new.step, '')) AS fresh) AS p
            WHERE run_id = new.run_id AND true
            ON CONFLICT DO UPDATE SET addressed = addressed + excluded.addressed,
                answered = answered + excluded.answered, {_GREATEST.format(col="prompt_name")};
        INSERT OR IGNORE INTO analytics_prompts (person, run_id, step, answered, asked_at, answered_at, answer_ms,
            flow_id, day)
            SELECT new.actor_id, new.run_id, coalesce(new.step, ''), {_ANSWERED}, new.created_at, t.at,
                   {ANSWER_MS.format(at="t.at", asked="new.created_at")}, f.flow_id, f.day
            FROM analytics_runs f, (SELECT min(a.at) AS at FROM answers a WHERE a.run_id = new.run_id
                AND a.step = new.step AND a.actor_id = new.actor_id AND a.at >= new.created_at) AS t
            WHERE f.run_id = new.run_id;
    END""",
    f"""CREATE TRIGGER analytics_prompts_au AFTER UPDATE OF answered ON analytics_prompts
    WHEN new.answered = 1 AND old.answered = 0 BEGIN
        {_PEOPLE_ADD.format(col="answered", person="new.person", name="NULL", value="1", run="new.run_id")}
    END""",
]

#: Count what is already in the ledger, as the triggers would have.
BACKFILL = [
    """INSERT INTO analytics_runs (run_id, flow_id, day, triggered_at, event_id, source, channel, facilitator_id,
        status, state, last_source, first_answer_at, decided_at, reached, kind)
    SELECT r.id, r.flow_id, substr(coalesce(e.first_seen_at, r.started_at), 1, 10), coalesce(e.first_seen_at, r.started_at),
           r.event_id, coalesce(e.source, ''), r.channel, r.facilitator_id, r.status, r.state,
           (SELECT t.source FROM transitions t WHERE t.run_id = r.id ORDER BY t.id DESC LIMIT 1),
           (SELECT min(a.at) FROM answers a WHERE a.run_id = r.id),
           (SELECT min(d.decided_at) FROM decisions d WHERE d.run_id = r.id),
           ' ' || coalesce((SELECT group_concat(target, ' ') || ' ' FROM (SELECT DISTINCT t.target FROM transitions t
               WHERE t.run_id = r.id AND t.target NOT IN ('completed', 'cancelled'))), ''),
           coalesce(e.kind, '')
    FROM runs r LEFT JOIN events e ON e.id = r.event_id""",
    f"""UPDATE analytics_runs SET first_answer_ms = {_MS.format(at="first_answer_at")},
        decided_ms = {_MS.format(at="decided_at")}""",
    f"""INSERT INTO analytics_actions (action_id, owner_id, owner_name, flow_id, day, status, deadline_jd, done_jd,
        days_late)
    SELECT new.id, new.owner_id, new.owner_name, f.flow_id, f.day, {_ACTION_FACTS}
    FROM actions new JOIN decisions d ON d.id = new.decision_id JOIN analytics_runs f ON f.run_id = d.run_id""",
    """INSERT INTO analytics_reviews (review_id, flow_id, day, due_jd, held_jd)
    SELECT v.id, f.flow_id, f.day, julianday(v.due_at) + 1.5, julianday(v.held_at)
    FROM reviews v JOIN decisions d ON d.id = v.decision_id JOIN analytics_runs f ON f.run_id = d.run_id""",
    """INSERT INTO analytics_events (event_id, source, kind, day, repeat_count, runs, decided_runs)
    SELECT e.id, e.source, e.kind, substr(e.first_seen_at, 1, 10), e.repeat_count, count(f.run_id), count(f.decided_at)
    FROM events e LEFT JOIN analytics_runs f ON f.event_id = e.id GROUP BY e.id""",
    """INSERT INTO analytics_revisions (flow_id, step, field, day, slots, revised_slots, revisions)
    SELECT f.flow_id, a.step, coalesce(a.field, ''), f.day, sum(a.revision = 1), sum(a.revision = 2), sum(a.revision > 1)
    FROM answers a JOIN analytics_runs f ON f.run_id = a.run_id GROUP BY 1, 2, 3, 4""",
    """INSERT INTO analytics_prompts (person, run_id, step, answered)
    SELECT DISTINCT m.actor_id, m.run_id, coalesce(m.step, ''), EXISTS (SELECT 1 FROM answers a
        WHERE a.run_id = m.run_id AND a.step = m.step AND a.actor_id = m.actor_id)
    FROM messages m JOIN analytics_runs f ON f.run_id = m.run_id
    WHERE m.direction = 'out' AND m.kind = 'prompt' AND m.actor_id IS NOT NULL""",
    *PROMPT_TIMES,
    f"""INSERT INTO analytics_people (person, day, flow_id, name, prompt_name, inbound, answers, addressed, answered,
        facilitated)
    SELECT person, day, flow_id, max(CASE WHEN inbound THEN name END), max(CASE WHEN NOT inbound THEN name END),
           sum(inbound), sum(answers), sum(addressed), sum(answered), sum(facilitated)
    FROM (
        SELECT m.actor_id AS person, f.day, f.flow_id, m.actor_name AS name, m.direction = 'in' AS inbound,
               0 AS answers, 0 AS addressed, 0 AS answered, 0 AS facilitated
        FROM messages m JOIN analytics_runs f ON f.run_id = m.run_id
        WHERE m.actor_id IS NOT NULL AND (m.direction = 'in' AND m.kind NOT IN {NOT_SENT} OR m.kind = 'prompt')
        UNION ALL SELECT a.actor_id, f.day, f.flow_id, NULL, 0, 1, 0, 0, 0
        FROM answers a JOIN analytics_runs f ON f.run_id = a.run_id
        UNION ALL SELECT p.person, f.day, f.flow_id, NULL, 0, 0, 1, p.answered, 0
        FROM analytics_prompts p JOIN analytics_runs f ON f.run_id = p.run_id
        UNION ALL SELECT facilitator_id, day, flow_id, NULL, 0, 0, 0, 0, 1 FROM analytics_runs)
    GROUP BY person, day, flow_id""",
]


def keep_answer_times(db: Database) -> None:
    """The answer time of each prompt in ``analytics_prompts``, on a ledger made before: its
    columns, counted from the ledger, and the triggers that keep them."""
    columns = db.table("analytics_prompts").columns_dict
    for column, kind in (("asked_at", "TEXT"), ("answered_at", "TEXT"), ("answer_ms", "INTEGER"), ("flow_id", "TEXT"),
                         ("day", "TEXT")):  # fmt: skip
        if column not in columns:
            db.execute(f"ALTER TABLE analytics_prompts ADD COLUMN {column} {kind}")
    for statement in PROMPT_TIMES:
        db.execute(statement)
    db.execute(PROMPTS_INDEX)
    for name in ("analytics_answers_ai", "analytics_messages_prompt"):
        recreate_trigger(db, name)


def create(db: Database) -> None:
    """Create the summary tables, count the rows already in the ledger, then add the triggers."""
    for statement in TABLES + BACKFILL + TRIGGERS:
        db.execute(statement)


#: Added by a later migration (schema.m005): the claimer of a triggered run is its facilitator.
CLAIMED = """CREATE TRIGGER analytics_runs_claimed AFTER UPDATE OF facilitator_id ON runs
WHEN old.facilitator_id IS NOT new.facilitator_id BEGIN
    UPDATE analytics_people SET facilitated = facilitated - 1
    WHERE person = old.facilitator_id AND (day, flow_id) = (SELECT day, flow_id FROM analytics_runs WHERE run_id = new.id);
    DELETE FROM analytics_people WHERE person = old.facilitator_id
        AND inbound = 0 AND answers = 0 AND addressed = 0 AND answered = 0 AND facilitated = 0;
    INSERT INTO analytics_people (person, day, flow_id, facilitated)
        SELECT new.facilitator_id, day, flow_id, 1 FROM analytics_runs WHERE run_id = new.id AND true
        ON CONFLICT DO UPDATE SET facilitated = facilitated + 1;
    UPDATE analytics_runs SET facilitator_id = new.facilitator_id WHERE run_id = new.id;
END"""


def credit_claims(db: Database) -> None:
    """A triggered run claimed by its first speaker (``runs.facilitator_id`` changes): the summary
    credits the claimer, as the views do, from now on (CLAIMED) and for runs claimed before."""
    for person, day, flow, moved in db.execute(
        "SELECT f.facilitator_id, f.day, f.flow_id, count(*) FROM analytics_runs f JOIN runs r ON r.id = f.run_id"
        " WHERE r.facilitator_id IS NOT f.facilitator_id GROUP BY 1, 2, 3"
    ).fetchall():
        db.execute(
            "UPDATE analytics_people SET facilitated = facilitated - ? WHERE person = ? AND day = ? AND flow_id = ?",
            (moved, person, day, flow),
        )
    db.execute(
        "INSERT INTO analytics_people (person, day, flow_id, facilitated)"
        " SELECT r.facilitator_id, f.day, f.flow_id, count(*) FROM analytics_runs f JOIN runs r ON r.id = f.run_id"
        " WHERE r.facilitator_id IS NOT f.facilitator_id GROUP BY 1, 2, 3"
        " ON CONFLICT DO UPDATE SET facilitated = facilitated + excluded.facilitated"
    )
    db.execute(
        "UPDATE analytics_runs SET facilitator_id = (SELECT facilitator_id FROM runs WHERE id = run_id)"
        " WHERE facilitator_id IS NOT (SELECT facilitator_id FROM runs WHERE id = run_id)"
    )
    db.execute(
        "DELETE FROM analytics_people WHERE inbound = 0 AND answers = 0 AND addressed = 0 AND answered = 0"
        " AND facilitated = 0"
    )
    db.execute(CLAIMED)


#: Applied by a later migration (schema.m006) to a ledger made before: ``name`` was the latest
#: name (of inbound messages and prompts alike), not the greatest as the participation view shows.
NAMES = """UPDATE analytics_people SET name = n.name, prompt_name = n.prompt_name
    FROM (SELECT m.actor_id AS person, f.day, f.flow_id,
                 max(CASE WHEN m.direction = 'in' THEN m.actor_name END) AS name,
                 max(CASE WHEN m.direction = 'out' THEN m.actor_name END) AS prompt_name
          FROM messages m JOIN analytics_runs f ON f.run_id = m.run_id
          WHERE m.actor_id IS NOT NULL AND (m.direction = 'in' OR m.kind = 'prompt') GROUP BY 1, 2, 3) AS n
    WHERE n.person = analytics_people.person AND n.day = analytics_people.day AND n.flow_id = analytics_people.flow_id"""


def keep_names(db: Database) -> None:
    """The people's names as the participation view takes them, on a ledger made before: the
    ``prompt_name`` column, the current triggers, the names of the rows there are."""
    if "prompt_name" not in db.table("analytics_people").columns_dict:
        db.execute("ALTER TABLE analytics_people ADD COLUMN prompt_name TEXT")
    for trigger in TRIGGERS:
        name = trigger.split()[2]
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(trigger)
    db.execute(NAMES)


def keep_kinds(db: Database) -> None:
    """Each run's trigger kind in ``analytics_runs``, on a ledger made before (the latency measure
    groups by it, read from its covering index)."""
    if "kind" not in db.table("analytics_runs").columns_dict:
        db.execute("ALTER TABLE analytics_runs ADD COLUMN kind TEXT NOT NULL DEFAULT ''")
        db.execute("UPDATE analytics_runs SET kind = coalesce((SELECT kind FROM events WHERE id = event_id), '')")
    recreate_trigger(db, "analytics_runs_ai")
    db.execute("DROP INDEX IF EXISTS analytics_runs_latency")
    db.execute(LATENCY_INDEX)


def recreate_trigger(db: Database, name: str) -> None:
    """Trigger ``name`` as :data:`TRIGGERS` has it now, in place of the one a ledger has."""
    (trigger,) = (t for t in TRIGGERS if t.split()[2] == name)
    db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute(trigger)
