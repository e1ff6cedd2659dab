"""``step_dropoff`` reads the summary ``analytics_runs`` (schema m008), and it and
``latency_summary`` still show exactly the rows of their definitions over
the raw tables (:data:`bot.analytics.sql.MEASURES`; what the views were before, to the bit and in
the same order), on a generated ledger with the edge cases: runs never answered, never decided,
decided twice, cancelled (with and without a step), stalled, idle, waiting, finished while still
waiting, runs without an event, equal latencies, and trigger times around the ISO year's turn
(2026-W53, 2027-W01)."""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.analytics.sql import MEASURES, as_view
from bot.store import iso, open_db
from tests.analytics.history import before_dropoff_from_summary

IN_ORDER = ("latency_summary", "step_dropoff")
FLOWS = {"alpha": ["s1", "s2", "s3"], "beta": ["b1", "b2"], "gamma": ["g1", "g2"]}
NOW = datetime.now(UTC)


def _insert(c: sqlite3.Connection, table: str, row: dict[str, object]) -> None:
    c.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


#: How a run ends: (status, state or None for the step it stopped at, how many steps it reached,
#: the transition that ends its path).
FATES = {
    "completed": ("completed", "completed", "all", "completed"),
    "confirming": ("active", "completed", "all", None),  # finished, still waiting for confirmations
    "idle": ("active", None, "some", None),
    "waiting": ("active", None, "some", None),
    "cancelled": ("cancelled", "cancelled", "some", "cancelled"),
    "void": ("cancelled", "cancelled", "none", None),  # cancelled before any step
    "stalled": ("stalled", None, "some", None),
}


def generate(path: Path, runs: int = 400, seed: int = 11, first_id: int = 1) -> None:
    """``runs`` random runs (ids from ``first_id``) written row by row: the triggers keep the summaries."""
    rnd = random.Random(seed)
    db = open_db(path)
    c = db.conn
    c.execute("BEGIN")
    for flow in FLOWS:
        c.execute("INSERT OR IGNORE INTO flow_versions VALUES (?, 'v1', ?, ?, 'x', '2026-01-01T00:00:00.000Z')",
                  (flow, flow, f"flows/{flow}.yaml"))  # fmt: skip
    transitions: list[tuple[datetime, dict[str, object]]] = []
    for rid in range(first_id, first_id + runs):
        transitions += _run(c, rnd, rid)
    for _, row in sorted(transitions, key=lambda tr: str(tr[0])):  # ids interleave the runs, as in real use
        _insert(c, "transitions", row)
    c.execute("COMMIT")
    c.close()


def _run(c: sqlite3.Connection, rnd: random.Random, rid: int) -> list[tuple[datetime, dict[str, object]]]:
    """One run, its event (or none), answers (or none) and decisions (none, one or two); returns its
    transitions, timed."""
    flow = rnd.choice(["alpha", "alpha", "beta"])
    steps = FLOWS[flow]
    t0 = datetime(2026, 12, 20, tzinfo=UTC) + timedelta(minutes=rnd.randrange(30 * 24 * 60))
    event_id = None
    if rnd.random() < 0.8:  # the others are triggered at their start
        source = rnd.choice(["console", "alertmanager", "grafana"])
        _insert(c, "events", {"source": source, "kind": "alert", "first_seen_at": iso(t0), "last_seen_at": iso(t0)})
        event_id = c.execute("SELECT last_insert_rowid()").fetchone()[0]
    fate = rnd.choice(["completed", *FATES])
    status, state, how_far, end = FATES[fate]
    reached = {"all": len(steps), "none": 0}.get(how_far, rnd.randint(1, len(steps)))
    updated = NOW - timedelta(days=30 if fate == "idle" else 1)  # far from the 7 idle days either way
    _insert(c, "runs", {"id": rid, "flow_id": flow, "flow_version": "v1", "event_id": event_id,
                        "channel": rnd.choice(["slack", "teams"]), "conversation": f"slack:C{rid}",
                        "facilitator_id": "slack:U1", "state": state or steps[reached - 1], "status": status,
                        "context": "{}", "started_at": iso(t0 + timedelta(seconds=5)), "updated_at": iso(updated)})  # fmt: skip
    transitions, at, prev = [], t0, ""
    for target in steps[:reached] + ([end] if end else []):
        at += timedelta(minutes=rnd.randrange(1, 600))
        transitions.append((at, {"run_id": rid, "source": prev, "target": target, "event": "next", "at": iso(at)}))
        prev = target
    if rnd.random() < 0.8:  # the others are never answered
        for n in range(rnd.randint(1, 3)):  # whole quarter hours: many equal latencies
            answered = t0 + timedelta(minutes=15 * rnd.randrange(1, 40))
            _insert(c, "answers", {"run_id": rid, "step": steps[0], "item": n, "actor_id": "slack:U1", "value": '"x"',
                                   "raw": "x", "kind": "answer", "revision": 1, "at": iso(answered)})  # fmt: skip
    for _ in range(rnd.choice([0, 1, 1, 2])):  # never, once or twice decided
        decided = iso(t0 + timedelta(minutes=30 * rnd.randrange(1, 100)))
        _insert(c, "decisions", {"run_id": rid, "flow_id": flow, "title": "t", "text": "d", "decided_by": "slack:U1",
                                 "decided_at": decided, "updated_at": decided})  # fmt: skip
    return transitions


