"""The analysts' commands on a file that is not a current ledger: an older ledger is to be
migrated, another application's database is refused unchanged. Helpers in
tests/test_cli_errors.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import migrations, open_db
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
