"""A ledger of many runs of every kind ``runs list`` shows, built by the real dispatcher on a
fixed clock (so the listing is the same each time): open ones waiting on the facilitator or on an
owner, finished and cancelled ones, in the terminal and in Slack threads (channels named and not),
moved to another channel, on a flow version since replaced, on one whose text no longer reads,
and one whose context is of another shape. For ``tests/test_runs_list_queries.py``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message
from bot.store import names, open_db

#: The flows the ledger's runs are on: post_meeting as it was when the listing was kept
#: (``tests/fixtures/runs_list_45.txt``), so a change of the shipped flow changes no listing.
FLOWS = Path(__file__).resolve().parent / "fixtures" / "runs_list"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
#: The kinds of run, each made once in turn: a ledger of ``n`` runs holds n // len(KINDS) of each.
KINDS = ("asked", "owner", "completed", "cancelled", "slack", "moved", "old_version", "unread", "odd")


def build(path: Path, runs: int) -> None:
    """A ledger at ``path`` with ``runs`` runs, their kinds taken from KINDS in turn."""
    ticks = itertools.count()
    db = open_db(path)

    def clock() -> datetime:
        return START + timedelta(minutes=next(ticks))

    bot = Dispatcher(db, FlowCatalog(FLOWS, db), ZoneInfo("UTC"), clock=clock)
    alice, bob = Actor("console:alice", "alice"), Actor("console:bob", "bob")
    sue, tom = Actor("slack:USUE", "Sue"), Actor("slack:UTOM", "Tom")
    names.learnt(db, "slack", [("C0", "ops"), ("C1", "launch")], START)
    for n in range(runs):
        kind = KINDS[n % len(KINDS)]
        if kind in ("slack", "moved"):
            where = ConversationKey("slack", f"C{n % 3}", f"1700000000.{n:06d}")
            done = run_command(bot, sue, where, "start post_meeting @Tom Launch review", {"@Tom": tom})
            who = sue
        else:
            where = ConversationKey("console", f"t{n}")
            done = run_command(bot, alice, where, f"start post_meeting @bob Sync {n}", {"@bob": bob})
            who = alice
        assert done.started is not None, done.text
        run_id = done.started.run_id
        decided = [(who, "We ship"), (who, "Draft the plan"), (who, "@bob"), (who, "2027-01-10"), (who, "done")]
        answers = {"owner": decided, "completed": [*decided, (bob, "yes"), (alice, "ok")]}
        for speaker, text in answers.get(kind, []):
            bot.handle(Message(where, speaker, text, mentions={"@bob": bob}), run_id=run_id)
        conn = db.conn
        if kind == "cancelled":
            run_command(bot, alice, where, f"cancel {run_id}")
        elif kind == "moved":
            [(transition,)] = conn.execute("SELECT min(id) FROM transitions WHERE run_id = ?", (run_id,))
            conn.execute(
                "INSERT INTO slack_moves (transition_id, run_id, from_conversation, to_conversation, at)"
                " VALUES (?, ?, ?, 'slack:C0', ?)",
                (transition, run_id, str(where), START.isoformat()),
            )
            conn.execute("UPDATE runs SET conversation = ? WHERE id = ?", (f"slack:C0/1800000000.{n:06d}", run_id))
        elif kind in ("old_version", "unread"):
            version = f"old-{kind}"
            text = "id: post_meeting\nnot: [a flow" if kind == "unread" else None
            conn.execute(
                "INSERT OR IGNORE INTO flow_versions (flow_id, version, title, path, text, first_loaded_at)"
                " SELECT flow_id, ?, title, path, coalesce(?, text), first_loaded_at FROM flow_versions"
                " WHERE flow_id = 'post_meeting' LIMIT 1",
                (version, text),
            )
            conn.execute("UPDATE runs SET flow_version = ? WHERE id = ?", (version, run_id))
        elif kind == "odd":
            conn.execute("UPDATE runs SET context = '{}' WHERE id = ?", (run_id,))
    db.conn.close()
