"""The analysts' part of the ledger: SQL views of the standard measures and a full-text index.

Applied after the core schema (``AREA_SETS`` in :mod:`bot.store.migrations`). The views are the
measures of :mod:`bot.analytics.sql` with their defaults (every run, as of now, 2 days of grace
for reviews, 7 idle days for drop-off); ``decisionbot report`` runs the same SQL with the values
it is given. ``messages_fts`` indexes ``messages.text`` (FTS5, Porter stemming). New messages are indexed
in batches by :func:`upkeep` (the server's housekeeping, a few times a second, and the end of
every CLI command that wrote), not inside the turn that wrote them: indexing one message in its
own transaction costs ~0.2 ms, in a batch of hundreds ~5-10 us. ``messages_fts_progress`` holds
the last message id indexed.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.analytics import sql_waits, summary, summary_upgrades
from bot.analytics.sql import MEASURES, TRANSITIONS_TARGET, VIEWS, as_view
from bot.store import transaction

migrations = Migrations("decisionbot-analytics")

FTS_TABLE = "messages_fts"
PROGRESS_TABLE = "messages_fts_progress"
#: Messages indexed per transaction by upkeep(): a few milliseconds of work.
INDEX_BATCH = 1000

#: sqlite-utils' update trigger re-indexes a message on any update; delivering a reply updates
#: ``delivered_at`` and ``attempts`` only, so the index is refreshed when the text changes.
_UPDATE_TRIGGER = """CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES('delete', old.rowid, old.text);
  INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END"""


def create_views(db: Database, views: dict[str, str]) -> None:
    """(Re)create every measure view from ``views`` (name -> SQL with parameters)."""
    for name, sql in views.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {as_view(sql)}")


@migrations()
def m001_measure_views(db: Database) -> None:
    create_views(db, MEASURES)


@migrations()
def m002_messages_fts(db: Database) -> None:
    db.table("messages").enable_fts(["text"], fts_version="FTS5", create_triggers=True, tokenize="porter")
    db.execute("DROP TRIGGER messages_au")
    db.execute(_UPDATE_TRIGGER)


@migrations()
def m003_summary_tables(db: Database) -> None:
    summary.create(db)


#: A message not indexed yet must not be deleted from the index (FTS5 external content: that
#: would corrupt it); once indexed, a change of its text or its deletion follows at once.
_INDEXED = f"old.id <= (SELECT upto FROM {PROGRESS_TABLE})"


@migrations()
def m004_index_in_batches(db: Database) -> None:
    db.execute(f"CREATE TABLE {PROGRESS_TABLE} (upto INTEGER NOT NULL)")
    db.execute(f"INSERT INTO {PROGRESS_TABLE} (upto) SELECT coalesce(max(id), 0) FROM messages")
    for name in ("messages_ai", "messages_ad", "messages_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute(f"""CREATE TRIGGER messages_ad AFTER DELETE ON messages WHEN {_INDEXED} BEGIN
  INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) VALUES('delete', old.rowid, old.text);
END""")
    db.execute(_UPDATE_TRIGGER.replace("ON messages BEGIN", f"ON messages WHEN {_INDEXED} BEGIN"))


@migrations()
def m005_claimed_runs(db: Database) -> None:
    summary_upgrades.credit_claims(db)


@migrations()
def m006_people_names(db: Database) -> None:
    summary_upgrades.keep_names(db)


@migrations()
def m007_fast_views(db: Database) -> None:
    """``run_latency``, ``latency_summary`` and ``participation`` read the summaries, not every
    answer and message."""
    create_views(db, VIEWS)


@migrations()
def m008_dropoff_from_summary(db: Database) -> None:
    """``step_dropoff`` counts ``analytics_runs``, not every transition (it grouped all of them:
    2 s on 100,000 runs); the order among steps reached by as many runs reads ``transitions_target``."""
    db.execute(TRANSITIONS_TARGET)
    create_views(db, VIEWS)


@migrations()
def m009_trigger_quality_without_handovers(db: Database) -> None:
    """``trigger_quality``'s ``(all)`` leaves out an action's handover (``give A12 @person``), as it
    leaves out reviews: no trigger of a decision."""
    create_views(db, {"trigger_quality": VIEWS["trigger_quality"]})


@migrations()
def m010_edits_are_no_messages_sent(db: Database) -> None:
    """An edit or deletion of a message is kept in the transcript as a row of its own (kind
    ``edited`` or ``deleted``, bot/channels/slack_edits.py); ``participation`` counts messages
    sent, so the trigger that counts them leaves those rows out."""
    summary.recreate_trigger(db, "analytics_messages_in")


@migrations()
def m011_participation_of_people_only(db: Database) -> None:
    """``participation`` leaves out the placeholder facilitator (``slack:facilitator``) that a
    triggered run naming none asks until someone claims it: it listed it as a person."""
    create_views(db, {"participation": VIEWS["participation"]})


@migrations()
def m012_latency_by_trigger_kind(db: Database) -> None:
    """``run_latency`` names each run's trigger kind (``events.kind``: manual, alert, metric,
    review, handover, ...) and ``latency_summary`` groups by it: sources alone mixed a Slack
    meeting with a ``give A12`` handover, and a generic hook's kinds. ``analytics_runs`` keeps it
    (filled from ``events`` here), in the latency measure's covering index."""
    summary_upgrades.keep_kinds(db)
    create_views(db, {"run_latency": VIEWS["run_latency"], "latency_summary": VIEWS["latency_summary"]})


