"""Demo history has plans that change after the meeting, as a company's ledger does: owners move
due dates (``due A12``) and hand actions to teammates (``give A12``, a run of ``action_handover``
the teammate answers), facilitators drop actions (``drop A12``). Before, ``action_changes`` stayed
empty and no handover ever ran, so the measures that read them showed nothing to try."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.analytics import demo
from bot.store import open_db

FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = open_db(path)
    try:
        demo.fill(db, FLOWS, 60, seed=1, end=datetime(2026, 11, 26, tzinfo=UTC))
    finally:
        db.conn.close()
    return sqlite3.connect(path)


def test_due_dates_move_actions_change_hands_and_are_dropped_in_chat(ledger: sqlite3.Connection) -> None:
    fields = {f for (f,) in ledger.execute("SELECT DISTINCT field FROM action_changes")}
    assert fields == {"due", "owner", "status"}, "the demo changed no action this way: pick another seed"
    unsaid = ledger.execute(
        "SELECT c.id FROM action_changes c WHERE c.field != 'owner' AND NOT EXISTS (SELECT 1 FROM messages m"
        " WHERE m.kind = 'command' AND m.actor_id = c.actor_id AND m.created_at = c.at"
        " AND m.text LIKE (CASE c.field WHEN 'due' THEN 'due' ELSE 'drop' END) || ' A' || c.action_id || ' %')"
    ).fetchall()
    assert unsaid == []  # each said in chat by its owner or the facilitator, kept in the transcript
    for action_id, new_owner, asked in ledger.execute(
        "SELECT action_id, new, at FROM action_changes WHERE field = 'owner'"
    ).fetchall():
        handed = ledger.execute(
            "SELECT r.status, a.actor_id, a.value, a.at FROM runs r JOIN answers a ON a.run_id = r.id"
            " WHERE r.flow_id = 'action_handover' AND json_extract(r.context, '$.trigger.handover.action_id') = ?",
            (action_id,),
        ).fetchall()
        assert ("completed", new_owner, "true", asked) in handed
    dropped = ledger.execute(
        "SELECT a.status FROM action_changes c JOIN actions a ON a.id = c.action_id WHERE c.field = 'status'"
    ).fetchall()
    assert dropped and set(dropped) == {("dropped",)}
