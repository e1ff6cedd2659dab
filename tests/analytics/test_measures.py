"""Each measure on the hand-built history of ``history.py``, against answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.analytics import report
from bot.analytics.measures import Params, median, p90
from bot.analytics.sql import MEASURES, as_view
from bot.store import open_readonly
from tests.analytics.history import build, by

AS_OF = datetime(2026, 3, 31, tzinfo=UTC)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.db"
    build(path).conn.close()
    return path


def make(ledger: Path, **kwargs: object) -> dict:
    db = open_readonly(ledger)
    try:
        return report.build(db.conn, Params(as_of=AS_OF, **kwargs))  # type: ignore[arg-type]
    finally:
        db.conn.close()


@pytest.fixture(scope="module")
def rep(ledger: Path) -> dict:
    return make(ledger)


def test_median_and_p90_definitions() -> None:
    assert median([3, 1, 2]) == 2.0 and median([4, 1, 3, 2]) == 2.5 and median([]) is None
    assert p90([5, 1, 2, 3, 4]) == 5.0  # rank ceil(4.5) = 5
    assert p90(list(range(1, 11))) == 9.0  # rank ceil(9.0) = 9
    assert p90([7]) == 7.0 and p90([]) is None


def test_totals(rep: dict) -> None:
    assert rep["totals"] == {"runs": 7, "completed": 4, "active": 2, "cancelled": 1, "stalled": 0,
                             "decisions": 3, "actions": 10, "reviews": 4}  # fmt: skip


def test_latency_by_every_dimension(rep: dict) -> None:
    rows = by(rep["latency"], "dimension", "key")
    cols = ("runs", "answered", "median_hours_to_first_answer", "p90_hours_to_first_answer", "decided",
            "median_hours_to_decision", "p90_hours_to_decision")  # fmt: skip
    expected = {
        ("all", ""): (7, 5, 1.0, 2.0, 3, 4.0, 10.0),
        ("flow", "post_meeting"): (4, 3, 1.0, 1.0, 2, 3.0, 4.0),
        ("flow", "metric_breach"): (2, 2, 1.5, 2.0, 1, 10.0, 10.0),
        ("flow", "decision_review"): (1, 0, None, None, 0, None, None),
        ("source", "console"): (4, 3, 1.0, 1.0, 2, 3.0, 4.0),
        ("source", "alertmanager"): (1, 1, 2.0, 2.0, 1, 10.0, 10.0),
        ("source", "grafana"): (1, 1, 1.0, 1.0, 0, None, None),
        ("source", "schedule"): (1, 0, None, None, 0, None, None),
        # by the trigger's kind: meetings and alerts apart, whatever platform or tool sent them
        ("kind", "manual"): (4, 3, 1.0, 1.0, 2, 3.0, 4.0),
        ("kind", "alert"): (2, 2, 1.5, 2.0, 1, 10.0, 10.0),
        ("kind", "review"): (1, 0, None, None, 0, None, None),
        ("channel", "slack"): (3, 2, 0.75, 1.0, 2, 3.0, 4.0),
        ("channel", "teams"): (2, 2, 1.5, 2.0, 1, 10.0, 10.0),
        ("channel", "console"): (2, 1, 1.0, 1.0, 0, None, None),
        # R2 was triggered on Sunday 23:30 UTC (Monday in Tokyo): its week is the UTC one, W10
        ("week", "2026-W10"): (2, 2, 0.75, 1.0, 2, 3.0, 4.0),
        ("week", "2026-W11"): (2, 2, 1.5, 2.0, 1, 10.0, 10.0),
        ("week", "2026-W12"): (2, 1, 1.0, 1.0, 0, None, None),
        ("week", "2026-W13"): (1, 0, None, None, 0, None, None),
        # the platform, as 'channel' (kept for the queries written before) says it
        ("platform", "slack"): (3, 2, 0.75, 1.0, 2, 3.0, 4.0),
        ("platform", "teams"): (2, 2, 1.5, 2.0, 1, 10.0, 10.0),
        ("platform", "console"): (2, 1, 1.0, 1.0, 0, None, None),
        # where each run lives (a conversation of its own here: R1's slack:C1 ...), without a thread
        ("conversation", "slack:C1"): (1, 1, 1.0, 1.0, 1, 2.0, 2.0),
        ("conversation", "slack:C2"): (1, 1, 0.5, 0.5, 1, 4.0, 4.0),
        ("conversation", "teams:C3"): (1, 1, 2.0, 2.0, 1, 10.0, 10.0),
        ("conversation", "teams:C4"): (1, 1, 1.0, 1.0, 0, None, None),
        ("conversation", "console:C5"): (1, 1, 1.0, 1.0, 0, None, None),
        ("conversation", "console:C6"): (1, 0, None, None, 0, None, None),
        ("conversation", "slack:C7"): (1, 0, None, None, 0, None, None),
    }
    assert set(rows) == set(expected)
    for key, values in expected.items():
        assert tuple(rows[key][c] for c in cols) == values, key
    assert [r["dimension"] for r in rep["latency"]][:2] == ["all", "flow"]
    dimensions = [r["dimension"] for r in rep["latency"]]
    assert sorted(set(dimensions), key=dimensions.index) == [
        "all",
        "flow",
        "source",
        "kind",
        "channel",
        "week",
        "platform",
        "conversation",
    ]  # new ones last


def test_run_latency_names_the_trigger_kind(ledger: Path) -> None:
    """An analyst slicing decision times by trigger kind reads it on each run, in the view and in
    the definition's SQL alike."""
    db = open_readonly(ledger)
    try:
        view = dict(db.conn.execute("SELECT run_id, kind FROM run_latency").fetchall())
        definition = dict(db.conn.execute(f"SELECT run_id, kind FROM ({as_view(MEASURES['run_latency'])})").fetchall())
    finally:
        db.conn.close()
    assert (
        view == definition == {1: "manual", 2: "manual", 3: "alert", 4: "alert", 5: "manual", 6: "manual", 7: "review"}
    )


