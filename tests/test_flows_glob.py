"""Every flow in flows/ loads, validates and reaches its end along scripted paths.

Found by glob: a new flow is covered without a new test. An autopilot answers each prompt as
the person it is addressed to, from what the prompt ``expects``; it is run once per choice
index, so every branch picked by a choice is walked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dispatch import Dispatcher
from bot.engine.reader import read_flow_file
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Reply, Trigger
from bot.store import open_db

ROOT = Path(__file__).resolve().parents[1]
FLOWS = [p for p in sorted((ROOT / "flows").glob("*.yaml")) if p.stem not in ("routes", "checks")]
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
ALICE, BOB, CAROL = (Actor(f"console:{n}", n) for n in ("alice", "bob", "carol"))


def answer_for(expects: dict, choice: int, step_items: dict[str, int], step: str) -> str:
    kind = expects["type"]
    if "done_words" in expects:
        step_items[step] = step_items.get(step, 0) + 1
        if step_items[step] > 1:
            return "done"
    if kind == "text":
        return "An answer from the autopilot"
    if kind == "choice":
        options = expects["options"]
        return options[min(choice, len(options) - 1)]["value"]
    if kind == "yes_no":
        return "yes"
    if kind == "person":
        return "@bob"
    if kind == "number":
        return str(expects.get("min") or 1)
    if kind == "date":
        low = date.fromisoformat(expects["not_before"]) if expects.get("not_before") else NOW.date()
        pick = low + timedelta(days=7)
        if expects.get("not_after"):
            pick = min(pick, date.fromisoformat(expects["not_after"]))
        return pick.isoformat()
    raise AssertionError(f"no autopilot answer for {expects}")


def autopilot(dispatcher: Dispatcher, flow: str, choice: int, data: dict | None = None) -> tuple[int, str]:
    conv = ConversationKey("console", f"{flow}-{choice}")
    trigger = Trigger(flow=flow, title="Autopilot", facilitator=ALICE, participants=[BOB, CAROL], data=data or {})
    result = dispatcher.start(trigger, conv)
    waiting: dict[str, Reply] = {}
    step_items: dict[str, int] = {}
    status = result.outcome.status
    for _ in range(80):
        for reply in result.outcome.replies:
            if reply.kind == "prompt" and reply.to is not None and reply.expects is not None:
                waiting[reply.to.id] = reply
        status = result.outcome.status
        if status in ("completed", "cancelled"):
            return result.run_id, status
        assert waiting, f"{flow}: nobody is being asked anything, yet the run is {status}"
        actor_id, reply = next(iter(waiting.items()))
        del waiting[actor_id]
        assert reply.to is not None and reply.expects is not None
        text = answer_for(reply.expects, choice, step_items, reply.step or "")
        turn = dispatcher.handle(Message(conv, reply.to, text))
        assert turn is not None, f"{flow}: the answer {text!r} to {reply.step} found no run"
        assert turn.outcome.inbound_kind in ("answer", "command"), (reply.step, text, turn.outcome.replies)
        result = turn
    raise AssertionError(f"{flow} did not finish in 80 turns")


def needs_decision(path: Path) -> bool:
    return any(s.fan_out and s.fan_out[0] == "trigger.actions" for s in read_flow_file(path).steps)


@pytest.mark.parametrize("path", FLOWS, ids=[p.stem for p in FLOWS])
def test_flow_loads_and_reaches_its_end_on_every_choice(path: Path, tmp_path: Path) -> None:
    walk_every_choice(path, tmp_path)


def walk_every_choice(path: Path, tmp_path: Path) -> None:
    """Walk the flow at ``path`` once per choice index: each walk ends where the flow says (a
    branch to ``cancelled`` ends the run without a decision), and at least one records one."""
    flow = read_flow_file(path)
    db = open_db(tmp_path / "flows.db")
    dispatcher = Dispatcher(db, FlowCatalog(path.parent, db), ZoneInfo("Europe/Paris"), clock=lambda: NOW)
    max_options = max([len(s.options) for s in flow.steps] + [1])
    statuses: set[str] = set()
    for choice in range(max_options):
        data = {}
        if needs_decision(path):
            run_id, _ = autopilot(dispatcher, "post_meeting", 0)
            decision = db.execute("SELECT id FROM decisions WHERE run_id = ?", [run_id]).fetchone()
            data = {"decision_id": decision[0]}
        run_id, status = autopilot(dispatcher, flow.id, choice, data)
        statuses.add(status)
        row = db.execute("SELECT state, status, completed_at FROM runs WHERE id = ?", [run_id]).fetchone()
        assert row[0] == status and row[1] == status and row[2] is not None
        answered = db.execute("SELECT count(*) FROM answers WHERE run_id = ?", [run_id]).fetchone()[0]
        assert answered >= 1
    assert "completed" in statuses, f"{flow.id}: no walk recorded a decision"


def test_every_flow_is_found() -> None:
    assert {p.stem for p in FLOWS} >= {"post_meeting", "metric_breach", "decision_review"}


GO_OR_STOP = """\
id: go_or_stop
title: Go or stop
steps:
  - id: call
    ask: "Go?"
    type: choice
    options: [go, stop]
    next:
      - {when: "call == 'stop'", goto: cancelled}
      - goto: completed
