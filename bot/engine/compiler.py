"""Flow IR to a python-statemachine StateChart, one class per flow version.

States are the flow's steps plus the finals ``completed`` and ``cancelled``. Events:

- ``next``: the current step is answered; guarded transitions pick the branch whose ``when``
  holds (compiled by python-statemachine's restricted evaluator, never ``eval``-ed). Guards read
  the answers, passed as keyword arguments of the event.
- ``back``: return to the step the run came from (``prev=<step id>``), one transition per
  possible predecessor.
- ``cancel``: from any step to ``cancelled``.

``completed`` and ``cancelled`` are where runs end; nothing leaves them.

State lives on a model object owned by the caller (``model.state`` is the step id), so the run's
row is the only truth: the engine loads the row's state into the model, sends one event and saves
the model's state back in the same transaction. Building a StateChart instance costs about as
much as a whole turn (0.2-0.5 ms on this machine class), so one interpreter instance per flow
version is cached and re-pointed at each run's state; it keeps no run data of its own. Its
transition is picked from a table of the compiled machine's transitions and guards
(:func:`branches`), without a pass through python-statemachine's engine for every event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statemachine import StateChart, registry
from statemachine.callbacks import SpecReference
from statemachine.event import _event_data_kwargs
from statemachine.io import create_machine_class_from_definition
from statemachine.io.evaluators import RestrictedEvaluator
from statemachine.utils import qualname

from bot.engine.model import FINAL_STATES, Flow


@dataclass
class MachineModel:
    """What the machine reads and writes: the current state value."""

    state: str | None = None


def predecessors(flow: Flow) -> dict[str, list[str]]:
    """For every step, the steps that can lead to it."""
    out: dict[str, list[str]] = {s.id: [] for s in flow.steps}
    for step in flow.steps:
        for succ in flow.successors(step):
            if succ in out and step.id not in out[succ]:
                out[succ].append(step.id)
    return out


def _came_from(step_id: str) -> Callable[..., bool]:
    def came_from(prev: str | None = None, **_: Any) -> bool:
        return prev == step_id

    came_from.__name__ = f"came_from_{step_id}"
    return came_from


def _unanswered_is_false(cond: Callable[..., bool], when: str) -> Callable[..., bool]:
    """A step not answered (skipped, or on a branch the run did not take) is None to a condition;
    comparing it (``impact > 100``) is then false, not a TypeError that rolls the turn back.
    The guard is named by its condition, as diagrams show it."""

    def check(*args: Any, **kwargs: Any) -> bool:
        try:
            return bool(cond(*args, **kwargs))
        except TypeError:
            return False

    check.__name__ = check.__qualname__ = when
    return check


def compile_flow(flow: Flow, drawn: bool = False) -> type[StateChart]:
    """The machine of ``flow``; ``drawn``: for a diagram only, its ends marked final (see below)."""
    evaluator = RestrictedEvaluator()
    preds = predecessors(flow)
    states: dict[str, Any] = {}
    for i, step in enumerate(flow.steps):
        nexts = []
        for branch in step.next or ():
            t: dict[str, Any] = {"target": branch.goto}
            if branch.when:
                t["cond"] = _unanswered_is_false(evaluator.compile_bool(branch.when), branch.when)
            nexts.append(t)
        if not nexts:
            nexts = [{"target": flow.successors(step)[0]}]
        on: dict[str, list[dict[str, Any]]] = {
            "next": nexts,
            "cancel": [{"target": "cancelled"}],
        }
        if preds[step.id]:
            on["back"] = [{"target": p, "cond": _came_from(p)} for p in preds[step.id]]
        states[step.id] = {"initial": i == 0, "name": step.id, "on": on}
    for final in FINAL_STATES:
        # Ends of the flow, but not ``final`` for python-statemachine: a StateChart that reaches a
        # final state stops for good, and the cached interpreter serves every run of the version.
        # Nothing leaves them, and the run's status says the run is over.
        # A diagram marks them as ends all the same ([*] in Mermaid, a double border in DOT).
        states[final] = {"name": final, "final": True} if drawn else {"name": final}
    cls = create_machine_class_from_definition(
        f"Flow_{flow.id}_{flow.version}",
        states,
        catch_errors_as_events=False,
        allow_event_without_transition=False,
        validate_trap_states=False,
        validate_final_reachability=False,
    )
    # python-statemachine registers every machine class by name for the life of the process
    # (for its Django mixin, which looks machines up by name). The engine never does, and a
    # class left there would outlive its flow version when the flows folder is edited.
    # A private name (the version is pinned below 3.3): should it move, the class just stays.
    getattr(registry, "_REGISTRY", {}).pop(qualname(cls), None)
    return cls


@dataclass(frozen=True)
class Branch:
    """One transition of the compiled machine: its target and its guards (none: always taken)."""

    target: str
    conds: tuple[Callable[..., Any], ...] = ()


def branches(machine_class: type[StateChart]) -> dict[tuple[str, str], tuple[Branch, ...]]:
    """(state, event) -> the transitions python-statemachine chooses among, in its order (it takes
    the first whose guards all hold), for the events whose transitions hold nothing but a target
    and guards of ours (no validator, and no action: only its conventional callbacks, which the
    model and the class do not define). An event with anything else is left to the machine."""
    table: dict[tuple[str, str], list[Branch] | None] = {}
    for state in machine_class.states:
        plain_state = all(spec.is_convention for spec in (*state.enter, *state.exit))
        for t in state.transitions:
            conds = [spec.func for spec in t.cond]
            actions = (*t.before, *t.on, *t.after, *(s for target in t.targets for s in target.enter))
            plain = (
                plain_state
                and len(t.targets) == 1
                and not list(t.validators)
                and all(spec.is_convention for spec in actions)
                and all(_plain_guard(spec) for spec in t.cond)
            )
            for event in t.events:
                key = (state.id, str(event))
                found = table.setdefault(key, [])
                if found is None:
                    continue
                if not plain:
                    table[key] = None  # the machine decides
                    continue
                found.append(Branch(t.targets[0].id, tuple(conds)))
    return {key: tuple(found) for key, found in table.items() if found}


def _plain_guard(spec: Any) -> bool:
    """A guard of ours as the compiler gave it: a function, taken when it returns true."""
    return spec.reference == SpecReference.CALLABLE and spec.cond is None and spec.expected_value is True


class Interpreter:
    """One flow version's machine, re-pointed at a run's state for each event. The transition is
    picked from the table of the compiled machine's transitions (:func:`branches`), as the machine
    picks it: the first whose guards hold. Without a pass through its engine, which costs about as
    much as the rest of the turn's engine work; the machine itself decides what the table does not
    hold, refuses an event no transition takes, and says what a guard that fails raised."""

    def __init__(self, flow: Flow):
        self.flow = flow
        self.model = MachineModel()
        self.machine_class = compile_flow(flow)
        self.machine = self.machine_class(model=self.model)
        self.predecessors = predecessors(flow)
        self.table = branches(self.machine_class)

    def send(self, state: str, event: str, **kwargs: Any) -> str:
        """Send ``event`` to a run standing in ``state``; return the state it moves to."""
        self.model.state = state
        found = self.table.get((state, event))
        if found is not None and not (kwargs.keys() & _event_data_kwargs):
            try:  # guards read the answers from the keywords, and the machine's model as the engine passes it
                for branch in found:
                    if all(cond(machine=self.machine, **kwargs) for cond in branch.conds):
                        return branch.target
            except Exception:  # noqa: BLE001 - the machine raises it again, as it does
                pass
        self.machine.send(event, **kwargs)  # none taken (refused), or not in the table
        return str(self.model.state)


_cache: dict[str, Interpreter] = {}


def interpreter(flow: Flow) -> Interpreter:
    """The cached interpreter of this flow version."""
    key = f"{flow.id}@{flow.version}"
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = Interpreter(flow)
    return found


def forget(flow_id: str, version: str) -> None:
    """Let a flow version's interpreter go (a catalog no longer holds that version): built
    again if a run on it takes another turn."""
    _cache.pop(f"{flow_id}@{version}", None)
