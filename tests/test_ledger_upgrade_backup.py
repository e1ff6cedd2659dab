"""An upgrade keeps the way back: the process that brings an older ledger up to date first copies
it, as it was, beside it (``decisions.before-upgrade-<time>.db``) and names the copy; restoring
that copy is the rollback. And what analysts read agrees across the upgrade.

``tests/fixtures/ledger-956d256.db.gz``: see tests/test_ledger_upgrade.py.
``tests/fixtures/report-956d256.json``: ``decisionbot report --format json --as-of 2026-12-31``
as commit 956d256 itself printed it on that ledger (``generated_at`` left out)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.store import open_db

ROOT = Path(__file__).resolve().parents[1]


def run(db: Path, *args: str, answers: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args], input=answers)


def copies(ledger: Path) -> list[Path]:
    return sorted(ledger.parent.glob("decisions.before-upgrade-*.db"))


def migrations_of(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {name for (name,) in conn.execute("SELECT name FROM _sqlite_migrations")}
    finally:
        conn.close()


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("command", [["jobs", "run-due", "--now", "2026-01-01T00:00:00Z"], ["db", "migrate"]])
def test_the_upgrade_copies_the_ledger_as_it_was_first_and_names_the_copy(old_ledger: Path, command) -> None:
    os.chmod(old_ledger, 0o600)  # a ledger only its owner reads: so is its copy
    before = rows(old_ledger, "SELECT id, status, state, context FROM runs ORDER BY id")
    result = run(old_ledger, *command)
    assert result.exit_code == 0, result.output
    [copy] = copies(old_ledger)
    assert f"{copy} first" in result.output  # named where the upgrade is said
    assert "m008_action_changes" not in migrations_of(copy)  # the old schema, as the old version reads it
    assert "m008_action_changes" in migrations_of(old_ledger)
    assert rows(copy, "SELECT id, status, state, context FROM runs ORDER BY id") == before
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]  # one file: no -wal beside it to lose
    assert not Path(f"{copy}-wal").exists()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    again = run(old_ledger, "db", "migrate")  # up to date: no second copy
    assert again.exit_code == 0 and len(copies(old_ledger)) == 1


def test_restoring_the_copy_is_the_way_back(old_ledger: Path) -> None:
    """The rollback README describes: the copy put back in the ledger's place is the old ledger,
    its half-answered run where it was (and this version brings it up to date again)."""
    assert run(old_ledger, "db", "migrate").exit_code == 0
    [copy] = copies(old_ledger)
    assert run(old_ledger, "chat", "--run", "1", answers="@bob\n").exit_code == 1  # answered after the upgrade
    for extra in ("-wal", "-shm"):
        Path(f"{old_ledger}{extra}").unlink(missing_ok=True)
    copy.replace(old_ledger)
    assert rows(old_ledger, "SELECT count(*) FROM answers WHERE run_id = 1") == [(2,)]
    result = run(old_ledger, "chat", "--run", "1", answers="@bob\nnext friday\ndone\n/as bob\nyes\n/as alice\nok\n")
    assert result.exit_code == 0 and "Decided: We move the launch to March" in result.stdout


def test_a_new_ledger_and_one_up_to_date_are_not_copied(tmp_path: Path) -> None:
    ledger = tmp_path / "decisions.db"
    open_db(ledger).conn.close()
    open_db(ledger).conn.close()
    assert run(ledger, "db", "migrate").exit_code == 0
    assert copies(ledger) == []


def test_the_analysts_figures_agree_across_the_upgrade(old_ledger: Path) -> None:
    """Every row the old version reported, the new one reports the same (it may add rows: a
    dimension of its own, such as latency by trigger kind; and columns: a conversation's name)."""
    assert run(old_ledger, "db", "migrate").exit_code == 0
    result = run(old_ledger, "report", "--format", "json", "--as-of", "2026-12-31")
    assert result.exit_code == 0, result.output
    new = json.loads(result.stdout)
    old = json.loads((ROOT / "tests" / "fixtures" / "report-956d256.json").read_text())
    for section, value in old.items():
        if isinstance(value, list):
            missing = [row for row in value if row not in [{k: r.get(k) for k in row} for r in new[section]]]
            assert missing == [], section
        else:
            assert new[section] == value, section


def test_an_upgrade_whose_copy_cannot_be_made_changes_nothing(old_ledger: Path) -> None:
    """The disk too full for the copy (a file-size limit stands for it: the copy is the first file
    to outgrow it): the upgrade stops, exit 1, saying why; the ledger is as it was, no copy left."""
    before = old_ledger.read_bytes()
    limit = len(before) // 2
    program = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), as on a full disk\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from bot.cli import main\n"
        f"main(['--db', {str(old_ledger)!r}, 'db', 'migrate'])\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the copy of it taken before bringing it up to date could not be made" in done.stderr
    assert "so nothing was changed. Make room in its folder" in done.stderr and "Traceback" not in done.stderr
    assert old_ledger.read_bytes() == before
    assert sorted(p.name for p in old_ledger.parent.iterdir()) == [old_ledger.name]
