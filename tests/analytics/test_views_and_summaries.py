"""The two ways of computing the measures agree: the views (SQL over the raw tables, the written
definitions) and the report (the summary tables kept by triggers). And the summaries a migration
back-fills from an existing ledger equal those the triggers kept."""

from __future__ import annotations

import math
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.analytics import report, summary
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES
from bot.store import open_db, open_readonly
from tests.analytics.history import before_fast_views, build, renamed

ROOT = Path(__file__).resolve().parents[2]

SECTIONS = {  # report section -> (view, key columns)
    "latency": ("latency_summary", ("dimension", "key")),
    "follow_through_by_owner": ("follow_through_by_owner", ("owner_id",)),
    "follow_through_by_flow": ("follow_through_by_flow", ("flow_id",)),
    "review_adherence": ("review_adherence", ("flow_id",)),
    "dropoff": ("step_dropoff", ("flow_id", "step")),
    "revisions": ("answer_revisions", ("flow_id", "step", "field")),
    "participation": ("participation", ("person",)),
    "answer_time_by_person": ("answer_time_by_person", ("person",)),
    "answer_time_by_step": ("answer_time_by_step", ("flow_id", "step")),
    "stall_waits": ("stall_waits", ("flow_id", "step")),
    "trigger_quality": ("trigger_quality", ("source", "kind")),
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def assert_views_match_report(path: Path) -> int:
    """Compare every shared column of every section; return how many values were compared."""
    db = open_readonly(path)
    rep = report.build(db.conn, Params(as_of=datetime.now(UTC)))
    compared = 0
    for section, (view, keys) in SECTIONS.items():
        cur = db.conn.execute(f"SELECT * FROM {view}")
        names = [d[0] for d in cur.description]
        from_view = {tuple(r[names.index(k)] for k in keys): dict(zip(names, r, strict=True)) for r in cur}
        from_report = {tuple(r[k] for k in keys): r for r in rep[section]}
        assert set(from_view) == set(from_report), section
        for key, row in from_report.items():
            for column, value in row.items():
                if column in from_view[key]:
                    assert _same(from_view[key][column], value), (section, key, column)
                    compared += 1
    db.conn.close()
    return compared


def test_views_and_report_agree_on_the_hand_built_history(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    build(path).conn.close()
    renamed(path)  # the names of people who changed theirs, too
    assert assert_views_match_report(path) > 300


def _previous_version(tmp_path: Path, then: Callable[[Path], object] | None = None) -> tuple[Path, object]:
    """A copy of a built ledger (``then`` done to it first) to be taken back to an earlier version,
    and the snapshot its migration must give again."""
    kept = tmp_path / "kept.db"
    build(kept).conn.close()
    if then is not None:
        then(kept)
    before = sqlite3.connect(kept)
    expected = _snapshot(before)
    before.close()
    old = tmp_path / "old.db"
    shutil.copy(kept, old)
    return old, expected


def test_names_kept_before_the_fix_are_those_of_the_view_after_its_migration(tmp_path: Path) -> None:
    """A ledger of the previous version kept the latest name, of inbound messages and prompts alike."""
    old, expected = _previous_version(tmp_path, renamed)
    conn = sqlite3.connect(old, isolation_level=None)
    before_fast_views(conn)
    conn.execute("DROP TRIGGER analytics_messages_ai")
    conn.execute("ALTER TABLE analytics_people DROP COLUMN prompt_name")
    conn.execute("UPDATE analytics_people SET name = 'latest' WHERE name IS NOT NULL")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_people_names'")
    conn.close()
    migrated = open_db(old)  # applies m006: the column, the names, the triggers (and m007)
    assert _snapshot(migrated.conn) == expected
    assert {t.name for t in migrated.triggers if t.name.startswith("analytics_")} >= {
        stmt.split()[2] for stmt in summary.TRIGGERS
    }
    migrated.conn.close()
    renamed(old)  # written after the migration: kept by its triggers
    assert assert_views_match_report(old) > 300


def test_kinds_of_a_ledger_made_before_latency_by_kind_are_filled_by_its_migration(tmp_path: Path) -> None:
    """A ledger of the previous version has no ``analytics_runs.kind``; m012 fills it from the
    events, the runs written after it get theirs from the trigger, and report and views agree."""
    old, expected = _previous_version(tmp_path)
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute("DROP VIEW latency_summary")  # m012 makes both again, reading the new column
    conn.execute("DROP VIEW run_latency")
    conn.execute("DROP INDEX analytics_runs_latency")
    conn.execute("DROP TRIGGER analytics_runs_ai")  # the earlier one wrote no kind: any trigger made before
    conn.execute("DROP TRIGGER analytics_runs_moved")  # nor a conversation (m022, later)
    conn.execute("DROP INDEX analytics_runs_conversations")
    conn.execute("ALTER TABLE analytics_runs DROP COLUMN kind")
    conn.execute("ALTER TABLE analytics_runs DROP COLUMN conversation")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m012_latency_by_trigger_kind',"
                 " 'm022_latency_by_platform_and_conversation')")  # fmt: skip
    conn.close()
    migrated = open_db(old)
    assert _snapshot(migrated.conn) == expected
    assert dict(migrated.conn.execute("SELECT run_id, kind FROM analytics_runs WHERE run_id IN (3, 7)")) == {
        3: "alert",
        7: "review",
    }
    migrated.conn.execute(
        "INSERT INTO runs (id, flow_id, flow_version, event_id, channel, conversation, facilitator_id, state, status,"
        " context, started_at, updated_at) VALUES (8, 'metric_breach', 'v1', 7, 'slack', 'slack:C8', 'slack:alice',"
        " 'acknowledge', 'active', '{}', '2026-03-20T10:00:00.000Z', '2026-03-20T10:00:00.000Z')"
    )
    migrated.conn.commit()
    assert migrated.conn.execute("SELECT kind FROM analytics_runs WHERE run_id = 8").fetchone() == ("alert",)
    migrated.conn.close()
    assert assert_views_match_report(old) > 300


def test_every_measure_has_a_view(tmp_path: Path) -> None:
    db = open_db(tmp_path / "v.db")
    assert set(MEASURES) <= set(db.view_names())
    for name in MEASURES:
        assert db.execute(f"SELECT * FROM {name}").fetchall() == []


def _snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'analytics_%'")
    ]
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def test_backfill_on_an_existing_ledger_equals_what_triggers_kept(tmp_path: Path) -> None:
    kept = tmp_path / "kept.db"
    build(kept).conn.close()
    before = sqlite3.connect(kept)
    expected = _snapshot(before)
    before.close()
    assert len(expected) == 7 and all(expected.values())
    old = tmp_path / "old.db"
    shutil.copy(kept, old)
    conn = sqlite3.connect(old, isolation_level=None)
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_%'"
    ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    for table in expected:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_summary_tables'")
    conn.close()
    migrated = open_db(old)  # applies m003 again: tables, back-fill, triggers
    assert _snapshot(migrated.conn) == expected
    assert {t.name for t in migrated.triggers if t.name.startswith("analytics_")} == {
        stmt.split()[2] for stmt in summary.TRIGGERS
    }


