"""The triggers that keep the summary tables (:mod:`bot.analytics.summary`) current: each insert
or update of the ledger's runs, actions, reviews, events, decisions, transitions, answers and
messages adds to their counters, O(1) per write.

A Slack turn writes a message or two, an answer, a transition, so the triggers are kept cheap
(schema.m014; docs/analytics.md, "What the triggers cost a turn"): one trigger a table and
statement (each trigger program run allocates and zeroes its registers, its WHEN false or not); no
subquery in FROM (SQLite fills a temporary table for it) nor an INSERT that reads the table it
writes (the rows go through one): scalar subqueries of ``new``, run once, instead; a prompt's
people row counts it as addressed by ``changes()`` of its ``INSERT OR IGNORE`` into
``analytics_prompts`` (the rows that statement of the trigger inserted: 1 for a prompt's first
time, 0 for a prompt asked again).
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.analytics.sql_parts import NOT_SENT, conversation_of, question
from bot.analytics.sql_waits import ANSWER_MS

#: A name kept as the participation view takes it: the greatest (``max``) of those seen.
_GREATEST = "{col} = coalesce(max({col}, excluded.{col}), {col}, excluded.{col})"

_PEOPLE_ADD = """INSERT INTO analytics_people (person, day, flow_id, name, {col})
    SELECT {person}, day, flow_id, {name}, {value} FROM analytics_runs WHERE run_id = {run} AND true
    ON CONFLICT DO UPDATE SET {col} = {col} + excluded.{col},
        name = coalesce(max(name, excluded.name), name, excluded.name);"""

ACTION_FACTS = """new.status, julianday(new.due) + 1.5, julianday(new.done_at),
    CASE WHEN new.status = 'done' AND julianday(new.done_at) >= julianday(new.due) + 1.5
         THEN CAST(julianday(substr(new.done_at, 1, 10)) - julianday(new.due) AS INTEGER) END"""

#: Whether the person a prompt goes to has already answered that step of that run.
_ANSWERED = """EXISTS (SELECT 1 FROM answers a WHERE a.run_id = new.run_id AND a.step = new.step
    AND a.actor_id = new.actor_id)"""

#: The person's first answer to the step a prompt asks, at or after it (its answer time's end). A
#: scalar subquery of ``new`` only: run once, where a subquery in FROM fills a temporary table.
_FIRST_ANSWER = """(SELECT min(a.at) FROM answers a WHERE a.run_id = new.run_id AND a.step = new.step
    AND a.actor_id = new.actor_id AND a.at >= new.created_at)"""

#: The prompt an answer answers: its person, run and step (``analytics_prompts``' key).
_PROMPT = "person = new.actor_id AND run_id = new.run_id AND step = new.step"
#: Whether an answer is that prompt's first at or after its first time (its answer time).
_ANSWERS_NOW = "answered_at IS NULL AND asked_at <= new.at"

RUN_MS = "CAST(round((julianday({at}) - julianday(triggered_at)) * 86400000.0) AS INTEGER)"

TRIGGERS = [
    f"""CREATE TRIGGER analytics_runs_ai AFTER INSERT ON runs BEGIN
        INSERT OR IGNORE INTO analytics_runs (run_id, flow_id, day, triggered_at, event_id, source, channel,
            facilitator_id, status, state, kind, conversation)
        SELECT new.id, new.flow_id, substr(coalesce(e.first_seen_at, new.started_at), 1, 10),
               coalesce(e.first_seen_at, new.started_at), new.event_id, coalesce(e.source, ''), new.channel,
               new.facilitator_id, new.status, new.state, coalesce(e.kind, ''), {conversation_of("new.conversation")}
        FROM (SELECT 1) LEFT JOIN events e ON e.id = new.event_id;
        {_PEOPLE_ADD.format(col="facilitated", person="new.facilitator_id", name="NULL", value="1", run="new.id")}
        UPDATE analytics_events SET runs = runs + 1 WHERE event_id = new.event_id;
    END""",
    """CREATE TRIGGER analytics_runs_au AFTER UPDATE OF state, status ON runs
    WHEN old.state IS NOT new.state OR old.status IS NOT new.status BEGIN
        UPDATE analytics_runs SET status = new.status, state = new.state WHERE run_id = new.id;
    END""",
    f"""CREATE TRIGGER analytics_runs_moved AFTER UPDATE OF conversation ON runs
    WHEN {conversation_of("old.conversation")} IS NOT {conversation_of("new.conversation")} BEGIN
        UPDATE analytics_runs SET conversation = {conversation_of("new.conversation")} WHERE run_id = new.id;
    END""",
    f"""CREATE TRIGGER analytics_actions_ai AFTER INSERT ON actions BEGIN
        INSERT INTO analytics_actions (action_id, owner_id, owner_name, flow_id, day, status, deadline_jd, done_jd,
            days_late)
        SELECT new.id, new.owner_id, new.owner_name, f.flow_id, f.day, {ACTION_FACTS}
        FROM decisions d JOIN analytics_runs f ON f.run_id = d.run_id WHERE d.id = new.decision_id;
    END""",
    f"""CREATE TRIGGER analytics_actions_au AFTER UPDATE OF owner_id, owner_name, due, status, done_at ON actions BEGIN
        UPDATE analytics_actions SET owner_id = new.owner_id, owner_name = new.owner_name,
            (status, deadline_jd, done_jd, days_late) = (SELECT {ACTION_FACTS})
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
        UPDATE analytics_runs SET decided_at = new.decided_at, decided_ms = {RUN_MS.format(at="new.decided_at")}
        WHERE run_id = new.run_id AND (decided_at IS NULL OR new.decided_at < decided_at);
    END""",
    """CREATE TRIGGER analytics_transitions_ai AFTER INSERT ON transitions BEGIN
        UPDATE analytics_runs SET last_source = new.source,
            reached = CASE WHEN new.target IN ('completed', 'cancelled') OR instr(reached, ' ' || new.target || ' ')
                           THEN reached ELSE reached || new.target || ' ' END
        WHERE run_id = new.run_id;
    END""",
    f"""CREATE TRIGGER analytics_answers_ai AFTER INSERT ON answers BEGIN
        UPDATE analytics_runs SET first_answer_at = new.at, first_answer_ms = {RUN_MS.format(at="new.at")}
        WHERE run_id = new.run_id AND (first_answer_at IS NULL OR new.at < first_answer_at);
        INSERT INTO analytics_revisions (flow_id, step, field, day, slots, revised_slots, revisions)
            SELECT flow_id, new.step, coalesce(new.field, ''), day, new.revision = 1, new.revision = 2,
                   new.revision > 1
            FROM analytics_runs WHERE run_id = new.run_id AND true
            ON CONFLICT DO UPDATE SET slots = slots + excluded.slots,
                revised_slots = revised_slots + excluded.revised_slots, revisions = revisions + excluded.revisions;
        INSERT INTO analytics_people (person, day, flow_id, answers, answered)
            SELECT new.actor_id, day, flow_id, 1, EXISTS (SELECT 1 FROM analytics_prompts WHERE {_PROMPT} AND answered = 0)
            FROM analytics_runs WHERE run_id = new.run_id AND true
            ON CONFLICT DO UPDATE SET answers = answers + 1, answered = answered + excluded.answered;
        UPDATE analytics_prompts SET answered = 1,
            answered_at = CASE WHEN {_ANSWERS_NOW} THEN new.at ELSE answered_at END,
            answer_ms = CASE WHEN {_ANSWERS_NOW} THEN {ANSWER_MS.format(at="new.at", asked="asked_at")} ELSE answer_ms END
        WHERE {_PROMPT} AND (answered = 0 OR {_ANSWERS_NOW});
    END""",
    f"""CREATE TRIGGER analytics_messages_ai AFTER INSERT ON messages
    WHEN new.run_id IS NOT NULL AND new.actor_id IS NOT NULL AND (new.direction = 'in' AND new.kind NOT IN {NOT_SENT}
        OR {question("new")}) BEGIN
        INSERT INTO analytics_people (person, day, flow_id, name, inbound)
            SELECT new.actor_id, day, flow_id, new.actor_name, 1 FROM analytics_runs
            WHERE run_id = new.run_id AND new.direction = 'in'
            ON CONFLICT DO UPDATE SET inbound = inbound + 1, {_GREATEST.format(col="name")};
        INSERT OR IGNORE INTO analytics_prompts (person, run_id, step, answered, asked_at, answered_at, answer_ms,
            flow_id, day)
            SELECT new.actor_id, new.run_id, coalesce(new.step, ''), {_ANSWERED}, new.created_at, {_FIRST_ANSWER},
                   {ANSWER_MS.format(at=_FIRST_ANSWER, asked="new.created_at")}, flow_id, day
            FROM analytics_runs WHERE run_id = new.run_id AND new.direction = 'out';
        INSERT INTO analytics_people (person, day, flow_id, prompt_name, addressed, answered)
            SELECT new.actor_id, day, flow_id, new.actor_name, changes(), changes() AND (SELECT answered
                FROM analytics_prompts WHERE person = new.actor_id AND run_id = new.run_id AND step = coalesce(new.step, ''))
            FROM analytics_runs WHERE run_id = new.run_id AND new.direction = 'out'
            ON CONFLICT DO UPDATE SET addressed = addressed + excluded.addressed,
                answered = answered + excluded.answered, {_GREATEST.format(col="prompt_name")};
    END""",
]


#: Triggers of earlier versions merged into others (schema.m014): ``analytics_messages_in`` and
#: ``analytics_messages_prompt`` into ``analytics_messages_ai``, ``analytics_prompts_au`` into
#: ``analytics_answers_ai``.
RETIRED = ("analytics_messages_in", "analytics_messages_prompt", "analytics_prompts_au")


def recreate_trigger(db: Database, name: str) -> None:
    """Trigger ``name`` as :data:`TRIGGERS` has it now, in place of the one a ledger has (dropped
    if :data:`RETIRED`: a later migration makes the one that took its place)."""
    db.execute(f"DROP TRIGGER IF EXISTS {name}")
    for trigger in TRIGGERS:
        if trigger.split()[2] == name:
            db.execute(trigger)
