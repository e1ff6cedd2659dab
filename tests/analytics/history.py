"""A small hand-built history, inserted row by row into a real ledger made by ``open_db``.

Every right answer in the tests is worked out by hand from the rows below (see the comments).
Times are UTC. The report is judged as of 2026-03-31T00:00:00Z.

Runs (trigger time -> first answer -> decision):
  R1 post_meeting  E1 console/manual   2026-03-02 09:00 (Mon, W10)  -> +1.0 h -> +2.0 h  completed (one 'back')
  R2 post_meeting  E2 console/manual   2026-03-08 23:30 (Sun, W10: Mon in Tokyo) -> +0.5 h -> +4.0 h  completed
  R3 metric_breach E3 alertmanager     2026-03-09 00:00 (W11)  -> +2.0 h -> +10.0 h  completed, 3 repeats
  R4 metric_breach E4 grafana          2026-03-10 00:00 (W11)  -> +1.0 h, cancelled at 'response', 1 repeat
  R5 post_meeting  E5 console/manual   2026-03-16 08:00 (W12)  -> +1.0 h, active at 'actions', idle since 03-16
  R6 post_meeting  E6 console/manual   2026-03-28 08:00 (W13)  no answer, active at 'decision' (3 days: waiting)
  R7 decision_review E8 schedule/review 2026-03-21 09:00 (W12) no answer, completed without a decision
  E7 alertmanager  2026-03-20, started no run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.analytics.sql import MEASURES, as_view
from bot.store import migrations, open_db

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-31T00:00:00Z"


def person(name: str) -> str:
    return f"slack:{name}"


def build(path: Path) -> Database:
    db = open_db(path)
    c = db.conn
    c.execute("BEGIN")
    for flow in ("post_meeting", "metric_breach", "decision_review"):
        text = (ROOT / "flows" / f"{flow}.yaml").read_text()
        c.execute("INSERT INTO flow_versions VALUES (?, 'v1', ?, ?, ?, '2026-01-01T00:00:00.000Z')",
                  (flow, flow, f"flows/{flow}.yaml", text))  # fmt: skip
    events = [
        (1, "console", "manual", "2026-03-02T09:00:00.000Z", 0),
        (2, "console", "manual", "2026-03-08T23:30:00.000Z", 0),
        (3, "alertmanager", "alert", "2026-03-09T00:00:00.000Z", 3),
        (4, "grafana", "alert", "2026-03-10T00:00:00.000Z", 1),
        (5, "console", "manual", "2026-03-16T08:00:00.000Z", 0),
        (6, "console", "manual", "2026-03-28T08:00:00.000Z", 0),
        (7, "alertmanager", "alert", "2026-03-20T10:00:00.000Z", 0),
        (8, "schedule", "review", "2026-03-21T09:00:00.000Z", 0),
    ]
    for eid, source, kind, at, repeats in events:
        c.execute("INSERT INTO events (id, source, kind, title, first_seen_at, last_seen_at, repeat_count)"
                  " VALUES (?, ?, ?, 't', ?, ?, ?)", (eid, source, kind, at, at, repeats))  # fmt: skip
    runs = [  # id, flow, event, channel, facilitator, state, status, started, updated
        (1, "post_meeting", 1, "slack", "alice", "completed", "completed", "2026-03-02T09:00:00.000Z", "2026-03-02T13:00:00.000Z"),
        (2, "post_meeting", 2, "slack", "alice", "completed", "completed", "2026-03-08T23:30:00.000Z", "2026-03-09T04:00:00.000Z"),
        (3, "metric_breach", 3, "teams", "carol", "completed", "completed", "2026-03-09T00:00:00.000Z", "2026-03-09T10:00:00.000Z"),
        (4, "metric_breach", 4, "teams", "carol", "cancelled", "cancelled", "2026-03-10T00:00:00.000Z", "2026-03-10T02:00:00.000Z"),
        (5, "post_meeting", 5, "console", "dan", "actions", "active", "2026-03-16T08:00:00.000Z", "2026-03-16T09:00:00.000Z"),
        (6, "post_meeting", 6, "console", "erin", "decision", "active", "2026-03-28T08:00:00.000Z", "2026-03-28T08:00:00.000Z"),
        (7, "decision_review", 8, "slack", "alice", "completed", "completed", "2026-03-21T09:00:00.000Z", "2026-03-21T10:00:00.000Z"),
    ]  # fmt: skip
    for rid, flow, eid, channel, fac, state, status, started, updated in runs:
        c.execute("INSERT INTO runs (id, flow_id, flow_version, event_id, channel, conversation, facilitator_id, state,"
                  " status, context, started_at, updated_at) VALUES (?, ?, 'v1', ?, ?, ?, ?, ?, ?, '{}', ?, ?)",
                  (rid, flow, eid, channel, f"{channel}:C{rid}", person(fac), state, status, started, updated))  # fmt: skip
    pm = ["decision", "actions", "owner_accepts", "review_at"]
    paths: dict[int, list[tuple[str, str, str]]] = {
        1: [("", "decision", "start"), ("decision", "actions", "next"), ("actions", "decision", "back"),
            ("decision", "actions", "next"), ("actions", "owner_accepts", "next"), ("owner_accepts", "review_at", "next"),
            ("review_at", "completed", "next")],
        2: [("", pm[0], "start")] + [(a, b, "next") for a, b in zip(pm, pm[1:] + ["completed"], strict=True)],
        3: [("", "acknowledge", "start"), ("acknowledge", "response", "next"), ("response", "plan", "next"),
            ("plan", "actions", "next"), ("actions", "owner_accepts", "next"), ("owner_accepts", "review_at", "next"),
            ("review_at", "completed", "next")],
        4: [("", "acknowledge", "start"), ("acknowledge", "response", "next"), ("response", "cancelled", "cancel")],
        5: [("", "decision", "start"), ("decision", "actions", "next")],
        6: [("", "decision", "start")],
        7: [("", "outcome", "start"), ("outcome", "completed", "next")],
    }  # fmt: skip
    for rid, steps in paths.items():
        for source, target, event in steps:
            c.execute("INSERT INTO transitions (run_id, source, target, event, at) VALUES (?, ?, ?, ?, '2026-03-01')",
                      (rid, source, target, event))  # fmt: skip
    answers = [  # run, step, item, field, actor, revision, at
        (1, "decision", None, None, "alice", 1, "2026-03-02T10:00:00.000Z"),
        (1, "decision", None, None, "alice", 2, "2026-03-02T11:00:00.000Z"),
        (1, "actions", 1, "what", "alice", 1, "2026-03-02T11:10:00.000Z"),
        (1, "actions", 1, "owner", "alice", 1, "2026-03-02T11:20:00.000Z"),
        (1, "actions", 1, "owner", "alice", 2, "2026-03-02T11:25:00.000Z"),
        (1, "actions", 1, "owner", "alice", 3, "2026-03-02T11:30:00.000Z"),
        (1, "owner_accepts", 1, None, "bob", 1, "2026-03-02T12:00:00.000Z"),
        (1, "review_at", None, None, "alice", 1, "2026-03-02T13:00:00.000Z"),
        (2, "decision", None, None, "alice", 1, "2026-03-09T00:00:00.000Z"),
        (2, "actions", 1, "owner", "alice", 1, "2026-03-09T00:10:00.000Z"),
        (3, "acknowledge", None, None, "carol", 1, "2026-03-09T02:00:00.000Z"),
        (3, "response", None, None, "carol", 1, "2026-03-09T03:00:00.000Z"),
        (4, "acknowledge", None, None, "carol", 1, "2026-03-10T01:00:00.000Z"),
        (5, "decision", None, None, "dan", 1, "2026-03-16T09:00:00.000Z"),
    ]
    for rid, step, item, fld, actor, revision, at in answers:
        c.execute("INSERT INTO answers (run_id, step, item, field, actor_id, value, raw, kind, revision, at)"
                  " VALUES (?, ?, ?, ?, ?, '\"x\"', 'x', 'answer', ?, ?)",
                  (rid, step, item, fld, person(actor), revision, at))  # fmt: skip
    messages = [  # run, direction, actor, kind, step, text
        (1, "out", "alice", "prompt", "decision", "What was decided?"),
        (1, "in", "alice", "answer", "decision", "We ship the launch in March"),
        (1, "in", "alice", "command", "decision", "change decision to We ship in April"),
        (1, "out", "alice", "prompt", "actions", "What is the action?"),
        (1, "in", "alice", "answer", "actions", "Draft the plan"),
        (1, "out", "bob", "prompt", "owner_accepts", "Do you accept it?"),
        (1, "in", "bob", "answer", "owner_accepts", "yes"),
        (1, "out", "alice", "prompt", "review_at", "When should we review this decision?"),
        (1, "in", "alice", "answer", "review_at", "ok"),
        (1, "out", None, "summary", None, "Decision recorded"),
        (2, "out", "alice", "prompt", "decision", "What was decided?"),
        (2, "in", "alice", "answer", "decision", "We hire two engineers"),
        (2, "out", "alice", "prompt", "actions", "What is the action?"),
        (2, "in", "alice", "answer", "actions", "Open the requisition"),
        (3, "out", "carol", "prompt", "acknowledge", "Who takes this one?"),
        (3, "in", "carol", "answer", "acknowledge", "me"),
        (3, "out", "carol", "prompt", "response", "What do we do about it?"),
        (3, "in", "carol", "answer", "response", "act"),
        (4, "out", "carol", "prompt", "acknowledge", "Who takes this one?"),
        (4, "in", "carol", "answer", "acknowledge", "me"),
        (4, "out", "carol", "prompt", "response", "What do we do about it?"),
        (4, "in", "carol", "command", "response", "cancel"),
        (5, "out", "dan", "prompt", "decision", "What was decided?"),
        (5, "in", "dan", "answer", "decision", "We pause the referral programme"),
        (5, "out", "dan", "prompt", "actions", "What is the action?"),
        (6, "out", "erin", "prompt", "decision", "What was decided?"),
    ]
    for rid, direction, actor, kind, step, text in messages:
        c.execute("INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind,"
                  " text, expects, created_at) VALUES (?, ?, 'slack', 'slack:C', ?, ?, ?, ?, ?, ?,"
                  " '2026-03-02T10:00:00.000Z')",
                  (rid, direction, person(actor) if actor else None, actor, step, kind, text, expects(kind)))  # fmt: skip
    decisions = [(1, 1, "post_meeting", "2026-03-02T11:00:00.000Z"), (2, 2, "post_meeting", "2026-03-09T03:30:00.000Z"),
                 (3, 3, "metric_breach", "2026-03-09T10:00:00.000Z")]  # fmt: skip
    for did, rid, flow, at in decisions:
        c.execute("INSERT INTO decisions (id, run_id, flow_id, title, text, decided_by, decided_at, updated_at)"
                  " VALUES (?, ?, ?, 't', 'd', 'slack:alice', ?, ?)", (did, rid, flow, at, at))  # fmt: skip
    actions = [  # decision, owner, due, status, done_at
        (1, "bob", "2026-03-10", "done", "2026-03-10T23:00:00.000Z"),  # A1 on time
        (1, "bob", "2026-03-10", "done", "2026-03-11T11:59:59.999Z"),  # A2 on time: still 03-10 at UTC-12
        (1, "bob", "2026-03-10", "done", "2026-03-11T12:00:00.000Z"),  # A3 late by 1 day: 03-10 is over everywhere
        (1, "carol", "2026-03-12", "done", "2026-03-16T09:00:00.000Z"),  # A4 late by 4 days
        (1, "carol", "2026-03-20", "open", None),  # A5 overdue
        (1, "carol", "2026-04-15", "open", None),  # A6 not due yet
        (1, "carol", None, "open", None),  # A7 no due date
        (3, "bob", "2026-03-25", "dropped", None),  # A8 dropped
        (3, "dan", "2026-04-10", "done", "2026-03-20T08:00:00.000Z"),  # A9 done early: due and on time
        (3, "dan", "2026-03-15", "done", "2026-03-25T10:00:00.000Z"),  # A10 late by 10 days
    ]
    for i, (did, owner, due, status, done_at) in enumerate(actions, 1):
        c.execute("INSERT INTO actions (decision_id, item, what, owner_id, owner_name, due, status, done_at)"
                  " VALUES (?, ?, 'w', ?, ?, ?, ?, ?)", (did, i, person(owner), owner, due, status, done_at))  # fmt: skip
    reviews = [  # decision, due_at, held_at
        (1, "2026-03-20", "2026-03-22T20:00:00.000Z"),  # V1 held on time (deadline 03-23 12:00 with 2 days grace)
        (1, "2026-03-24", "2026-03-27T12:00:00.000Z"),  # V2 held late: exactly at the deadline
        (3, "2026-03-10", None),  # V3 missed
        (3, "2026-03-29", None),  # V4 pending (deadline 04-01 12:00)
    ]
    for did, due, held in reviews:
        c.execute("INSERT INTO reviews (decision_id, due_at, held_at) VALUES (?, ?, ?)", (did, due, held))
    c.execute("COMMIT")
    migrations.upkeep(db)  # as every writer does: new messages into the full-text index
    return db


def expects(kind: str) -> str | None:
    """A prompt's ``expects``: a question expects an answer (the analytics count those as questions)."""
    return '{"type": "text", "optional": false}' if kind == "prompt" else None


