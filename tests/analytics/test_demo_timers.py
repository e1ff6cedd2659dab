"""Demo history is chased by the timers, as a server's scheduler chases real runs: a question left
unanswered gets its reminder and escalation, and a run abandoned long enough expires (stalled), each
at its job's time. Before, no timer ever fired: abandoned runs stayed ``active`` for months beside
reminders due in the past, and the demo showed no stalled run at all."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.analytics import demo
from bot.store import open_db

FLOWS = Path(__file__).resolve().parents[2] / "flows"
END = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = open_db(path)
    try:
        demo.fill(db, FLOWS, 40, seed=3, end=END)
    finally:
        db.conn.close()
    return sqlite3.connect(path)


def test_no_reminder_escalation_or_expiry_due_before_the_end_is_left_unfired(ledger: sqlite3.Connection) -> None:
    left = ledger.execute(
        "SELECT id, kind, due_at FROM jobs WHERE kind IN ('remind', 'escalate', 'expire')"
        " AND done_at IS NULL AND due_at < '2026-11-26T00:00:00.000Z'"
    ).fetchall()
    assert left == []
    fired = dict(
        ledger.execute(
            "SELECT kind, count(*) FROM jobs WHERE kind IN ('remind', 'escalate', 'expire') AND outcome LIKE 'done%'"
            " GROUP BY kind"
        ).fetchall()
    )
    assert fired.get("remind") and fired.get("escalate") and fired.get("expire"), fired


def test_abandoned_runs_stall_at_their_expiry_and_reminders_are_in_the_transcript(ledger: sqlite3.Connection) -> None:
    stalled = ledger.execute(
        "SELECT r.id, t.at, j.done_at FROM runs r JOIN transitions t ON t.run_id = r.id AND t.event = 'stall'"
        " JOIN jobs j ON j.run_id = r.id AND j.kind = 'expire' AND j.outcome = 'done' WHERE r.status = 'stalled'"
    ).fetchall()
    assert stalled and all(at == done for _, at, done in stalled)  # at the expiry's time, not at the end
    idle_active = ledger.execute(
        "SELECT count(*) FROM runs WHERE status = 'active' AND updated_at < '2026-11-01T00:00:00.000Z'"
    ).fetchone()
    assert idle_active == (0,)
    reminders = ledger.execute(
        "SELECT count(*) FROM messages WHERE direction = 'out' AND kind = 'prompt' AND text LIKE 'Reminder:%'"
    ).fetchone()[0]
    assert reminders > 0
