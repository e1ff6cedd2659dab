"""The flow IR: what a flow file says, checked and typed, before it is compiled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.engine.answers import Option

ANSWER_TYPES = ("text", "choice", "yes_no", "person", "date", "number", "repeat")
FINAL_STATES = ("completed", "cancelled")


@dataclass(frozen=True)
class Branch:
    """``goto`` when the expression ``when`` holds; ``when`` None is the default branch."""

    goto: str
    when: str | None = None


@dataclass(frozen=True)
class Question:
    """What every asking thing shares: a step or a field of a repeated group."""

    id: str
    ask: str
    type: str
    options: tuple[Option, ...] = ()
    optional: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    not_before: str | None = None
    not_after: str | None = None
    help: str | None = None
    example: str | None = None
    label: str | None = None  # what people call the answer: "budget" reads "the budget"


@dataclass(frozen=True)
class Step(Question):
    to: str = "facilitator"
    fields: tuple[Question, ...] = ()
    min_items: int = 0
    item_label: str = "Item"
    next: tuple[Branch, ...] = ()
    on_fail: str = "escalate"
    max_failures: int = 3
    complete_when: str = "all"  # fan-out steps: all | any

    @property
    def fan_out(self) -> tuple[str, str] | None:
        """For ``to: each <source>.<field>``: (source, field); source is a step id or
        ``trigger.<name>``."""
        if not self.to.startswith("each "):
            return None
        source, _, fld = self.to[5:].strip().rpartition(".")
        return source, fld

    def field(self, field_id: str) -> Question | None:
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True)
class Timers:
    remind_after: timedelta | None = None
    escalate_after: timedelta | None = None
    expire_after: timedelta | None = None


@dataclass(frozen=True)
class Record:
    """How a completed run is written to the decision ledger."""

    decision: str | None = None  # a step id, or a template
    actions: str | None = None  # a repeat step with fields what, owner, due
    accepts: str | None = None  # the fan-out yes/no step where owners accept their actions
    review_at: str | None = None  # a date step
    # review flows: the decision under review (from the trigger) and what became of it
    outcome: str | None = None  # a choice step answering keep | change | drop
    actions_done: str | None = None  # a fan-out yes/no step over trigger.actions
    # action handover flows ('give A12 @person'): the new owner's yes/no over trigger.actions
    handover: str | None = None


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    version: str
    path: str
    text: str
    roles: dict[str, str]
    steps: tuple[Step, ...]
    timers: Timers = Timers()
    record: Record = Record()
    on_complete: tuple[dict[str, Any], ...] = ()
    description: str = ""
    _index: dict[str, Step] = field(default_factory=dict, compare=False, repr=False)
    _position: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({s.id: s for s in self.steps})
        self._position.update({s.id: i for i, s in reversed(list(enumerate(self.steps)))})  # a twice-used id: its first

    def step(self, step_id: str) -> Step:
        return self._index[step_id]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._index

    @property
    def first(self) -> Step:
        return self.steps[0]

    @property
    def reviews_a_decision(self) -> bool:
        """A review flow (``decision_review``): it asks the owners of a recorded decision, which its
        trigger names (``decision_id``), about their actions (``record.actions_done``); started
        without one it would review nothing. ``record.outcome`` alone does not make one: a flow of
        a company's own may record an outcome of its own choice."""
        return self.record.actions_done is not None

    @property
    def item_labels(self) -> tuple[str, ...]:
        """What the items of the flow's repeat steps are called ("Action", "Task")."""
        return tuple(dict.fromkeys(s.item_label for s in self.steps if s.type == "repeat"))

    def asks_named(self, step: Step) -> bool:
        """Whether ``step`` is asked of people an earlier answer named (a fan-out over owners, or
        ``to: <person step>``), in private: their answers, not the facilitator's to redo."""
        return step.fan_out is not None or self.to_person_step(step.to)

    def others_answer(self, step: Step) -> bool:
        """Whether ``step``'s answers are others' than the facilitator's: asked of people named
        (:meth:`asks_named`), of the participants, or of another role. 'back' goes over them to the
        facilitator's answer before, and they are asked again when the run comes back to them."""
        return self.asks_named(step) or step.to != "facilitator"

    def to_person_step(self, to: str) -> bool:
        """``to`` names an earlier ``person`` step (``to: acknowledge``), not a role: the one
        person that step named is asked."""
        return self.has_step(to) and to not in self.roles

    def item_label_of(self, step: Step) -> str:
        """What an item of ``step`` is called; for a fan-out, its source step's items (the actions
        of ``trigger.actions`` that a review reopens are called Action)."""
        if step.fan_out:
            source = step.fan_out[0]
            return self.step(source).item_label if self.has_step(source) else "Action"
        return step.item_label

    def successors(self, step: Step) -> list[str]:
        """Every step (or final state) that can follow ``step``."""
        if step.next:
            return [b.goto for b in step.next]
        pos = self._position[step.id]
        return [self.steps[pos + 1].id] if pos + 1 < len(self.steps) else ["completed"]

    def reachable(self, starts: Iterable[str]) -> set[str]:
        """The steps a run can be at from ``starts`` (themselves included) by the branches; the
        ends (completed, cancelled) aside."""
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            current = todo.pop()
            if current in seen or not self.has_step(current):
                continue
            seen.add(current)
            todo.extend(self.successors(self.step(current)))
        return seen
