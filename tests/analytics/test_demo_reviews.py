"""Demo history links its review runs to their reviews the way production does.

The scheduler's ``start_flow`` job sets ``reviews.run_id`` when it starts a review run
(``runs.review_started``); the run's completion then sets ``held_at``. The demo plays the
scheduler's part, so a review run it starts and nobody answers is still its review's run.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.analytics import demo
from bot.store import open_db

FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = open_db(path)
    try:
        demo.fill(db, FLOWS, 40, seed=3, end=datetime(2026, 11, 26, tzinfo=UTC))
    finally:
        db.conn.close()
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_started_review_that_was_never_held_names_its_run(ledger: Path) -> None:
    unanswered = rows(
        ledger,
        "SELECT id, json_extract(context, '$.trigger.decision_id') FROM runs"
        " WHERE flow_id = 'decision_review' AND status != 'completed' ORDER BY id",
    )
    assert unanswered, "the demo started no review run that stayed unanswered: pick another seed"
    linked = rows(
        ledger, "SELECT run_id, decision_id FROM reviews WHERE held_at IS NULL AND run_id IS NOT NULL ORDER BY run_id"
    )
    assert linked == unanswered


def test_every_review_run_is_the_run_of_exactly_one_review(ledger: Path) -> None:
    review_runs = rows(ledger, "SELECT id FROM runs WHERE json_extract(context, '$.trigger.decision_id') IS NOT NULL")
    linked = rows(ledger, "SELECT run_id FROM reviews WHERE run_id IS NOT NULL")
    assert review_runs and sorted(review_runs) == sorted(linked)


def test_owners_report_some_actions_done_in_chat_before_or_after_their_due_date(ledger: Path) -> None:
    """As the ``done N`` command does in production: the action's done_at is when the owner said
    it, in the transcript of the run that made the decision, not the day of a review."""
    reported = rows(
        ledger,
        "SELECT a.id, a.due, a.done_at, m.created_at, m.actor_id = a.owner_id, m.run_id = d.run_id,"
        " a.done_confirmed_by FROM messages m JOIN actions a ON m.text = 'done A' || a.id"
        " JOIN decisions d ON d.id = a.decision_id WHERE m.kind = 'command' AND m.direction = 'in' ORDER BY a.id",
    )
    assert len(reported) >= 3, "the demo's owners reported nothing done: pick another seed"
    assert all(done_at == said and by_owner and in_its_run and confirmed is None
               for _, _, done_at, said, by_owner, in_its_run, confirmed in reported)  # fmt: skip
    assert any(said[:10] <= due for _, due, _, said, *_ in reported)
    assert any(said[:10] > due for _, due, _, said, *_ in reported)


def test_demo_meetings_record_how_they_were_started(ledger: Path) -> None:
    """A demo meeting's run records its way in as a real start does (``runs list``: "slack slash",
    "teams", "console"), not the bare channel an older demo left."""
    from bot.texts.jobs import run_trigger

    found = rows(
        ledger,
        "SELECT e.source, e.kind, json_extract(e.payload, '$.via') FROM runs r JOIN events e ON e.id = r.event_id"
        " WHERE r.flow_id = 'post_meeting'",
    )
    assert found, "the demo started no meeting"
    shown = {run_trigger(source, kind, None, {"via": via} if via else {}) for source, kind, via in found}
    assert shown <= {"slack slash", "teams", "console"}, shown
    assert "slack slash" in shown
