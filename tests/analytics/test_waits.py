"""How long each person takes to answer a question put to them (per person, per step), and how long
a run waited before it stalled (per step): the views, the report and the same figures recomputed
here from the raw tables agree, on a history the real engine wrote (demo-data) and on a hand-made one."""

from __future__ import annotations

import math
import sqlite3
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.analytics import report, sql_waits
from bot.analytics.measures import Params
from bot.analytics.sql import as_view
from bot.cli import main
from bot.store import open_db, open_readonly
from tests.analytics.history import build

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("waits") / "demo.db"
    result = CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), "demo-data", "--runs", "40"])
    assert result.exit_code == 0, result.output
    return db


def _ms(at: str) -> int:
    return round(datetime.fromisoformat(at).timestamp() * 1000)


def _hours(start: str | None, end: str | None) -> float | None:
    return None if start is None or end is None else (_ms(end) - _ms(start)) / 3_600_000


def _p90(values: list[float]) -> float | None:
    return sorted(values)[math.ceil(0.9 * len(values)) - 1] if values else None


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def _same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), (g, w)
        assert all(_close(g[k], w[k]) for k in w), (g, w)


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def raw_answer_times(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per person, run and step prompted: the first prompt, their first answer there at or after it."""
    flows = dict(conn.execute("SELECT id, flow_id FROM runs"))
    asked: dict[tuple[str, int, str], str] = {}
    for person, run, step, at in conn.execute(
        "SELECT actor_id, run_id, coalesce(step, ''), created_at FROM messages"
        " WHERE direction = 'out' AND kind = 'prompt' AND actor_id IS NOT NULL AND run_id IS NOT NULL"
    ):
        if not person.endswith(":facilitator"):
            asked[(person, run, step)] = min(at, asked.get((person, run, step), at))
    given: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    for person, run, step, at in conn.execute("SELECT actor_id, run_id, step, at FROM answers"):
        given[(person, run, step)].append(at)
    rows = []
    for (person, run, step), first in sorted(asked.items()):
        later = [at for at in given[(person, run, step)] if at >= first]
        answered = min(later) if later else None
        rows.append({"person": person, "flow_id": flows[run], "run_id": run, "step": step, "asked_at": first,
                     "answered_at": answered, "hours_to_answer": _hours(first, answered)})  # fmt: skip
    return rows


def _summarised(rows: list[dict[str, Any]], keys: tuple[str, ...], value: str) -> dict[tuple[Any, ...], list[Any]]:
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r[value])
    return groups


def raw_answer_time_by(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for key, values in sorted(_summarised(rows, keys, "hours_to_answer").items()):
        done = [v for v in values if v is not None]
        out.append({**dict(zip(keys, key, strict=True)), "prompts": len(values), "answered": len(done),
                    "share_answered": len(done) / len(values),
                    "median_hours_to_answer": statistics.median(done) if done else None,
                    "p90_hours_to_answer": _p90(done)})  # fmt: skip
    return out


def raw_stalls(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Each stall: its step, and the last answer taken or step moved before it."""
    flows = dict(conn.execute("SELECT id, flow_id FROM runs"))
    moves = conn.execute("SELECT id, run_id, source, event, at FROM transitions ORDER BY id").fetchall()
    answered = conn.execute("SELECT run_id, at FROM answers").fetchall()
    rows = []
    for tid, run, step, event, at in moves:
        if event != "stall":
            continue
        before = [a for r, a in answered if r == run and a <= at]
        before += [
            a
            for i, r, _, e, a in moves
            if r == run
            and i < tid
            and e not in ("stall", "channel_lost", "channel_back", "thread_moved", "asked_again", "lead_left", "take")
        ]
        resumed = [a for i, r, _, e, a in moves if r == run and i > tid and e == "resume"]
        since = max(before)
        rows.append({"run_id": run, "flow_id": flows[run], "step": step, "waiting_since": since, "stalled_at": at,
                     "hours_waited": _hours(since, at), "resumed_at": min(resumed) if resumed else None})  # fmt: skip
    return rows


def raw_stall_waits(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for (flow, step), group in sorted(_summarised(rows, ("flow_id", "step"), "run_id").items()):
        mine = [r for r in rows if (r["flow_id"], r["step"]) == (flow, step)]
        waited = [r["hours_waited"] for r in mine]
        out.append({"flow_id": flow, "step": step, "stalls": len(mine), "runs": len(set(group)),
                    "resumed": sum(r["resumed_at"] is not None for r in mine),
                    "median_hours_waited": statistics.median(waited), "p90_hours_waited": _p90(waited),
                    "max_hours_waited": max(waited)})  # fmt: skip
    return out


def test_answer_times_are_those_of_the_raw_tables(demo: Path) -> None:
    conn = open_readonly(demo).conn
    rows = raw_answer_times(conn)
    assert sum(r["answered_at"] is not None for r in rows) > 100  # most are answered...
    assert any(r["answered_at"] is None for r in rows)  # ...not all
    assert all(r["hours_to_answer"] >= 0 for r in rows if r["answered_at"])
    _same_rows(_rows(conn, "SELECT * FROM answer_times"), rows)
    by_person, by_step = raw_answer_time_by(rows, ("person",)), raw_answer_time_by(rows, ("flow_id", "step"))
    assert len(by_person) >= 8 and {r["flow_id"] for r in by_step} >= {"post_meeting", "metric_breach"}
    _same_rows(_rows(conn, "SELECT * FROM answer_time_by_person"), by_person)
    _same_rows(_rows(conn, "SELECT * FROM answer_time_by_step"), by_step)
    rep = report.build(conn, Params(as_of=datetime.now(UTC)))
    names = {r["person"]: r["name"] for r in rep["participation"]}
    _same_rows(rep["answer_time_by_person"], [{**r, "name": names[r["person"]]} for r in by_person])
    assert all(r["name"] and not r["name"].startswith(("slack:", "teams:")) for r in rep["answer_time_by_person"])
    _same_rows(sorted(rep["answer_time_by_step"], key=lambda r: (r["flow_id"], r["step"])), by_step)  # flow order


def test_waits_before_stalls_are_those_of_the_raw_tables(demo: Path) -> None:
    conn = open_readonly(demo).conn
    rows = raw_stalls(conn)
    assert rows and all(r["hours_waited"] > 0 for r in rows)
    _same_rows(_rows(conn, "SELECT * FROM run_stalls"), rows)
    per_step = raw_stall_waits(rows)
    _same_rows(_rows(conn, "SELECT * FROM stall_waits"), per_step)
    in_flow_order = report.build(conn, Params(as_of=datetime.now(UTC)))["stall_waits"]
    _same_rows(sorted(in_flow_order, key=lambda r: (r["flow_id"], r["step"])), per_step)


def test_a_run_waits_from_its_last_answer_and_again_from_its_resume(tmp_path: Path) -> None:
    """R5 (post_meeting, at 'actions') took dan's decision on 03-16 09:00 and moved on before:
    stalled on 03-30 09:00, it had waited 14 days; resumed at 10:00 and stalled again a week later,
    it had waited 7 days from the resume."""
    path = tmp_path / "h.db"
    db = build(path)
    for event, at in (("stall", "2026-03-30T09:00:00.000Z"), ("resume", "2026-03-30T10:00:00.000Z"),
                      ("stall", "2026-04-06T10:00:00.000Z")):  # fmt: skip
        db.conn.execute(
            "INSERT INTO transitions (run_id, source, target, event, at) VALUES (5, 'actions', 'actions', ?, ?)",
            (event, at),
        )
    db.conn.commit()
    got = _rows(db.conn, "SELECT * FROM run_stalls")
    assert [(r["step"], r["waiting_since"], r["hours_waited"], r["resumed_at"]) for r in got] == [
        ("actions", "2026-03-16T09:00:00.000Z", 336.0, "2026-03-30T10:00:00.000Z"),
        ("actions", "2026-03-30T10:00:00.000Z", 168.0, None),
    ]
    assert _rows(db.conn, "SELECT * FROM stall_waits") == [
        {"flow_id": "post_meeting", "step": "actions", "stalls": 2, "runs": 1, "resumed": 1,
         "median_hours_waited": 252.0, "p90_hours_waited": 336.0, "max_hours_waited": 336.0}
    ]  # fmt: skip
    rep = report.build(db.conn, Params(as_of=datetime.now(UTC)))
    assert rep["stall_waits"] == _rows(db.conn, "SELECT * FROM stall_waits")
    assert report.build(db.conn, Params(flow="metric_breach"))["stall_waits"] == []


@pytest.mark.parametrize(
    "moves",
    [
        # R5 lost its Slack channel on 03-20 (the bot removed: ``channel_lost`` at its step) and got it back the next day
        (("channel_lost", "2026-03-20T09:00:00.000Z"), ("channel_back", "2026-03-21T09:00:00.000Z")),
        # R5's thread deleted on 03-20 (moved to a new one: ``thread_moved``), its question's message on 03-22 (``asked_again``)
        (("thread_moved", "2026-03-20T09:00:00.000Z"), ("asked_again", "2026-03-22T09:00:00.000Z")),
        # R5's facilitator left the company, found by its reminder on 03-23 (``lead_left``), the route's backup leading it
        # from then (``take``): the run was handed over, nobody answered, the step did not move
        (("lead_left", "2026-03-23T09:00:00.000Z"), ("take", "2026-03-23T09:00:00.000Z")),
    ],
)
def test_what_happened_to_a_run_meanwhile_is_no_move_the_wait_counts_from(
    tmp_path: Path, moves: tuple[tuple[str, str], ...]
) -> None:
    """R5 stalled on 03-30 after the channel, thread or lead changes of ``moves``: it had waited 14 days
    from its last answer, not from the channel's return, the question asked again or its new lead."""
    db = build(tmp_path / "h.db")
    for event, at in (*moves, ("stall", "2026-03-30T09:00:00.000Z")):
        db.conn.execute(
            "INSERT INTO transitions (run_id, source, target, event, at) VALUES (5, 'actions', 'actions', ?, ?)",
            (event, at),
        )
    db.conn.commit()
    got = _rows(db.conn, "SELECT * FROM run_stalls")
    assert [(r["waiting_since"], r["hours_waited"]) for r in got] == [("2026-03-16T09:00:00.000Z", 336.0)]
    assert got == raw_stalls(db.conn)


def test_a_ledger_made_before_counts_the_wait_past_a_lead_who_left_once_migrated(tmp_path: Path) -> None:
    """Its views, made when a new lead's ``take`` restarted the wait, are made again by m025."""
    db = build(tmp_path / "h.db")
    for event, at in (("lead_left", "2026-03-23T09:00:00.000Z"), ("take", "2026-03-23T09:00:00.000Z"),
                      ("stall", "2026-03-30T09:00:00.000Z")):  # fmt: skip
        db.conn.execute(
            "INSERT INTO transitions (run_id, source, target, event, at) VALUES (5, 'actions', 'actions', ?, ?)",
            (event, at),
        )
    for view in ("run_stalls", "stall_waits"):  # as m016 made them
        db.conn.execute(f"DROP VIEW {view}")
        before = sql_waits.MEASURES[view].replace("'asked_again', 'lead_left', 'take')", "'asked_again')")
        db.conn.execute(f"CREATE VIEW {view} AS {as_view(before)}")
    db.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm025_stall_waits_past_a_lead_who_left'")
    db.conn.commit()
    assert [r["hours_waited"] for r in _rows(db.conn, "SELECT * FROM run_stalls")] == [168.0]
    db.conn.close()
    migrated = open_db(tmp_path / "h.db").conn
    assert [r["hours_waited"] for r in _rows(migrated, "SELECT * FROM run_stalls")] == [336.0]
    assert [r["max_hours_waited"] for r in _rows(migrated, "SELECT * FROM stall_waits")] == [336.0]


def test_the_stalls_are_read_from_their_own_index(demo: Path) -> None:
    conn = open_readonly(demo).conn
    plan = " ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql_waits.STALL_WAITS}", _bind()))
    assert "transitions_stalls" in plan, plan


