"""The names an analyst reads of Slack people: while Slack is slow to answer ``users.info`` the bot
goes on with people named by their user id (their messages and prompts are kept under it), and takes
their names once Slack answers. Before, ``participation`` showed the greatest name seen, so ``UT``
(greater than ``Taro``) for good, though ``people`` had his name. Now it shows the name ``people``
has (what Slack says of them), else the greatest seen. The real server, signed requests, the fake
Web API slow to answer, then answering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.analytics import report, search
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES, as_view
from bot.store import open_db, utc_now
from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, SlackPeople, message, wait_for
from tests.test_slack_trigger_people import LABELS, NOW, alert, hook, taro_assigns_bob
from tests.test_slack_trigger_people import slack as slack  # noqa: F401 (the fixture: a hook token, UTC)


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UT": ("Taro", "Asia/Tokyo"), "UB": ("Bob", "America/New_York")}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def test_a_person_first_named_by_id_while_slack_was_slow_is_shown_by_name(
    slack: Harness, fake: FakeSlack, slack_people: SlackPeople, tmp_path: Path
) -> None:
    fake.delays["users.info"] = 5.0  # the alert's facilitator, UT, goes by his id
    await hook(slack, alert(**LABELS))
    [root] = await slack.posts(1)
    fake.delays.clear()
    await slack.event(message("UT", "hello?", channel="C0OPS", thread_ts=root["ts"]))  # kept as by "UT"
    await wait_for(lambda: slack.rows("SELECT name FROM people WHERE id = 'slack:UT'"), timeout=10)
    await taro_assigns_bob(slack, fake, root)
    assert ("UT",) in slack.rows("SELECT DISTINCT actor_name FROM messages WHERE actor_id = 'slack:UT'")

    want = {f"slack:{user}": name for user, (name, _) in slack_people.items()}
    for sql in (as_view(MEASURES["participation"]), "SELECT * FROM participation"):
        assert {r[0]: r[1] for r in slack.rows(sql)} == want, sql
    got = report.build(slack.services.db.conn, Params(as_of=utc_now()))["participation"]
    assert {r["person"]: r["name"] for r in got} == want  # decisionbot report
    conn = slack.services.db.conn
    found = await wait_for(lambda: search.search(conn, "hello"))  # decisionbot transcripts search, once indexed
    assert {(r["text"], r["who"]) for r in found if r["direction"] == "in"} == {("hello?", want["slack:UT"])}
    _a_ledger_made_before_shows_them_by_name_once_migrated(slack, tmp_path, want)


def _a_ledger_made_before_shows_them_by_name_once_migrated(slack: Harness, tmp_path: Path, want: dict) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as copy:
        slack.services.db.conn.backup(copy)
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute("DROP VIEW participation")  # the view of before, by the greatest name seen: ...
    conn.execute("CREATE VIEW participation AS SELECT person, max(name) AS name FROM analytics_people GROUP BY 1")
    assert dict(conn.execute("SELECT person, name FROM participation")) != want  # ... UT
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm018_participation_names_slack_gave'")
    conn.close()
    migrated = open_db(old).conn
    assert {r[0]: r[1] for r in migrated.execute("SELECT * FROM participation")} == want


async def test_an_owner_picked_while_slack_was_slow_is_shown_by_name(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """Taro names Bob the owner while Slack is slow to say who UB is: the action keeps ``UB`` as
    its owner's name (``actions.owner_name``, as recorded); the measures show Bob, as ``people`` has him."""
    await hook(slack, alert(**LABELS))
    [root] = await slack.posts(1)
    await wait_for(lambda: slack.rows("SELECT 1 FROM people WHERE id = 'slack:UT'"))
    fake.delays["users.info"] = 5.0
    await taro_assigns_bob(slack, fake, root)
    fake.delays.clear()
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'review_at'"))
    await slack.event(message("UT", "ok", channel="C0OPS", thread_ts=root["ts"]))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE status = 'completed'"))
    assert slack.rows("SELECT owner_id, owner_name FROM actions") == [("slack:UB", "UB")]
    await wait_for(lambda: slack.rows("SELECT name FROM people WHERE id = 'slack:UB'"), timeout=10)

    [(bob,)] = slack.rows("SELECT name FROM people WHERE id = 'slack:UB'")
    for view in ("action_status", "follow_through_by_owner"):
        for sql in (view, f"({as_view(MEASURES[view])})"):  # the view, its definition
            assert slack.rows(f"SELECT owner_id, owner_name FROM {sql}") == [("slack:UB", bob)], sql
    got = report.build(slack.services.db.conn, Params(as_of=utc_now()))["follow_through_by_owner"]
    assert [(r["owner_id"], r["owner_name"]) for r in got] == [("slack:UB", bob)]
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as copy:
        slack.services.db.conn.backup(copy)
    conn = sqlite3.connect(old, isolation_level=None)
    for view in ("action_status", "follow_through_by_owner"):  # the views of before: the names recorded
        conn.execute(f"DROP VIEW {view}")
        conn.execute(f"CREATE VIEW {view} AS SELECT owner_id, owner_name FROM actions")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm020_owners_named_as_slack_names_them'")
    conn.close()
    migrated = open_db(old).conn
    for view in ("action_status", "follow_through_by_owner"):
        assert migrated.execute(f"SELECT owner_id, owner_name FROM {view}").fetchall() == [("slack:UB", bob)]
