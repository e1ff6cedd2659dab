"""``decisionbot flows diagram FLOW --counts``: the flow's drawing with the ledger's numbers on it
(runs that reached each step, dropped off there, wait there; times each arrow was taken; runs at
each end), checked against the report's drop-off and the ledger's own rows."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("diagram") / "demo.db"
    assert run(db, "demo-data", "--runs", "40", "--seed", "7").exit_code == 0
    return db


def _steps(mermaid: str) -> dict[str, tuple[int, ...]]:
    """step -> its numbers, from lines ``state "actions · 31 reached, 4 dropped off, 0 waiting" as actions``."""
    found = re.findall(r'state "(\w+) · (\d+) reached, (\d+) dropped off, (\d+) waiting" as (\w+)', mermaid)
    assert all(name == step for name, *_, step in found)
    return {step: tuple(map(int, numbers)) for _name, *numbers, step in found}


def _arrows(mermaid: str) -> dict[tuple[str, str, str], int]:
    """(source, target, event) -> times, from lines ``actions --> owner_accepts : Next (27x)``."""
    return {
        (source, target, event.lower()): int(times)
        for source, target, event, times in re.findall(r"^\s*(\w+) --> (\w+) : (\w+) \((\d+)x\)", mermaid, re.M)
    }


@pytest.mark.parametrize("flow", ["post_meeting", "metric_breach", "decision_review"])
def test_each_step_shows_the_reports_dropoff_and_each_arrow_the_ledgers_moves(demo: Path, flow: str) -> None:
    before = hashlib.sha256(demo.read_bytes()).hexdigest()
    drawn = run(demo, "flows", "diagram", flow, "--counts")
    assert drawn.exit_code == 0, drawn.output
    report = json.loads(run(demo, "report", "--flow", flow, "--format", "json").output)
    expected = {r["step"]: (r["reached"], r["dropped_off"], r["waiting"]) for r in report["dropoff"]}
    assert _steps(drawn.output) == expected and sum(n for n, _, _ in expected.values()) > 0
    with sqlite3.connect(demo) as conn:
        moves = dict(
            ((s, t, e), n)
            for s, t, e, n in conn.execute(
                "SELECT source, target, event, count(*) FROM transitions JOIN runs r ON r.id = run_id"
                " WHERE r.flow_id = ? AND event IN ('next', 'back', 'cancel') GROUP BY 1, 2, 3",
                (flow,),
            )
        )
        ends = dict(conn.execute("SELECT status, count(*) FROM runs WHERE flow_id = ? GROUP BY 1", (flow,)))
    arrows = _arrows(drawn.output)
    assert {key: n for key, n in arrows.items() if n} == moves  # every move taken has its arrow
    assert set(arrows) > set(moves)  # and the arrows no run took say 0x
    assert f'state "completed · {ends["completed"]} runs" as completed' in drawn.output
    assert hashlib.sha256(demo.read_bytes()).hexdigest() == before  # counted, nothing written


def test_the_window_chooses_the_runs_and_dot_carries_the_numbers(demo: Path) -> None:
    none = run(demo, "flows", "diagram", "post_meeting", "--counts", "--since", "2999-01-01")
    assert none.exit_code == 0 and set(_steps(none.output).values()) == {(0, 0, 0)}
    assert set(_arrows(none.output).values()) == {0}
    dot = run(demo, "flows", "diagram", "post_meeting", "--counts", "--format", "dot").output
    reached = _steps(run(demo, "flows", "diagram", "post_meeting", "--counts").output)["actions"][0]
    assert f'actions [label="actions\\n{reached} reached, ' in dot


def test_a_window_without_counts_or_backwards_is_refused(demo: Path) -> None:
    alone = run(demo, "flows", "diagram", "post_meeting", "--since", "2026-01-01")
    assert alone.exit_code == 2 and "--since and --until choose the runs --counts counts: add --counts" in alone.output
    backwards = run(
        demo, "flows", "diagram", "post_meeting", "--counts", "--since", "2026-02-01", "--until", "2026-01-01"
    )
    assert backwards.exit_code == 2


def test_counts_need_a_ledger_and_make_none(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    result = run(missing, "flows", "diagram", "post_meeting", "--counts")
    assert result.exit_code == 1 and str(missing) in result.output and "demo-data" in result.output
    assert not missing.exists()


def test_moves_of_an_older_version_are_said_not_drawn(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    assert run(db, "demo-data", "--runs", "10", "--seed", "3").exit_code == 0
    with sqlite3.connect(db) as conn:
        run_id = conn.execute("SELECT id FROM runs WHERE flow_id = 'post_meeting' LIMIT 1").fetchone()[0]
        conn.execute(
            "INSERT INTO transitions (run_id, source, target, event, at) VALUES (?, 'agenda', 'decision', 'next', ?)",
            (run_id, "2026-09-01T10:00:00.000Z"),
        )
    result = CliRunner().invoke(
        main, ["--db", str(db), "--flows", str(ROOT / "flows"), "flows", "diagram", "post_meeting", "--counts"]
    )
    assert result.exit_code == 0 and "agenda" not in result.stdout
    assert result.stderr.startswith("Note: 1 move(s) of post_meeting's runs have no arrow on this drawing")
