"""The commands that only read the ledger (``runs list``, ``runs show``, ``runs invite``, ``jobs
list``, ``slack events``: analysts and operators use them beside ``report``) never write it, not
even to bring it up to date. An analyst whose decisionbot is newer than the server's ran ``runs
show 1`` on the server's ledger: it was migrated under the server, and the server's version (its
cron's ``jobs run-due``, its next start) then refused the ledger as one a newer version had brought
up to date. Now the command refuses the ledger, naming ``db migrate``, and leaves it as it was; on a
ledger up to date it reads as before."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
READS = [["runs", "list"], ["runs", "show", "2"], ["runs", "invite", "2"], ["jobs", "list"], ["slack", "events"]]


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args])


def files(db: Path) -> tuple[str, bytes]:
    """What the ledger holds: its file, and what its WAL holds on top of it (a reader may leave an
    empty -wal and the -shm behind: it cannot delete them, and they hold nothing)."""
    wal = db.with_name(db.name + "-wal")
    return hashlib.sha256(db.read_bytes()).hexdigest(), wal.read_bytes() if wal.exists() else b""


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_command_that_only_reads_does_not_migrate_the_servers_ledger(old_ledger: Path, command: list[str]) -> None:
    before = files(old_ledger)
    result = run(old_ledger, *command)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: The ledger {old_ledger} is not up to date: an older decisionbot made it")
    assert f"--db {old_ledger} db migrate" in result.output
    assert "brought up to date" not in result.output
    assert files(old_ledger) == before


def test_on_a_ledger_up_to_date_the_reads_answer_and_write_nothing(old_ledger: Path) -> None:
    assert run(old_ledger, "db", "migrate").exit_code == 0
    before = files(old_ledger)
    listed = run(old_ledger, "runs", "list", "--json")
    assert listed.exit_code == 0 and '"status": "active"' in listed.stdout, listed.output
    shown = run(old_ledger, "runs", "show", "2")
    assert shown.exit_code == 0 and shown.stdout.startswith("Run #2: post_meeting"), shown.output
    assert "has no calendar invitation" in run(old_ledger, "runs", "invite", "2").output  # made before invites
    assert run(old_ledger, "jobs", "list").exit_code == 0
    assert run(old_ledger, "slack", "events").output == "(none)\n"
    assert files(old_ledger) == before
