"""One definition of a person's name (``sql_parts.person_name``: the name ``people`` has, else the
names the ledger kept, else their id without its platform), used by every view, the report, the
transcripts' search and Datasette's canned search. Before, the lookup was written out six times
(four in SQL, two in Python), each with its own fallbacks. The figures are the same; a ledger an
older version made takes the views of now when opened."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.analytics import explore, report, search
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES, VIEWS, as_view
from bot.analytics.sql_parts import person_name
from bot.store import open_db
from tests.analytics.history import build, renamed
from tests.analytics.test_views_and_summaries import assert_views_match_report

ANALYTICS = Path(__file__).resolve().parents[2] / "bot" / "analytics"
NAMED_VIEWS = ("action_status", "follow_through_by_owner", "participation", "answer_sources")


def test_the_people_table_is_read_for_names_in_one_place() -> None:
    lookups = {
        path.name: len(re.findall(r"FROM people\b", path.read_text()))
        for path in ANALYTICS.glob("*.py")
        if not path.name.startswith("demo")  # the demo writes people; it names nobody
    }
    assert {name: n for name, n in lookups.items() if n} == {"sql_parts.py": 1}


def _named_by_people(conn: sqlite3.Connection) -> None:
    """Slack names dan and bob: every place names them so, whatever the messages kept."""
    conn.executemany(
        "INSERT INTO people (id, name, tz, fetched_at) VALUES (?, ?, 'UTC', '2026-03-30T00:00:00Z')",
        [("slack:dan", "Daniel"), ("slack:bob", "Robert")],
    )


def test_every_view_the_report_and_the_searches_name_a_person_alike(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    db = build(path)
    renamed(path)
    _named_by_people(db.conn)
    conn = db.conn
    for view in NAMED_VIEWS:  # the view, from the summaries or not, gives its definition's names
        column = {"action_status": "owner", "follow_through_by_owner": "owner", "answer_sources": "actor"}
        who = column.get(view, "")
        cols = f"{who}_id, {who}_name" if who else "person, name"
        got = sorted(conn.execute(f"SELECT DISTINCT {cols} FROM {view}").fetchall(), key=repr)
        want = sorted(conn.execute(f"SELECT DISTINCT {cols} FROM ({as_view(MEASURES[view])})").fetchall(), key=repr)
        assert got == want, view
        names = dict(got)
        assert names.get("slack:dan", "Daniel") == "Daniel" and names.get("slack:bob", "Robert") == "Robert", view
    rep = report.build(conn, Params(as_of=datetime(2026, 3, 31, tzinfo=UTC)))
    participation = {r["person"]: r["name"] for r in rep["participation"]}
    assert participation == dict(conn.execute("SELECT person, name FROM participation"))
    assert (participation["slack:dan"], participation["slack:bob"]) == ("Daniel", "Robert")
    owners = {r["owner_id"]: r["owner_name"] for r in rep["follow_through_by_owner"]}
    assert owners == dict(conn.execute("SELECT owner_id, owner_name FROM follow_through_by_owner"))
    conn.execute("INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, kind, text,"
                 " created_at) VALUES (5, 'in', 'slack', 'slack:C', 'slack:dan', 'dan', 'answer', 'quarterly budget',"
                 " '2026-03-29T11:00:00.000Z')")  # fmt: skip
    from bot.analytics.schema import upkeep

    upkeep(db)
    [found] = search.search(conn, "quarterly budget")
    assert found["who"] == "Daniel"  # as Slack shows an old message under its writer's name of now
    conn.commit()
    conn.close()
    _, canned = explore.CANNED["search"]
    page = explore._connect(path, immutable=False)  # as Datasette's page runs it (its fts_words)
    rows = page.execute(canned, {"words": "quarterly"}).fetchall()
    page.close()
    assert [r[2] for r in rows] == ["Daniel"]
    assert assert_views_match_report(path) > 300


def test_a_ledger_an_older_version_made_takes_the_views_of_now(old_ledger: Path) -> None:
    """Its names (m021) and its runs' platform and conversation (m022: filled from ``runs``)."""
    conn = open_db(old_ledger).conn
    for view in (*NAMED_VIEWS, "run_latency", "latency_summary"):
        [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,))
        assert sql == f"CREATE VIEW {view} AS {as_view(VIEWS[view])}", view
    assert conn.execute("SELECT count(*) FROM participation").fetchone()[0] > 0
    sql = "SELECT run_id, channel, platform, conversation FROM {} ORDER BY run_id"
    kept = conn.execute(sql.format("run_latency")).fetchall()
    assert kept == conn.execute(sql.format(f"({as_view(MEASURES['run_latency'])})")).fetchall()
    assert kept and all(platform == channel and conversation.startswith(f"{platform}:") for _, channel, platform,
                        conversation in kept)  # fmt: skip
    conn.close()
    assert assert_views_match_report(old_ledger) > 50


def test_a_teams_person_is_named_as_teams_names_them_now(tmp_path: Path) -> None:
    """A Teams person is not in ``people`` (Slack's): before, every view named them by the greatest
    name they ever wrote under ("Robert Builder" after Teams renamed them "Andy Builder"). Now by
    ``teams_users``, which holds the name Teams gave with their latest activity; every view of a
    ledger opened takes that definition."""
    db = open_db(tmp_path / "t.db")
    db.conn.execute(
        "INSERT INTO teams_users (user_id, name, updated_at) VALUES ('29:1bob', 'Andy Builder', '2026-03-30T00:00:00Z')"
    )

    def named(person: str, kept: str) -> str:
        return db.conn.execute(f"SELECT {person_name(repr(person), repr(kept))}").fetchone()[0]

    assert named("teams:29:1bob", "Robert Builder") == "Andy Builder"
    assert named("teams:29:1eve", "Eve Kept") == "Eve Kept"  # never seen by the Teams channel: as kept
    assert named("slack:29:1bob", "Kept") == "Kept"  # not Teams' row
    views = dict(db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
    assert all("teams_users" in views[view] for view in NAMED_VIEWS)
