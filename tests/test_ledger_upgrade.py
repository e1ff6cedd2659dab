"""Upgrading decisionbot with work in flight, and going back.

``tests/fixtures/ledger-956d256.db.gz`` is a ledger commit 956d256 wrote through its own command
line (``decisionbot chat post_meeting``, answers piped): run 1 half answered (the decision and the
first action's text), run 2 completed with its review scheduled. It lacks six migrations of this
version (``action_changes`` among them)."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner, Result
from sqlite_utils import Database

from bot.cli import main
from bot.server import create_app
from bot.store import migrations, open_db

ROOT = Path(__file__).resolve().parents[1]
UPGRADED = (
    "first (the way back to that version: README, 'Upgrades'), then brought up to date, by set of migrations:"
    " core m008_action_changes"
)


def run(db: Path, *args: str, answers: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args], input=answers)


def test_the_first_command_after_an_upgrade_says_what_it_applied_and_the_next_ones_do_not(old_ledger: Path) -> None:
    # a moment before the ledger's timers: its reminder fell due at 18:37 UTC on 2026-11-29, and
    # from then on a run-due at the wall clock's time ran it (a time bomb this test once held)
    first = run(old_ledger, "jobs", "run-due", "--json", "--now", "2026-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output
    assert UPGRADED in first.stderr
    assert first.stdout == "[]\n"  # standard output stays the command's own
    again = run(old_ledger, "runs", "list", "--json")
    assert again.exit_code == 0 and "brought up to date" not in again.stderr
    assert '"status": "active"' in again.stdout
    assert run(old_ledger, "db", "migrate").stdout.strip().endswith("schema up to date.")


@pytest.mark.parametrize("command", [["jobs", "run-due", "--now", "2026-01-01T00:00:00Z"], ["db", "migrate"]])
def test_the_upgrade_names_each_set_of_migrations_with_its_own(old_ledger: Path, command: list[str]) -> None:
    """Each set numbers its migrations on its own: before, the names ran together as one list
    ('m001_conversation_names, ..., m024_owners_named_alike, ..., m004_refused'), read as one sequence."""
    pending = {mset.name: [m.name for m in mset.pending(Database(str(old_ledger)))] for mset in migrations.all_sets()}
    pending = {name: names for name, names in pending.items() if names}
    assert len(pending) > 2  # the fixture lacks migrations of several sets
    result = run(old_ledger, *command)
    assert result.exit_code == 0, result.output
    assert "copied as it was to " in result.output and ".before-upgrade-" in result.output
    said = next(line for line in result.output.splitlines() if "by set of migrations: " in line)
    sets = said[said.index("by set of migrations: ") + len("by set of migrations: ") :].rstrip(".").split("; ")
    assert [part.split(" ", 1)[0] for part in sets] == [
        "core" if name == "decisionbot" else name.removeprefix("decisionbot-") for name in pending
    ]
    for part, names in zip(sets, pending.values(), strict=True):
        listed = part.split(" ", 1)[1]
        if len(names) < 3:
            assert listed == ", ".join(names)
        else:
            assert listed == f"{names[0]} to {names[-1]} ({len(names)})"


@pytest.mark.parametrize(
    ("command", "code", "said"),
    [
        (["flows", "diagram", "post_meeting"], 0, "stateDiagram-v2"),  # the flow file alone
        (["flows", "show", "post_meeting"], 0, "post_meeting"),
        (["flows", "list"], 0, "post_meeting"),
        (["flows", "diagram", "post_meeting", "--counts"], 1, "db migrate"),  # counts need the ledger's views
        (["report"], 1, "db migrate"),
        (["runs", "list"], 1, "db migrate"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_a_command_that_reads_leaves_an_older_ledger_as_it_was(
    old_ledger: Path, command: list[str], code: int, said: str
) -> None:
    """An analyst's newer decisionbot would upgrade the server's ledger under it, which the server then refuses;
    'flows diagram' once did, through the flows' catalog, which opened the ledger to write."""
    before = hashlib.sha256(old_ledger.read_bytes()).hexdigest()
    files = {p.name for p in old_ledger.parent.iterdir()}
    result = run(old_ledger, *command)
    assert (result.exit_code, "brought up to date" in result.output) == (code, False), result.output
    assert said in result.output and "Traceback" not in result.output
    assert hashlib.sha256(old_ledger.read_bytes()).hexdigest() == before
    made = {p.name for p in old_ledger.parent.iterdir()} - files
    assert made <= {"decisions.db-wal", "decisions.db-shm"}, made  # a reader's; no copy made before an upgrade


@pytest.mark.parametrize("command", [["runs", "list"], ["report"]], ids=" ".join)
def test_a_command_that_reads_counts_the_migrations_db_migrate_then_applies(
    old_ledger: Path, command: list[str]
) -> None:
    """Before, it counted only the sets the reading needs (core, triggers, names, analytics), and
    said fewer than db migrate then applied (the Slack inbox's and the other areas' too)."""
    refused = run(old_ledger, *command)
    assert refused.exit_code == 1
    said = int(refused.output.split("an older decisionbot made it (", 1)[1].split(" migration(s) to apply", 1)[0])
    migrated = run(old_ledger, "db", "migrate")
    assert migrated.exit_code == 0, migrated.output
    listed = migrated.stdout.split("by set of migrations: ", 1)[1].rstrip().rstrip(".").split("; ")
    applied = sum(
        int(part.rsplit("(", 1)[1].rstrip(")")) if part.endswith(")") else len(part.split(" ", 1)[1].split(", "))
        for part in listed
    )
    assert said == applied > 1