def _bind() -> dict[str, Any]:
    return Params(as_of=datetime.now(UTC)).bind()


def test_answer_times_of_a_ledger_made_before_are_counted_by_its_migration(demo: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(f"file:{demo}?mode=ro", uri=True) as source, sqlite3.connect(old) as copy:
        source.backup(copy)  # the WAL's pages too
    conn = sqlite3.connect(old, isolation_level=None)
    expected = conn.execute("SELECT * FROM analytics_prompts ORDER BY 1, 2, 3").fetchall()
    for view in sql_waits.MEASURES:
        conn.execute(f"DROP VIEW {view}")
    conn.execute("DROP INDEX transitions_stalls")
    conn.execute("DROP INDEX analytics_prompts_times")
    conn.execute("DROP TRIGGER analytics_answers_ai")  # the earlier ones kept no times
    conn.execute("DROP TRIGGER analytics_messages_ai")
    for column in ("asked_at", "answered_at", "answer_ms", "flow_id", "day"):
        conn.execute(f"ALTER TABLE analytics_prompts DROP COLUMN {column}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_answer_times_and_stall_waits'")
    conn.close()
    migrated = open_db(old)
    assert migrated.conn.execute("SELECT * FROM analytics_prompts ORDER BY 1, 2, 3").fetchall() == expected
    assert {t.name for t in migrated.triggers} >= {"analytics_answers_ai", "analytics_messages_ai"}
    _same_rows(_rows(migrated.conn, "SELECT * FROM answer_times"), raw_answer_times(migrated.conn))
    _same_rows(_rows(migrated.conn, "SELECT * FROM stall_waits"), raw_stall_waits(raw_stalls(migrated.conn)))


def test_the_report_lists_the_steps_of_each_flow_in_the_flows_order(demo: Path) -> None:
    """As drop-off does: a flow's steps as the flow asks them, not alphabetically."""
    rep = report.build(open_readonly(demo).conn, Params(as_of=datetime.now(UTC)))
    steps = [r["step"] for r in rep["answer_time_by_step"] if r["flow_id"] == "post_meeting"]
    assert steps == ["decision", "actions", "owner_accepts", "review_at"]
    dropoff = [r["step"] for r in rep["dropoff"] if r["flow_id"] == "post_meeting"]
    assert steps == dropoff