def _claimed_run(path: Path) -> None:
    """An alert starts a run nobody facilitates; alice, speaking first, takes the role."""
    from zoneinfo import ZoneInfo

    from bot.admission import Admission
    from bot.dispatch import Dispatcher
    from bot.flow_catalog import FlowCatalog
    from bot.model import Actor, ConversationKey, Message, Trigger

    db = open_db(path)
    bot = Dispatcher(db, FlowCatalog(ROOT / "flows", db), ZoneInfo("UTC"))
    room = ConversationKey("console", "room")
    trigger = Trigger(flow="metric_breach", source="alertmanager", kind="alert", title="Disk full", conversation=room)
    assert bot.admit([Admission(trigger)])[0].outcome == "started"
    assert bot.handle(Message(room, Actor("console:alice", "alice"), "me")) is not None
    db.conn.close()


def test_the_claimer_of_a_triggered_run_is_credited_as_its_facilitator(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    build(path).conn.close()
    _claimed_run(path)
    assert assert_views_match_report(path) > 300
    rep = report.build(open_readonly(path).conn, Params(as_of=datetime.now(UTC)))
    assert {r["person"]: r["runs_facilitated"] for r in rep["participation"]}["console:alice"] == 1


def test_runs_claimed_before_the_fix_are_credited_by_its_migration(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    build(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)  # a ledger of the previous version
    conn.execute("DROP TRIGGER analytics_runs_claimed")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_claimed_runs'")
    conn.close()
    _claimed_run(path)  # opening it applies m005 first: drop the trigger again to claim the old way
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER analytics_runs_claimed")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_claimed_runs'")
    conn.execute("UPDATE runs SET facilitator_id = 'console:bob' WHERE facilitator_id = 'console:alice'")
    conn.close()
    open_db(path).conn.close()  # applies m005: the summary credits bob, as the views do
    assert assert_views_match_report(path) > 300