def test_flows_commands_make_no_ledger(tmp_path: Path) -> None:
    for command in (["flows", "list"], ["flows", "show", "post_meeting"], ["flows", "diagram", "post_meeting"]):
        assert run(tmp_path / "none.db", *command).exit_code == 0
    assert list(tmp_path.iterdir()) == []


def test_a_new_ledger_is_created_without_an_upgrade_note(tmp_path: Path) -> None:
    result = run(tmp_path / "new.db", "trigger", "post_meeting", "--channel", "console", "-f", "alice")
    assert result.exit_code == 0 and "brought up to date" not in result.stderr


def test_the_server_logs_what_it_applied(old_ledger: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``serve`` and ``rasa-actions`` open the ledger with the default: the process's log."""
    with caplog.at_level(logging.INFO, logger="decisionbot"):
        open_db(old_ledger).conn.close()
        open_db(old_ledger).conn.close()
    said = [r.getMessage() for r in caplog.records if "brought up to date" in r.getMessage()]
    assert len(said) == 1 and UPGRADED in said[0]


def test_a_run_half_answered_before_the_upgrade_goes_on_where_it_was(old_ledger: Path) -> None:
    result = run(old_ledger, "chat", "--run", "1", answers="@bob\nnext friday\ndone\n/as bob\nyes\n/as alice\nok\n")
    assert result.exit_code == 0, result.output
    assert "Decided: We move the launch to March" in result.stdout
    assert "1. Draft the plan - bob" in result.stdout
    conn = sqlite3.connect(old_ledger)
    assert conn.execute("SELECT status FROM runs WHERE id = 1").fetchone() == ("completed",)
    kept = conn.execute("SELECT raw, revision FROM answers WHERE run_id = 1 AND step = 'decision'").fetchall()
    assert kept == [("We move the launch to March", 1)]
    conn.close()


def _newer(ledger: Path) -> str:
    """``ledger`` as a newer version left it: a migration this version does not have recorded. Its hash."""
    open_db(ledger).conn.close()  # brought up to date by this version, its WAL written back: no connection left
    conn = sqlite3.connect(ledger)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('decisionbot', 'm099_later', 'x')"
    )
    conn.commit()
    conn.close()
    return hashlib.sha256(ledger.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "command",
    [["chat", "--run", "1"], ["jobs", "run-due"], ["db", "migrate"]],  # runs list reads it, writes nothing
    ids=" ".join,
)
def test_a_ledger_a_newer_version_migrated_is_refused_and_left_as_it_was(old_ledger: Path, command: list[str]) -> None:
    before = _newer(old_ledger)
    result = run(old_ledger, *command, answers="@bob\n")
    assert result.exit_code == 1
    assert "was brought up to date by a newer decisionbot" in result.output
    assert "m099_later" in result.output and "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert hashlib.sha256(old_ledger.read_bytes()).hexdigest() == before
    conn = sqlite3.connect(old_ledger)
    assert conn.execute("SELECT count(*) FROM answers WHERE run_id = 1").fetchone() == (2,)
    conn.close()


def test_a_run_answered_after_the_upgrade_keeps_to_the_keys_the_old_version_reads(old_ledger: Path) -> None:
    """In a rolling restart onto this version, the old server still serving reads the run the new
    one answered: its ``RunState.loads`` refuses a key it does not know (a traceback, a 500 to Slack)."""

    def keys() -> set[str]:
        conn = sqlite3.connect(old_ledger)
        (context,) = conn.execute("SELECT context FROM runs WHERE id = 1").fetchone()
        conn.close()
        return set(json.loads(context))

    written_by_the_old_version = keys()
    assert run(old_ledger, "chat", "--run", "1", answers="@bob\n").exit_code == 1  # answered, still open
    assert keys() <= written_by_the_old_version


async def _start_server(ledger: Path) -> None:
    client = TestClient(TestServer(create_app(ledger, ROOT / "flows", env={})))
    await client.start_server()
    await client.close()


async def test_the_server_names_the_ledger_it_writes_with_its_open_runs(
    old_ledger: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="decisionbot"):
        await _start_server(old_ledger)
    assert f"Ledger {old_ledger.resolve()}: 1 run(s) open." in caplog.messages


async def test_a_server_started_on_a_ledger_it_creates_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The new version installed in another folder, started there: data/decisions.db of that folder."""
    with caplog.at_level(logging.INFO, logger="decisionbot"):
        await _start_server(tmp_path / "data" / "decisions.db")
    said = [m for m in caplog.messages if m.startswith(f"Ledger {tmp_path.resolve()}")]
    assert said and "new, created now (no runs yet)" in said[0] and "DECISIONBOT_DB" in said[0]


def test_a_copy_a_newer_version_migrated_is_not_restored(old_ledger: Path, tmp_path: Path) -> None:
    """The restore said 'Start the server again', and the server then refused the ledger it had put in place."""
    _newer(old_ledger)
    ledger = tmp_path / "live" / "decisions.db"
    assert run(ledger, "trigger", "post_meeting", "--channel", "console", "-f", "alice").exit_code == 0
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    result = run(ledger, "db", "restore", str(old_ledger))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Refusing to restore {old_ledger}: a newer decisionbot brought it up to date" in result.output
    assert "m099_later" in result.output and "nothing was changed" in result.output
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
    assert not list(ledger.parent.glob("*.before-restore-*"))