def test_follow_through_by_owner_and_flow(rep: dict) -> None:
    cols = ("actions", "no_due", "due", "done_on_time", "done_late", "overdue_open", "dropped", "follow_through",
            "median_days_late", "share_dropped")  # fmt: skip
    owners = by(rep["follow_through_by_owner"], "owner_id")
    assert tuple(owners["slack:bob"][c] for c in cols) == (4, 0, 3, 2, 1, 0, 1, 2 / 3, 1.0, 0.25)
    assert tuple(owners["slack:carol"][c] for c in cols) == (4, 1, 2, 0, 1, 1, 0, 0.0, 4.0, 0.0)
    assert tuple(owners["slack:dan"][c] for c in cols) == (2, 0, 2, 1, 1, 0, 0, 0.5, 10.0, 0.0)
    assert owners["slack:bob"]["owner_name"] == "bob"
    flows = by(rep["follow_through_by_flow"], "flow_id")
    assert tuple(flows["post_meeting"][c] for c in cols) == (7, 1, 5, 2, 2, 1, 0, 0.4, 2.5, 0.0)
    assert tuple(flows["metric_breach"][c] for c in cols) == (3, 0, 2, 1, 1, 0, 1, 0.5, 10.0, 1 / 3)


def test_review_adherence_with_default_grace(rep: dict) -> None:
    cols = ("reviews", "due", "held_on_time", "held_late", "missed", "pending", "adherence")
    rows = by(rep["review_adherence"], "flow_id")
    assert tuple(rows["post_meeting"][c] for c in cols) == (2, 2, 1, 1, 0, 0, 0.5)
    assert tuple(rows["metric_breach"][c] for c in cols) == (2, 1, 0, 0, 1, 1, 0.0)
    assert tuple(rows["(all)"][c] for c in cols) == (4, 3, 1, 1, 1, 1, 1 / 3)
    assert rep["review_adherence"][-1]["flow_id"] == "(all)"


def test_review_adherence_without_grace(ledger: Path) -> None:
    rows = by(make(ledger, grace_days=0)["review_adherence"], "flow_id")
    # V1 held 03-22 20:00 is now after its deadline (03-21 12:00); V4's deadline 03-30 12:00 has passed
    assert (rows["(all)"]["held_on_time"], rows["(all)"]["held_late"], rows["(all)"]["missed"]) == (0, 2, 2)
    assert rows["(all)"]["pending"] == 0 and rows["(all)"]["adherence"] == 0.0


def test_dropoff_per_step_in_flow_order(rep: dict) -> None:
    got = [(r["flow_id"], r["step"], r["reached"], r["dropped_off"], r["waiting"]) for r in rep["dropoff"]]
    assert got == [
        ("decision_review", "outcome", 1, 0, 0),
        ("metric_breach", "acknowledge", 2, 0, 0),
        ("metric_breach", "response", 2, 1, 0),  # R4 cancelled there
        ("metric_breach", "plan", 1, 0, 0),
        ("metric_breach", "actions", 1, 0, 0),
        ("metric_breach", "owner_accepts", 1, 0, 0),
        ("metric_breach", "review_at", 1, 0, 0),
        ("post_meeting", "decision", 4, 0, 1),  # R6 is active and not idle yet
        ("post_meeting", "actions", 3, 1, 0),  # R5 idle for 15 days; R1 went back once, counted once
        ("post_meeting", "owner_accepts", 2, 0, 0),
        ("post_meeting", "review_at", 2, 0, 0),
    ]
    rates = {(r["flow_id"], r["step"]): r["dropoff_rate"] for r in rep["dropoff"]}
    assert rates[("metric_breach", "response")] == 0.5 and rates[("post_meeting", "actions")] == 1 / 3


