"""The summary tables (:mod:`bot.analytics.summary`) brought up to date on a ledger made before a
change of them, by the later migrations of :mod:`bot.analytics.schema`: claimed runs credited to
their claimer (m005), people's names as the participation view takes them (m006), runs' trigger
kinds (m012), prompts' answer times (m013); the triggers merged (m014); only the questions
counted as prompts (m017); runs' conversations (m022).
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.analytics import summary_triggers
from bot.analytics.sql_parts import conversation_of, question
from bot.analytics.sql_waits import PROMPT_TIMES, PROMPTS_INDEX
from bot.analytics.summary import CONVERSATIONS_INDEX, LATENCY_INDEX


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
    for name in ("analytics_answers_ai", "analytics_messages_ai"):
        summary_triggers.recreate_trigger(db, name)


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
    for trigger in summary_triggers.TRIGGERS:
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
    summary_triggers.recreate_trigger(db, "analytics_runs_ai")
    db.execute("DROP INDEX IF EXISTS analytics_runs_latency")
    db.execute(LATENCY_INDEX)


def keep_conversations(db: Database) -> None:
    """Where each run lives now (its conversation, without the thread) in ``analytics_runs``, on a
    ledger made before: the column, filled from ``runs``, the triggers that keep it (a run's start,
    its move) and the index the report reads it by."""
    if "conversation" not in db.table("analytics_runs").columns_dict:
        db.execute("ALTER TABLE analytics_runs ADD COLUMN conversation TEXT NOT NULL DEFAULT ''")
    db.execute(f"""UPDATE analytics_runs SET conversation = coalesce((SELECT {conversation_of("r.conversation")}
        FROM runs r WHERE r.id = analytics_runs.run_id), '')""")
    for name in ("analytics_runs_ai", "analytics_runs_moved"):
        summary_triggers.recreate_trigger(db, name)
    db.execute(CONVERSATIONS_INDEX.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))


def merge_triggers(db: Database) -> None:
    """The triggers of a ledger made before m014: those merged into others dropped, the ones that
    took their place made (the summaries stay as they are: the same figures, kept with less work)."""
    for name in summary_triggers.RETIRED:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in ("analytics_answers_ai", "analytics_messages_ai"):
        summary_triggers.recreate_trigger(db, name)


def questions_only(db: Database) -> None:
    """The prompts a ledger made before counted that put no question (schema.m017: the bot's
    "Cancel this decision run?" to a facilitator who typed ``cancel``): the trigger that counts
    prompts now leaves them out, and ``analytics_prompts`` and the people's prompts addressed and
    answered are counted again from the questions there were."""
    summary_triggers.recreate_trigger(db, "analytics_messages_ai")
    db.execute(f"""DELETE FROM analytics_prompts WHERE NOT EXISTS (SELECT 1 FROM messages m
        WHERE m.run_id = analytics_prompts.run_id AND m.actor_id = analytics_prompts.person
            AND coalesce(m.step, '') = analytics_prompts.step AND {question("m")})""")
    for statement in PROMPT_TIMES:
        db.execute(statement)
    db.execute("""UPDATE analytics_people SET (addressed, answered) = (SELECT count(*), coalesce(sum(p.answered), 0)
        FROM analytics_prompts p WHERE p.person = analytics_people.person AND p.day = analytics_people.day
            AND p.flow_id = analytics_people.flow_id)""")
    db.execute(f"""UPDATE analytics_people SET prompt_name = (SELECT max(m.actor_name)
        FROM messages m JOIN analytics_runs f ON f.run_id = m.run_id
        WHERE m.actor_id = analytics_people.person AND f.day = analytics_people.day
            AND f.flow_id = analytics_people.flow_id AND {question("m")})""")
    db.execute(
        "DELETE FROM analytics_people WHERE inbound = 0 AND answers = 0 AND addressed = 0 AND answered = 0"
        " AND facilitated = 0"
    )
