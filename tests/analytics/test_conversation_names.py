"""Conversations named for analysts (``conversation_names``, bot/store/names.py): the views that show
a run's ``conversation`` (``run_latency``, ``latency_summary``) and the report give its name as its
platform last gave it, NULL when it never did; a ledger an older version made gets the table and the
views when opened. And an owner absent from ``people`` is named alike by the report and
``follow_through_by_owner`` (one SQL part: their name over all their actions)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.analytics import report
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES, VIEWS, as_view
from bot.errors import BotError
from bot.store import names, open_db
from tests.analytics.history import build
from tests.analytics.test_views_and_summaries import assert_views_match_report

AS_OF = Params(as_of=datetime(2026, 3, 31, tzinfo=UTC))


def _named(path: Path) -> None:
    db = open_db(path)
    now = datetime(2026, 3, 30, tzinfo=UTC)
    names.learnt(db, "slack", [("C1", "ops"), ("C2", "launch-war-room")], now)
    names.learnt(db, "teams", [("C3", "Platform / Incidents")], now)
    db.conn.close()


def test_the_views_and_the_report_name_conversations(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    build(path).conn.close()
    _named(path)
    conn = open_db(path).conn
    want = {"slack:C1": "ops", "slack:C2": "launch-war-room", "teams:C3": "Platform / Incidents"}
    for sql in (VIEWS["run_latency"], MEASURES["run_latency"]):  # the view from the summaries, and its definition
        got = dict(conn.execute(f"SELECT conversation, conversation_name FROM ({as_view(sql)})"))
        assert {k: v for k, v in got.items() if v is not None} == want
        assert got["console:C5"] is None  # never named: NULL, not its id
    for sql in (VIEWS["latency_summary"], MEASURES["latency_summary"]):
        rows = conn.execute(f"SELECT dimension, key, conversation_name FROM ({as_view(sql)})").fetchall()
        assert {k: n for d, k, n in rows if d == "conversation" and n is not None} == want
        assert all(n is None for d, _, n in rows if d != "conversation")
    rep = report.build(conn, AS_OF)
    by_key = {(r["dimension"], r["key"]): r["conversation_name"] for r in rep["latency"]}
    assert by_key[("conversation", "slack:C2")] == "launch-war-room" and by_key[("flow", "post_meeting")] is None
    conn.close()
    assert assert_views_match_report(path) > 300


def test_a_name_given_again_is_not_written_again_and_a_new_one_is(tmp_path: Path) -> None:
    db = open_db(tmp_path / "n.db")
    day = datetime(2026, 3, 30, tzinfo=UTC)
    assert names.learnt(db, "slack", [("C1", "ops")], day) == 1
    assert names.learnt(db, "slack", [("C1", "ops"), ("C9", "")], day.replace(day=31)) == 0  # no empty names
    assert db.conn.execute("SELECT seen_at FROM conversation_names").fetchall() == [("2026-03-30T00:00:00.000Z",)]
    assert names.learnt(db, "slack", [("C1", "ops-renamed")], day.replace(day=31)) == 1
    assert names.name_of(db.conn, "slack:C1") == "ops-renamed"


def test_an_older_ledger_gets_the_names_and_the_views(old_ledger: Path) -> None:
    conn = open_db(old_ledger).conn
    assert conn.execute("SELECT count(*) FROM conversation_names").fetchone() == (0,)
    for view in ("run_latency", "latency_summary"):
        [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,))
        assert sql == f"CREATE VIEW {view} AS {as_view(VIEWS[view])}", view
        columns = [d[0] for d in conn.execute(f"SELECT * FROM {view} LIMIT 0").description]
        assert "conversation_name" in columns
    conn.close()


def test_an_owner_people_do_not_know_is_named_alike_by_the_report_and_the_view(tmp_path: Path) -> None:
    """bob owns actions of two flows, named "U0BOB" in one (Slack slow: his id) and "bob" in the
    other; nobody in ``people``. The report named him from his first flow's actions, the view from
    all of them."""
    path = tmp_path / "h.db"
    build(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE actions SET owner_name = 'U0BOB' WHERE id = 8")  # A8: metric_breach, the first flow
    conn.close()
    conn = open_db(path).conn
    view = dict(conn.execute("SELECT owner_id, owner_name FROM follow_through_by_owner"))
    rep = {r["owner_id"]: r["owner_name"] for r in report.build(conn, AS_OF)["follow_through_by_owner"]}
    assert rep == view
    assert view["slack:bob"] == "bob"  # the greatest name his actions kept, as for everyone unknown
    conn.close()


def test_a_ledger_of_the_version_before_takes_the_views_of_now(tmp_path: Path) -> None:
    """One that applied every migration before these (m022's views): the names' table and views come."""
    path = tmp_path / "h.db"
    build(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'decisionbot-names'")
    conn.execute("DROP TABLE conversation_names")
    conn.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'decisionbot-analytics' AND name > 'm023'")
    for view in ("run_latency", "latency_summary", "follow_through_by_owner"):
        conn.execute(f"DROP VIEW {view}")
        conn.execute(f"CREATE VIEW {view} AS SELECT 1 AS stale")
    conn.close()
    conn = open_db(path).conn
    for view in ("run_latency", "latency_summary", "follow_through_by_owner"):
        [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,))
        assert sql == f"CREATE VIEW {view} AS {as_view(VIEWS[view])}", view
    assert conn.execute("SELECT count(*) FROM conversation_names").fetchone() == (0,)
    conn.close()


def test_runs_list_says_where_every_run_lives_however_many(tmp_path: Path) -> None:
    """``runs list --limit`` beyond SQLite's variables per statement (32,766) still lists."""
    path = tmp_path / "h.db"
    build(path).conn.close()
    _named(path)
    conn = open_db(path).conn
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)  # SQLite's default (Debian's build: 250,000)
    found = names.places(conn, [*range(1, 8), *range(100, 40_000)])
    assert sorted(found) == list(range(1, 8))
    assert (found[1].conversation, found[1].name, found[1].moved_from) == ("slack:C1", "ops", None)
    assert (found[5].platform, found[5].name) == ("console", None)
    conn.close()


def test_a_ledger_whose_names_are_not_migrated_is_refused_naming_that_migration(tmp_path: Path) -> None:
    """The analytics views read ``conversation_names``: a ledger without its migration is refused
    by the analysts' commands with every migration still to apply named, that one too."""
    path = tmp_path / "n.db"
    open_db(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'decisionbot-names'")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm024_owners_named_alike'")
    conn.close()
    with pytest.raises(BotError, match=r"\(2 migration\(s\) to apply"):
        report.connect(path)