@migrations()
def m013_answer_times_and_stall_waits(db: Database) -> None:
    """How long each person takes to answer a question put to them (``answer_times``, by person and
    by step: ``analytics_prompts`` keeps each prompt's first time and its answer's, counted from the
    ledger here) and how long a run waited before it stalled (``run_stalls``, ``stall_waits``: the
    stalls in an index of their own)."""
    summary_upgrades.keep_answer_times(db)
    db.execute(sql_waits.TRANSITIONS_STALLS)
    create_views(db, {name: VIEWS[name] for name in sql_waits.MEASURES})


@migrations()
def m014_lighter_summary_triggers(db: Database) -> None:
    """The summaries' triggers do less in a turn, the figures unchanged: a message inserted runs one
    trigger (``analytics_messages_ai``), not two, and fills no temporary table (a prompt's were
    subqueries in FROM); an answer credits its prompt's person in its own trigger
    (``analytics_answers_ai``), not in one fired by its update of ``analytics_prompts``."""
    summary_upgrades.merge_triggers(db)


@migrations()
def m015_stall_waits_past_a_channel_lost(db: Database) -> None:
    """A run's wait before a stall counts from its last answer or move, not from the Slack
    channel it lost or got back meanwhile (``channel_lost``: the bot removed, the channel archived;
    ``channel_back``), which moved nothing."""
    create_views(db, {name: VIEWS[name] for name in sql_waits.MEASURES})


@migrations()
def m016_stall_waits_past_a_thread_moved(db: Database) -> None:
    """Nor from a run's Slack thread deleted and the run moved to a new one (``thread_moved``), or
    a question's message deleted and the question asked again (``asked_again``): they moved nothing."""
    create_views(db, {name: VIEWS[name] for name in sql_waits.MEASURES})


@migrations()
def m017_prompts_are_questions(db: Database) -> None:
    """A prompt counts as a question put to its person (``participation``'s prompts addressed,
    ``answer_times``) only when it expects an answer: not the bot's "Cancel this decision run?
    (yes/no)" to a facilitator who typed ``cancel`` at a step asked of someone else, which counted
    them as asked there and never answering."""
    summary_upgrades.questions_only(db)


@migrations()
def m018_participation_names_slack_gave(db: Database) -> None:
    """``participation`` names each person as ``people`` does (Slack's name for them), not by the
    greatest name seen: one seen while Slack was slow was their user id (``UT``), greater than
    their name (``Taro``), and stayed."""
    create_views(db, {"participation": VIEWS["participation"]})


@migrations()
def m019_answer_sources(db: Database) -> None:
    """``answer_sources``: each answer with the inbound message that gave it (``answers.message_id``,
    the core set's m011) and the surface it came through."""
    create_views(db, {"answer_sources": VIEWS["answer_sources"]})


@migrations()
def m020_owners_named_as_slack_names_them(db: Database) -> None:
    """``action_status`` and the follow-through views name an action's owner as ``people`` does, not
    by the name recorded with the action: one named while Slack was slow was their user id."""
    names = ("action_status", "follow_through_by_owner", "follow_through_by_flow")
    create_views(db, {name: VIEWS[name] for name in names})


