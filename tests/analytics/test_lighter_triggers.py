"""The summaries' triggers merged (schema.m014): the same figures, kept with less work a turn.

An old ledger (``old_ledger``: tests/test_ledger_upgrade.py) upgraded, then written to through the
command line, keeps what a back-fill from its raw tables counts; a fresh ledger runs one analytics
trigger for a message it inserts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from bot.analytics import summary, summary_triggers
from bot.cli import main
from bot.store import open_db
from tests.analytics.history import build, renamed
from tests.analytics.test_views_and_summaries import _snapshot, assert_views_match_report

ROOT = Path(__file__).resolve().parents[2]


def _chat(db: Path, *args: str, answers: str | None = None) -> None:
    result = CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args], input=answers)
    assert result.exit_code == 0, result.output


def _analytics_triggers(conn: sqlite3.Connection) -> set[str]:
    found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_%'")
    return {name for (name,) in found}


def _backfilled(path: Path, tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The summaries of a copy of ``path`` counted again from its raw tables (m003 applied anew)."""
    copy = tmp_path / "backfilled.db"
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    conn = sqlite3.connect(copy, isolation_level=None)
    for name in _analytics_triggers(conn):
        conn.execute(f"DROP TRIGGER {name}")
    tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'analytics_%'").fetchall()
    for (table,) in tables:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_summary_tables'")
    conn.close()
    db = open_db(copy)
    counted = _snapshot(db.conn)
    db.conn.close()
    return counted


def test_an_old_ledger_upgraded_keeps_the_figures_its_raw_tables_give(old_ledger: Path, tmp_path: Path) -> None:
    # run 1, half answered before the upgrade: the rest answered, one answer corrected, re-asked
    _chat(old_ledger, "chat", "--run", "1", answers="@bob\nnext friday\nback\nin 2 weeks\ndone\n/as bob\n"
          "yes\n/as alice\nok\n")  # fmt: skip
    _chat(old_ledger, "trigger", "post_meeting", "--channel", "console", "-f", "dave")
    conn = sqlite3.connect(old_ledger)
    assert _analytics_triggers(conn) == {stmt.split()[2] for stmt in summary.TRIGGERS} | {"analytics_runs_claimed"}
    assert not _analytics_triggers(conn) & set(summary_triggers.RETIRED)
    kept = _snapshot(conn)
    conn.close()
    assert kept["analytics_prompts"] and kept["analytics_people"]
    assert kept == _backfilled(old_ledger, tmp_path)
    assert assert_views_match_report(old_ledger) > 50


def test_a_message_or_an_answer_runs_one_analytics_trigger(tmp_path: Path) -> None:
    """Each trigger program run costs its frame, its WHEN false or not: one per table written."""
    conn = open_db(tmp_path / "t.db").conn
    found = conn.execute(
        "SELECT tbl_name, group_concat(name) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_%'"
        " AND tbl_name IN ('messages', 'answers', 'analytics_prompts') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert found == [("answers", "analytics_answers_ai"), ("messages", "analytics_messages_ai")]
    conn.close()


def test_a_prompt_and_a_message_from_its_person_count_once_each(tmp_path: Path) -> None:
    _chat(tmp_path / "t.db", "trigger", "post_meeting", "--channel", "console", "-f", "alice")
    conn = open_db(tmp_path / "t.db").conn
    conn.execute("DELETE FROM analytics_people")  # alice's, as facilitator
    for direction, kind in (("out", "prompt"), ("in", "answer"), ("out", "prompt"), ("in", "edited")):
        conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind, text,"
            " expects, created_at) VALUES (1, ?, 'console', 'console:room', 'console:bob', 'Bob', 'decision', ?, 'x',"
            " ?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
            (direction, kind, '{"type": "text"}' if kind == "prompt" else None),  # a question expects an answer
        )
    people = conn.execute("SELECT person, inbound, addressed, answered, prompt_name, name FROM analytics_people")
    assert people.fetchall() == [("console:bob", 1, 1, 0, "Bob", "Bob")]
    assert conn.execute(
        "SELECT person, step, answered FROM analytics_prompts WHERE person = 'console:bob'"
    ).fetchall() == [("console:bob", "decision", 0)]
    conn.close()


def test_no_analytics_trigger_fills_a_temporary_table(tmp_path: Path) -> None:
    """A subquery in FROM, or an INSERT reading the table it writes, goes through a temporary table
    (``OpenEphemeral``): opening one costs more than the rest of the trigger."""
    conn = open_db(tmp_path / "t.db").conn
    writes = {
        "messages": "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind,"
        " text, created_at) VALUES (1, 'out', 'c', 'c', 'a', 'A', 's', 'prompt', 'x', 'now')",
        "answers": "INSERT INTO answers (run_id, step, item, field, actor_id, value, raw, kind, revision, at)"
        " VALUES (1, 's', NULL, NULL, 'a', '1', '1', 'answer', 1, 'now')",
        "transitions": "INSERT INTO transitions (run_id, source, target, event, actor_id, at)"
        " VALUES (1, 'a', 'b', 'e', 'x', 'now')",
        "runs": "UPDATE runs SET state = 'x', status = 'y', facilitator_id = 'z' WHERE id = 1",
    }
    for table, write in writes.items():
        program, programs = "", []
        for row in conn.execute(f"EXPLAIN {write}"):
            if row[1] == "Init" and row[5]:
                program = row[5]  # "-- TRIGGER name" heads each trigger's program
                programs.append(program)
            assert not (row[1] == "OpenEphemeral" and "analytics_" in program), (table, program)
        assert [p for p in programs if "analytics_" in p], (table, programs)  # its triggers' programs were read
    conn.close()


def _answer_and_reprompt(path: Path) -> None:
    """erin answers the decision of run 6, is asked it again, answers again (a revision); dan writes."""
    conn = sqlite3.connect(path, isolation_level=None)
    for kind, at in (("prompt", "2026-03-29T11:00:00.000Z"), ("prompt", "2026-03-29T12:00:00.000Z")):
        conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind, text,"
            " created_at) VALUES (6, 'out', 'slack', 'slack:C', 'slack:erin', 'Erin', 'decision', ?, 'x', ?)",
            (kind, at),
        )
        revision = conn.execute("SELECT count(*) + 1 FROM answers WHERE run_id = 6 AND step = 'decision'").fetchone()
        conn.execute(
            "INSERT INTO answers (run_id, step, item, field, actor_id, value, raw, kind, revision, at)"
            " VALUES (6, 'decision', NULL, NULL, 'slack:erin', '\"x\"', 'x', 'answer', ?, ?)",
            (revision[0], at.replace(":00.000Z", ":30.000Z")),
        )
    conn.close()


def test_a_ledger_at_m013_upgraded_keeps_the_figures_its_raw_tables_give(tmp_path: Path) -> None:
    """The triggers of the version before m014 put back on a ledger, written to, upgraded, written to."""
    path = tmp_path / "h.db"
    build(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for name in ("analytics_answers_ai", "analytics_messages_ai"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.executescript((ROOT / "tests" / "fixtures" / "analytics-triggers-m013.sql").read_text())
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm014_lighter_summary_triggers'")
    conn.close()
    renamed(path)  # written under the triggers before m014
    migrated = open_db(path)  # applies m014
    assert not _analytics_triggers(migrated.conn) & set(summary_triggers.RETIRED)
    migrated.conn.close()
    _answer_and_reprompt(path)
    conn = sqlite3.connect(path)
    kept = _snapshot(conn)
    conn.close()
    assert kept == _backfilled(path, tmp_path)
    assert assert_views_match_report(path) > 300
