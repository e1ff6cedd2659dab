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
version is cached and re-pointed at each run's state; it keeps no run data of its own. An event
whose first transition is unconditional is answered from a table the compiled machine yields
(:func:`unguarded`); a guarded one (a branch, ``back``) goes through the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statemachine import StateChart, registry
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


def unguarded(machine_class: type[StateChart]) -> dict[tuple[str, str], str]:
    """(state, event) -> target, where the compiled machine's first transition for that event is
    unconditional: python-statemachine always takes it (no guard, no validator, and no action of
    ours: only its conventional callbacks, which the model and the class do not define)."""
    table: dict[tuple[str, str], str] = {}
    for state in machine_class.states:
        if any(not spec.is_convention for spec in (*state.enter, *state.exit)):
            continue
        for t in state.transitions:
            for event in t.events:
                key = (state.id, str(event))
                if key in table or (key[0], f"!{key[1]}") in table:
                    continue  # not its first transition for that event
                plain = not list(t.cond) and not list(t.validators) and len(t.targets) == 1
                actions = (*t.before, *t.on, *t.after, *t.targets[0].enter)
                if plain and all(spec.is_convention for spec in actions):
                    table[key] = t.targets[0].id
                else:
                    table[(key[0], f"!{key[1]}")] = ""  # guarded: the machine decides
    return {key: target for key, target in table.items() if not key[1].startswith("!")}


class Interpreter:
    """One flow version's machine, re-pointed at a run's state for each event. An event whose
    first transition from that state is unconditional (``cancel``; ``next`` of a step without
    branches) is looked up in the table the compiled machine yields: what the machine would do,
    without a pass through its engine (a third of the engine's turn)."""

    def __init__(self, flow: Flow):
        self.flow = flow
        self.model = MachineModel()
        self.machine_class = compile_flow(flow)
        self.machine = self.machine_class(model=self.model)
        self.predecessors = predecessors(flow)
        self.unguarded = unguarded(self.machine_class)

    def send(self, state: str, event: str, **kwargs: Any) -> str:
        """Send ``event`` to a run standing in ``state``; return the state it moves to."""
        target = self.unguarded.get((state, event))
        if target is not None:
            return target
        self.model.state = state
        self.machine.send(event, **kwargs)
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
