"""At a decision's review, an owner's "done" said by the facilitator his question was handed to
(after his misses) is hers, as a yes to take the action is (test_escalation.py): the action is
done and ``actions.done_confirmed_by`` names her; the owner's own "done" leaves it empty.

Driven as a user would, through ``decisionbot chat`` in the terminal on a real ledger."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.store import open_db
from tests.dates import JAN15, JAN20

FLOWS = Path(__file__).parents[1] / "flows"
POST_MEETING = [
    {"text": "We ship in March"},
    {"text": "Draft the plan"},
    {"text": "@bob"},
    {"text": JAN15},
    {"text": "Book the venue"},
    {"text": "@carol"},
    {"text": JAN20},
    {"text": "done"},
    {"as": "bob", "text": "yes"},
    {"as": "carol", "text": "yes"},
    {"as": "alice", "text": "ok"},
]
# bob misses three times: his question goes to alice, who says it was done; carol answers herself
REVIEW = [
    {"as": "bob", "text": "hmm"},
    {"as": "bob", "text": "hmm"},
    {"as": "bob", "text": "hmm"},
    {"as": "alice", "text": "yes"},
    {"as": "carol", "text": "yes"},
    {"as": "alice", "text": "keep"},
    {"as": "alice", "text": "ok"},
]


def cli(db: Path, *args: str, lines: list[dict] | None = None) -> str:
    result = CliRunner().invoke(
        main,
        ["--db", str(db), "--flows", str(FLOWS), *args],
        input="".join(json.dumps(line) + "\n" for line in lines or []),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


def reviewed(db: Path) -> None:
    cli(db, "chat", "post_meeting", "-f", "alice", "-p", "bob,carol", "--jsonl", lines=POST_MEETING)
    out = cli(db, "chat", "decision_review", "-f", "alice", "--data", "decision_id=1", "--jsonl", lines=REVIEW)
    handed = [json.loads(line)["text"] for line in out.splitlines() if '"to": "console:alice"' in line]
    assert "bob could not answer this one, so it comes to you: did bob do the action 'Draft the plan'" in handed[0]


def test_a_done_given_for_the_owner_is_recorded_as_confirmed_by_the_facilitator(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    reviewed(db)
    with sqlite3.connect(db) as conn:
        actions = conn.execute(
            "SELECT item, status, accepted_at IS NOT NULL, done_confirmed_by FROM actions"
        ).fetchall()
    assert actions == [(1, "done", 1, "console:alice"), (2, "done", 1, None)]  # bob's own yes to take it stays
    shown = cli(db, "runs", "show", "1")
    assert f"  action 1 (A1): Draft the plan - bob, due {JAN15}, done (confirmed by alice), accepted" in shown
    assert f"  action 2 (A2): Book the venue - carol, due {JAN20}, done, accepted" in shown  # the codes commands take


def test_the_migration_fills_in_who_said_done_for_the_owner(tmp_path: Path) -> None:
    """A ledger written before the column: the review's answers say who said "done"."""
    path = tmp_path / "old.db"
    reviewed(path)
    db = open_db(path)
    with db.conn:
        db.execute("ALTER TABLE actions DROP COLUMN done_confirmed_by")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_actions_done_confirmed_for_the_owner'")
        # the code of then dated a review's "done" when the review was held, not when it was said
        db.execute("UPDATE actions SET done_at = (SELECT max(held_at) FROM reviews) WHERE status = 'done'")
    db.conn.close()
    again = open_db(path)
    try:
        assert again.execute("SELECT item, done_confirmed_by FROM actions ORDER BY item").fetchall() == [
            (1, "console:alice"),
            (2, None),
        ]
    finally:
        again.conn.close()