record:
  decision: call
"""


def test_a_flow_with_a_branch_to_cancelled_passes_the_glob_walk(tmp_path: Path) -> None:
    """A company's flow that ends a run without a decision on one branch (``goto: cancelled``, as
    the README allows) is walked to both ends; before, the walk refused it as not completed."""
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "go_or_stop.yaml").write_text(GO_OR_STOP, encoding="utf-8")
    walk_every_choice(folder / "go_or_stop.yaml", tmp_path)


def _guard_values(flow) -> list[dict[str, object]]:
    """Answers to send guards with: each step unanswered, then each step (and all at once) given
    each value a branch may look at: yes/no, a choice's options, numbers, a person's id."""
    values: list[object] = [True, False, 0, 1, 100, 1000, "x", "console:alice"]
    for step in flow.steps:
        for q in (step, *step.fields):
            values += [o.value for o in q.options or ()] if hasattr(q, "options") and q.options else []
    plain = {s.id: None for s in flow.steps}
    out = [plain]
    for value in values:
        out.append({s: value for s in plain})
        out += [{**plain, s: value} for s in plain]
    return out


@pytest.mark.parametrize("path", FLOWS, ids=[p.stem for p in FLOWS])
def test_the_interpreters_table_moves_a_run_where_its_machine_would(path: Path) -> None:
    """The interpreter picks a run's next state from a table of the compiled machine's transitions
    (their targets and guards, in the machine's order), without a pass through python-statemachine's
    engine: for every state, event and answers, where the machine itself goes, or refused alike."""
    from statemachine.exceptions import TransitionNotAllowed

    from bot.engine.compiler import Interpreter

    flow = read_flow_file(path)
    interp = Interpreter(flow)
    assert any(event == "next" for _, event in interp.table)
    assert len(flow.steps) == 1 or any(event == "back" for _, event in interp.table)
    branching = [s.id for s in flow.steps if any(b.when for b in s.next or ())]
    assert all(any(b.conds for b in interp.table[(step, "next")]) for step in branching)
    states = [s.id for s in flow.steps] + ["completed", "cancelled"]
    for state in states:
        for event in ("next", "back", "cancel"):
            for answers in _guard_values(flow) if event == "next" else [{"prev": p} for p in [None, *states]]:
                interp.model.state = state
                try:
                    interp.machine.send(event, **answers)
                    moved: str | None = str(interp.model.state)
                except TransitionNotAllowed:
                    moved = None
                try:
                    took: str | None = interp.send(state, event, **answers)
                except TransitionNotAllowed:
                    took = None
                assert took == moved, (state, event, answers)
