"""Answers as prompts, summaries and the decision record's text show them to people: a choice by
the label people picked, everything else as :func:`questions.template_value` shows it. Conditions
(``when``) never see these: they compare the answers as kept, a choice by its value."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.engine import questions
from bot.engine.model import Flow, Question, Step


class ChoiceShown(str):
    """A choice's answer in a template: its label where it is printed (``{{ severity }}``), its
    value where it is compared (``{% if severity == 'sev2' %}``, as a ``when`` compares it), and
    either by name (``{{ severity.value }}``, ``{{ severity.label }}``)."""

    value: str

    def __new__(cls, value: str, label: str) -> ChoiceShown:
        shown = super().__new__(cls, label)
        shown.value = value
        return shown

    @property
    def label(self) -> str:
        return str.__str__(self)

    def __eq__(self, other: object) -> bool:
        return self.value == (other.value if isinstance(other, ChoiceShown) else other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.value)


class YesNoShown(str):
    """A yes/no answer in a template: ``yes`` or ``no`` where it is printed, and true or false where
    it is tested (``{% if approved %}`` is false for a no, as a ``when: "approved"`` is), equal to
    ``'yes'``/``'no'`` and to true/false alike."""

    said: bool

    def __new__(cls, said: bool) -> YesNoShown:
        shown = super().__new__(cls, questions.display(said))
        shown.said = said
        return shown

    def __bool__(self) -> bool:
        return self.said

    def __eq__(self, other: object) -> bool:
        return self.said is other if isinstance(other, bool) else str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return str.__hash__(self)


def label_of(q: Question, value: Any) -> str | None:
    """The label of the option of ``q`` whose value is ``value``; None when it is not one (an
    answer kept before the option was renamed)."""
    return next((o.label for o in q.options if o.value == value), None)


def display(q: Question | None, value: Any) -> str:
    """An answer to ``q`` as people read it in a hint or a correction: a choice by its label."""
    label = label_of(q, value) if q is not None and q.type == "choice" else None
    return questions.display(value) if label is None else label


def answer(q: Question | None, value: Any) -> Any:
    """One answer to ``q`` as a template sees it."""
    if q is not None and q.type == "choice" and isinstance(value, str):
        return ChoiceShown(value, label_of(q, value) or value)
    if isinstance(value, bool):
        return YesNoShown(value)
    return plain(value)


def plain(value: Any) -> Any:
    """A value of no known question (trigger data, nested items) as a template sees it."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict) and not questions.is_person(value):
        return {k: plain(v) for k, v in value.items()}
    return questions.template_value(value)


def item(step: Step | None, values: dict[str, Any]) -> dict[str, Any]:
    """One item of a repeat ``step`` (its fields' answers) as a template sees it."""
    return {k: answer(step.field(k) if step is not None else None, v) for k, v in values.items()}


def step_answer(flow: Flow, step_id: str, value: Any) -> Any:
    """What a template sees for a step: its answer, a repeat's items, or a fan-out's answers by item."""
    step = flow.step(step_id) if flow.has_step(step_id) else None
    if isinstance(value, list):  # a repeat's items
        return Items(item(step, v) if isinstance(v, dict) else plain(v) for v in value)
    if isinstance(value, dict) and not questions.is_person(value):  # a fan-out's answers, by item
        return {k: answer(step, v) for k, v in value.items()}
    return answer(step, value)


def answers(flow: Flow, values: dict[str, Any]) -> dict[str, Any]:
    """Every step's answer as a template sees it, by step id."""
    return {step_id: step_answer(flow, step_id, value) for step_id, value in values.items()}


def guard_value(flow: Flow, step_id: str, value: Any) -> Any:
    """An answer as a branch condition reads it: a person by id; a step asked of several people
    whose first answer ends it (``complete_when: any``) by that answer, not the answers by person."""
    step = flow.step(step_id) if flow.has_step(step_id) else None
    if step is not None and step.fan_out and step.complete_when == "any" and isinstance(value, dict) and value:
        value = next(iter(value.values()))
    return value["id"] if questions.is_person(value) else value


class Items(list[Any]):
    """A repeat step's items, as a prompt prints them: "draft plan, bob, 2026-12-04; review, carol"
    (each item's answers in the order of its fields, a skipped one left out), not a Python list
    (a list still, to loop over)."""

    def __str__(self) -> str:
        return "; ".join(
            ", ".join(str(v) for v in entry.values() if v not in (None, "")) if isinstance(entry, dict) else str(entry)
            for entry in self
        )


class PerPerson(dict[str, Any]):
    """A step's answers by person (``to: participants``, ``to: each``), as a prompt prints them:
    "bob: Hire, carol: Not sure" (a mapping by item number still, to loop over)."""

    names: dict[str, str]

    def __str__(self) -> str:
        return ", ".join(f"{self.names.get(k, k)}: {v}" for k, v in self.items())


def per_person(answers: dict[str, Any], names: dict[str, str]) -> PerPerson:
    """``answers`` by item number as a prompt prints them, each after ``names[number]``."""
    out = PerPerson(answers)
    out.names = names
    return out


def named(q: Question) -> str:
    """An answer as messages name it (``texts.answer_named``): "the budget", "the due date"."""
    return texts.answer_named(q.id, q.ask, q.label)
