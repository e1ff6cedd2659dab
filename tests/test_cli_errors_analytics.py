"""The analysts' commands on a file that is not a current ledger: an older ledger is to be
migrated, another application's database is refused unchanged. Helpers in
tests/test_cli_errors.py."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.store
from bot.store import migrations, open_db
from tests.analytics.history import build
from tests.rasa_support import free_port
from tests.test_cli_errors import fingerprint, one_line_error, run

# --- 5. the report on an older ledger, or on a file that is not one ------------------------------


@pytest.mark.parametrize("command", [["report"], ["export", "analytics_people"]], ids=" ".join)
def test_analysts_commands_on_a_ledger_not_migrated_say_to_migrate(tmp_path: Path, command: list[str]) -> None:
    old = tmp_path / "old.db"
    db = open_db(old, migrate=False)
    migrations.migrations.apply(db)  # the core set only: a ledger of a version before analytics
    db.conn.close()
    before = fingerprint(old)
    line = one_line_error(run(old, *command))  # export: before, stale summary counts a migration corrects
    assert line.startswith(f"Error: The ledger {old} is not up to date: an older decisionbot made it")
    assert line.endswith(f"Try: decisionbot --db {old} db migrate")
    assert fingerprint(old) == before
    assert run(old, "db", "migrate").exit_code == 0
    assert run(old, *command).exit_code == 0


def test_analysts_commands_refuse_another_applications_database(tmp_path: Path) -> None:
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as conn:
        conn.execute("CREATE TABLE customers (id)")
        conn.execute("CREATE TABLE runs (id, name)")
    before = fingerprint(shop)
    for command in (["export", "runs"], ["report"], ["transcripts", "search", "x"], ["runs", "list"]):
        line = one_line_error(run(shop, *command))
        assert "is not a decisionbot ledger" in line and "runs)" in line, command
    assert fingerprint(shop) == before


def test_analysts_commands_on_an_empty_file_say_it_is_empty_not_older(tmp_path: Path) -> None:
    empty = tmp_path / "new.db"
    empty.touch()
    for command in (["report"], ["export", "runs"]):
        line = one_line_error(run(empty, *command))
        assert line.startswith(f"Error: The ledger {empty} is empty: nothing was ever written to it"), line
        assert "older" not in line and line.endswith(f"--db {empty} db migrate")
    assert empty.stat().st_size == 0


@pytest.mark.parametrize(
    "option",
    [
        ["--as-of", "9999-12-31T23:00:00-12:00"],
        ["--as-of", "0001-01-01T00:00:00+05:00"],
    ],
    ids=" ".join,
)
def test_report_refuses_a_moment_beyond_the_years_there_are(tmp_path: Path, option: list[str]) -> None:
    db = tmp_path / "h.db"
    build(db).conn.close()
    result = run(db, "report", *option)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"'{option[1]}' lies beyond the years there are in UTC (0001 to 9999)" in result.output


def test_the_last_day_there_is_reports_everything(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    build(db).conn.close()
    everything = run(db, "report", "--format", "json")
    until_the_end = run(db, "report", "--format", "json", "--until", "9999-12-31")
    assert until_the_end.exit_code == 0, until_the_end.output
    whole, to_the_end = (json.loads(r.output) for r in (everything, until_the_end))
    assert whole["totals"]["runs"] > 0  # the history has runs for the comparison to count
    for report in (whole, to_the_end):
        del report["generated_at"], report["params"]
    assert to_the_end == whole
    diagram = run(db, "flows", "diagram", "post_meeting", "--counts", "--until", "9999-12-31")
    assert diagram.exit_code == 0 and "Traceback" not in diagram.output


# --- 6. a ledger another process is writing to, in rollback mode (as `db backup` writes a copy) ---


@pytest.fixture
def copy_being_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A backup copy of a ledger (one file, rollback journal: readers wait while it is written)
    that another process is writing to; the commands wait 0.2 s for it, not 30."""
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    build(live).conn.close()
    assert run(live, "db", "backup", str(copy)).exit_code == 0
    monkeypatch.setattr(bot.store.opening, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(copy, isolation_level=None)
    assert other.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("UPDATE runs SET updated_at = updated_at")
    yield copy
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize(
    "command",
    [["report"], ["export", "actions"], ["transcripts", "search", "launch"], ["explore", "--port", "PORT"]],
    ids=" ".join,
)
def test_analysts_commands_on_a_ledger_being_written_say_it_is_locked(
    copy_being_written: Path, command: list[str]
) -> None:
    before = fingerprint(copy_being_written)
    command = [str(free_port()) if word == "PORT" else word for word in command]
    line = one_line_error(run(copy_being_written, *command))
    assert line == (
        f"Error: The ledger {copy_being_written} is locked: another process is writing to it and did not"
        " finish within 0.2 s. Try again in a moment."
    )  # was: "... is not a decisionbot ledger (database is locked)", after Python's 5 s
    assert fingerprint(copy_being_written) == before


def test_explore_refuses_a_ledger_it_cannot_serve_without_first_saying_it_serves_it(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    db = open_db(old, migrate=False)
    migrations.migrations.apply(db)  # the core set only: a ledger of a version before analytics
    db.conn.close()
    line = one_line_error(run(old, "explore", "--port", str(free_port())))  # was: "Datasette on http://..." first
    assert line.startswith(f"Error: The ledger {old} is not up to date")


# --- 7. the command a hint names can be pasted, whatever the ledger's path holds ------------------


def _pasted_db(text: str) -> str:
    """The --db of the command after 'Try:' (or 'now:'), as a shell reads it when pasted."""
    words = shlex.split(re.split(r"Try: |now: ", text)[1].split(" (")[0])
    return words[words.index("--db") + 1]


def test_every_analysts_hint_names_a_ledger_with_spaces_as_one_word(tmp_path: Path) -> None:
    folder = tmp_path / "team share"
    folder.mkdir()
    missing = folder / "my ledger.db"
    assert _pasted_db(one_line_error(run(missing, "report"))) == str(missing)  # was: --db .../team share/my ...
    old = folder / "old ledger.db"
    db = open_db(old, migrate=False)
    migrations.migrations.apply(db)
    db.conn.close()
    assert _pasted_db(one_line_error(run(old, "report"))) == str(old)
    unindexed = folder / "new ledger.db"
    build(unindexed).conn.close()
    conn = sqlite3.connect(unindexed, isolation_level=None)  # another program writes a message
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, kind, text, created_at)"
        " SELECT run_id, direction, channel, conversation, kind, 'launch again', created_at FROM messages LIMIT 1"
    )
    result = run(unindexed, "transcripts", "search", "launch")
    assert result.exit_code == 0 and _pasted_db(result.output.splitlines()[-1]) == str(unindexed)
    conn.execute("DROP TABLE messages_fts")
    conn.close()
    assert _pasted_db(one_line_error(run(unindexed, "transcripts", "search", "launch"))) == str(unindexed)
