"""``decisionbot runs list`` read each run it listed again, one at a time (its row, for what it
waits for; its channel's name and the one it was moved from): a listing of 100 runs made some 300
statements. Now it reads the runs it lists in a fixed number of statements, however many, and
says the same, byte for byte: ``tests/fixtures/runs_list_45.txt`` is what the one-at-a-time reading
printed for the ledger ``tests/runs_list_support.py`` builds (a table, ``--json``, ``--status
active``, ``--limit 500``). Real ledger files; the statements counted as SQLite runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli_context import Context
from bot.cli_runs import runs_list
from tests.runs_list_support import FLOWS, KINDS, build

KEPT = Path(__file__).resolve().parent / "fixtures" / "runs_list_45.txt"
LISTINGS = ([], ["--json"], ["--status", "active"], ["--limit", "500"])


def test_the_listing_of_many_runs_is_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "many.db"
    build(db, 45)
    said = ""
    for options in LISTINGS:
        done = CliRunner().invoke(main, ["--db", str(db), "--flows", str(FLOWS), "runs", "list", *options])
        assert done.exit_code == 0, done.output
        said += done.output
    assert said == KEPT.read_text()


def statements(db: Path, *options: str) -> list[str]:
    """The statements ``runs list`` made on its ledger's connection."""
    ctx = Context(str(db), str(FLOWS))
    made: list[str] = []
    ctx.ledger.conn.set_trace_callback(made.append)
    done = CliRunner().invoke(runs_list, ["--limit", "500", *options], obj=ctx)
    assert done.exit_code == 0, done.output
    ctx.ledger.conn.close()
    return made


@pytest.mark.parametrize("options", [[], ["--json"], ["--status", "active"], ["--flow", "post_meeting"]], ids=str)
def test_the_statements_do_not_grow_with_the_runs(tmp_path: Path, options: list[str]) -> None:
    few, many = tmp_path / "few.db", tmp_path / "many.db"
    build(few, len(KINDS))
    build(many, 12 * len(KINDS))
    made = statements(few, *options)
    assert len(made) == len(statements(many, *options))
    assert len(made) <= 8, made  # the runs, their places and names, their rows, their flow versions