def test_dropoff_idle_cutoff_is_an_option(ledger: Path) -> None:
    rows = by(make(ledger, idle_days=30)["dropoff"], "flow_id", "step")
    assert (rows[("post_meeting", "actions")]["dropped_off"], rows[("post_meeting", "actions")]["waiting"]) == (0, 1)


def test_revisions_per_step_and_field(rep: dict) -> None:
    got = {(r["flow_id"], r["step"], r["field"]): (r["slots"], r["revised_slots"], r["revisions"], r["share_revised"])
           for r in rep["revisions"]}  # fmt: skip
    assert got == {
        ("metric_breach", "acknowledge", ""): (2, 0, 0, 0.0),
        ("metric_breach", "response", ""): (1, 0, 0, 0.0),
        ("post_meeting", "actions", "owner"): (2, 1, 2, 0.5),
        ("post_meeting", "actions", "what"): (1, 0, 0, 0.0),
        ("post_meeting", "decision", ""): (3, 1, 1, 1 / 3),
        ("post_meeting", "owner_accepts", ""): (1, 0, 0, 0.0),
        ("post_meeting", "review_at", ""): (1, 0, 0, 0.0),
    }


def test_participation_per_person(rep: dict) -> None:
    cols = ("name", "inbound_messages", "answers", "prompts_addressed", "prompts_answered", "response_rate",
            "runs_facilitated", "actions_owned")  # fmt: skip
    rows = {r["person"]: tuple(r[c] for c in cols) for r in rep["participation"]}
    assert rows == {
        "slack:alice": ("alice", 6, 9, 5, 5, 1.0, 3, 0),
        "slack:bob": ("bob", 1, 1, 1, 1, 1.0, 0, 4),
        "slack:carol": ("carol", 4, 3, 4, 3, 0.75, 2, 4),
        "slack:dan": ("dan", 1, 1, 2, 1, 0.5, 1, 2),
        "slack:erin": ("erin", 0, 0, 1, 0, 0.0, 1, 0),
    }


def test_trigger_quality(rep: dict) -> None:
    cols = ("events", "with_run", "decided", "share_decided", "runs", "repeats", "repeats_per_run")
    rows = {(r["source"], r["kind"]): tuple(r[c] for c in cols) for r in rep["trigger_quality"]}
    assert rows == {
        ("alertmanager", "alert"): (2, 1, 1, 0.5, 1, 3, 3.0),
        ("console", "manual"): (4, 4, 2, 0.5, 4, 0, 0.0),
        ("grafana", "alert"): (1, 1, 0, 0.0, 1, 1, 1.0),
        ("schedule", "review"): (1, 1, 0, 0.0, 1, 0, 0.0),
        ("(all)", "(not review)"): (7, 6, 3, 3 / 7, 6, 4, 4 / 6),
    }


def test_flow_filter_narrows_every_measure(ledger: Path) -> None:
    rep = make(ledger, flow="metric_breach")
    assert rep["totals"]["runs"] == 2 and rep["totals"]["actions"] == 3 and rep["totals"]["reviews"] == 2
    assert {r["flow_id"] for r in rep["follow_through_by_flow"]} == {"metric_breach"}
    assert {r["flow_id"] for r in rep["dropoff"]} == {"metric_breach"}
    quality = {(r["source"], r["kind"]): (r["events"], r["decided"]) for r in rep["trigger_quality"]}
    assert quality == {
        ("alertmanager", "alert"): (1, 1),
        ("grafana", "alert"): (1, 0),
        ("(all)", "(not review)"): (2, 1),
    }
    assert {r["person"] for r in rep["participation"]} == {"slack:bob", "slack:carol", "slack:dan"}


def test_window_is_whole_utc_days(ledger: Path) -> None:
    rep = make(ledger, since=date(2026, 3, 9), until=date(2026, 3, 10))
    # R3 (03-09 00:00) and R4 (03-10 00:00); R2 at 03-08 23:30 UTC stays out although it is 03-09 in Tokyo
    assert rep["totals"]["runs"] == 2
    assert by(rep["latency"], "dimension", "key")[("all", "")]["decided"] == 1
    assert [(r["source"], r["events"]) for r in rep["trigger_quality"]] == [
        ("alertmanager", 1),
        ("grafana", 1),
        ("(all)", 2),
    ]