def _ties(path: Path) -> None:
    """Two gamma runs reach g1 and g2 as often: the view orders them by the first transition there
    (g2, reached first by a run that went back to g1)."""
    c = sqlite3.connect(path, isolation_level=None)
    for rid, path_steps in ((9001, ["g2", "g1"]), (9002, ["g1", "g2"])):
        c.execute("INSERT INTO runs (id, flow_id, flow_version, channel, conversation, facilitator_id, state, status,"
                  " context, started_at, updated_at) VALUES (?, 'gamma', 'v1', 'slack', 'slack:G', 'slack:U1', ?,"
                  " 'active', '{}', '2026-12-31T23:59:59.999Z', ?)", (rid, path_steps[-1], iso(NOW)))  # fmt: skip
        for source, target in zip(["", *path_steps], path_steps, strict=False):
            c.execute("INSERT INTO transitions (run_id, source, target, event, at) VALUES (?, ?, ?, 'next', '2027')",
                      (rid, source, target))  # fmt: skip
    c.close()


def assert_same_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = {}
    for name in IN_ORDER:
        rows[name] = conn.execute(f"SELECT * FROM {name}").fetchall()
        assert rows[name] == conn.execute(as_view(MEASURES[name])).fetchall(), name
    conn.close()
    return rows


def _plan(conn: sqlite3.Connection, name: str) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {name}")]


def assert_read_in_order(conn: sqlite3.Connection) -> None:
    """``step_dropoff`` does not scan the transitions (it grouped every one of them)."""
    dropoff = _plan(conn, "step_dropoff")
    assert not [step for step in dropoff if re.match(r"SCAN (t|transitions)\b", step)], dropoff


def test_the_views_show_their_definitions_rows_on_a_generated_ledger(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    generate(path)
    _ties(path)
    rows = assert_same_rows(path)
    latency = {(r[0], r[1]): r for r in rows["latency_summary"]}
    assert {"2026-W52", "2026-W53", "2027-W01"} <= {key for dim, key in latency if dim == "week"}
    everyone = latency[("all", "")]
    assert everyone[2] > everyone[3] > everyone[6] > 0  # runs > answered > decided
    dropoff = rows["step_dropoff"]
    assert any(r[3] for r in dropoff) and any(r[5] for r in dropoff)  # dropped off, waiting
    assert [r[1] for r in dropoff if r[0] == "gamma"] == ["g2", "g1"]
    assert_read_in_order(open_db(path).conn)


def test_a_ledger_of_the_previous_version_gets_the_views_in_order(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    generate(path)
    conn = sqlite3.connect(path, isolation_level=None)
    before_dropoff_from_summary(conn)
    expected = assert_same_rows(path)
    assert not [r for r in conn.execute("PRAGMA index_list(transitions)") if r[1] == "transitions_target"]
    conn.close()
    migrated = open_db(path)  # applies m008: the index, the views
    assert "transitions_target" in {r[1] for r in migrated.conn.execute("PRAGMA index_list(transitions)")}
    assert_read_in_order(migrated.conn)
    migrated.conn.close()
    assert assert_same_rows(path) == expected
    generate(path, runs=50, seed=12, first_id=1000)  # written after the migration: counted too
    _ties(path)
    assert assert_same_rows(path) != expected


def test_the_views_do_not_depend_on_the_order_sqlite_happens_to_scan(tmp_path: Path) -> None:
    """SQLite promises no order for rows it reads without ORDER BY; the pragma made to flush out
    queries that rely on one changes neither view (a rewrite that aggregated an index scan into
    sorted lists got the p90 wrong under it, and was not kept)."""
    path = tmp_path / "g.db"
    generate(path)
    _ties(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA reverse_unordered_selects = ON")
    for name in IN_ORDER:
        assert conn.execute(f"SELECT * FROM {name}").fetchall() == conn.execute(as_view(MEASURES[name])).fetchall()
    conn.close()