def by(rows: list[dict[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def renamed(path: Path) -> None:
    """People whose display name changed: dan writes as "Dan R." after "dan" (the view shows the
    greatest of the names, "dan", not the latest); bob is prompted as "zz-bob" after he wrote
    as "bob" (the view shows the name he wrote under); erin, who never wrote, is prompted as
    "Erin" after "erin"."""
    conn = sqlite3.connect(path, isolation_level=None)
    for rid, direction, actor, name, kind, step in (
        (5, "in", "dan", "Dan R.", "answer", "actions"),
        (1, "out", "bob", "zz-bob", "prompt", "owner_accepts"),
        (6, "out", "erin", "Erin", "prompt", "decision"),
    ):
        conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind, text,"
            " expects, created_at) VALUES (?, ?, 'slack', 'slack:C', ?, ?, ?, ?, 'x', ?, '2026-03-29T10:00:00.000Z')",
            (rid, direction, f"slack:{actor}", name, step, kind, expects(kind)),
        )
    conn.close()


def before_fast_views(conn: sqlite3.Connection) -> None:
    """Make a ledger what the version before ``m007_fast_views`` left: every view its
    definition over the raw tables."""
    for name, sql in MEASURES.items():
        conn.execute(f"DROP VIEW {name}")
        conn.execute(f"CREATE VIEW {name} AS {as_view(sql)}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm007_fast_views'")


def before_dropoff_from_summary(conn: sqlite3.Connection) -> None:
    """Make a ledger what the version before ``m008_dropoff_from_summary`` left: no
    ``transitions_target``, ``step_dropoff`` its definition over the raw tables."""
    conn.execute("DROP INDEX transitions_target")
    conn.execute("DROP VIEW step_dropoff")
    conn.execute(f"CREATE VIEW step_dropoff AS {as_view(MEASURES['step_dropoff'])}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_dropoff_from_summary'")