@migrations()
def m021_one_name_per_person(db: Database) -> None:
    """Every view names a person by one definition (:func:`bot.analytics.sql_parts.person_name`: the
    name ``people`` has, else the names the ledger kept, else their id without its platform), as
    the report and the transcripts' search do; ``participation`` is the report's SQL. The same rows."""
    names = ("action_status", "follow_through_by_owner", "follow_through_by_flow", "participation", "answer_sources")
    create_views(db, {name: VIEWS[name] for name in names})


@migrations()
def m022_latency_by_platform_and_conversation(db: Database) -> None:
    """``run_latency`` and ``latency_summary`` name each run's ``platform`` (slack, teams, console,
    rasa: what their ``channel`` holds, kept for the queries written before) and its ``conversation``
    (where it lives now, without the thread: ``slack:C0OPS``; a moved run, its new channel), kept in
    ``analytics_runs`` (filled from ``runs`` here)."""
    summary_upgrades.keep_conversations(db)
    create_views(db, {"run_latency": VIEWS["run_latency"], "latency_summary": VIEWS["latency_summary"]})


@migrations()
def m023_conversations_named(db: Database) -> None:
    """``run_latency`` and ``latency_summary`` name each conversation (``conversation_name``: as its
    platform last gave it, kept in ``conversation_names`` by :mod:`bot.store.names`; NULL when it
    never did), and ``run_latency``'s definition reads the run's conversation from the scope of runs,
    not from ``runs`` joined a second time."""
    create_views(db, {"run_latency": VIEWS["run_latency"], "latency_summary": VIEWS["latency_summary"]})


@migrations()
def m024_owners_named_alike(db: Database) -> None:
    """``follow_through_by_owner`` names an owner ``people`` does not know by the greatest name their
    actions recorded, as the report does (:func:`bot.analytics.sql.owners_name`): it took the
    greatest of each action's name or id, the report its first flow's."""
    create_views(db, {"follow_through_by_owner": VIEWS["follow_through_by_owner"]})


@migrations()
def m025_stall_waits_past_a_lead_who_left(db: Database) -> None:
    """Nor from a run's facilitator found gone (``lead_left``, as a reminder chased it) and the run
    taken over by the route's backup (``take``): they moved nothing, and nobody answered."""
    create_views(db, {name: VIEWS[name] for name in sql_waits.MEASURES})


@migrations()
def m026_teams_people_named_now(db: Database) -> None:
    """Every view names a Teams person by the name Teams gave with their latest activity
    (``teams_users``), as ``people`` names a Slack person: it took the greatest name they ever wrote
    under (:func:`bot.analytics.sql_parts.person_name`)."""
    create_views(db, VIEWS)


def unindexed(conn: sqlite3.Connection) -> int:
    """How many messages the full-text index has not taken in yet (0 on a ledger from before
    indexing in batches, whose triggers index every message as it is written)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (PROGRESS_TABLE,)).fetchone():
        return 0
    row = conn.execute(f"SELECT count(*) FROM messages WHERE id > (SELECT upto FROM {PROGRESS_TABLE})").fetchone()
    return int(row[0])


def upkeep_due(db: Database) -> bool:
    """Whether messages wait for the full-text index (read without the write lock)."""
    (upto,) = db.conn.execute(f"SELECT upto FROM {PROGRESS_TABLE}").fetchone()
    (last,) = db.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()
    return bool(last > upto)


def upkeep(db: Database, batch: int = INDEX_BATCH) -> int:
    """Index the messages written since the last call, ``batch`` at most; returns how many."""
    conn = db.conn
    if not upkeep_due(db):
        return 0
    with transaction(db):
        (upto,) = conn.execute(f"SELECT upto FROM {PROGRESS_TABLE}").fetchone()  # under the lock
        rows = conn.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, text) SELECT id, text FROM messages WHERE id > ?"
            " ORDER BY id LIMIT ? RETURNING rowid",
            (upto, batch),
        ).fetchall()
        if rows:
            conn.execute(f"UPDATE {PROGRESS_TABLE} SET upto = ?", (max(r[0] for r in rows),))
    return len(rows)
