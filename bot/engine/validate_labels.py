"""The flow's own names for its answers (``label: budget``), checked at load: a short name people
can say and read after "the" ("Changed the budget", "change the budget to ..."), one answer's alone
(not another answer's label, nor another step's or field's id, which a correction would find first)."""

from __future__ import annotations

from bot import texts
from bot.engine.model import Flow
from bot.engine.validate_silent import failer

#: The longest label: it is said in sentences ("Changed the budget of Line 2: ...").
LABEL_CHARS = 40


def check(flow: Flow) -> None:
    ids = {q.id: step.id for step in flow.steps for q in (step, *step.fields)}
    called = {_key(texts.answer_named(q.id)): q.id for step in flow.steps for q in (step, *step.fields) if not q.label}
    seen: dict[str, str] = {}
    for step in flow.steps:
        for q in (step, *step.fields):
            if q.label is None:
                continue
            fail = failer(flow, step.id)
            what = texts.question_named(None if q is step else q.id)
            problem = _unusable(q.label)
            if problem:
                fail(texts.label_unusable(q.label, what, problem), texts.label_fix(q.label))
            key = _key(q.label)
            other = ids.get(key)
            if other is not None and key != q.id:
                fail(texts.label_is_an_id(q.label, what, key, other), texts.label_fix(q.label))
            if called.get(key, q.id) != q.id and key not in ids:  # "review date": review_at's name
                fail(texts.label_is_a_name(q.label, what, called[key], ids[called[key]]), texts.label_fix(q.label))
            if key in seen:
                fail(texts.label_twice(q.label, what, seen[key]), texts.label_fix(q.label))
            seen[key] = step.id if q is step else f"{step.id}.{q.id}"


def _key(label: str) -> str:
    """A label as an id, as corrections match it: "Line cost" is line_cost."""
    return "_".join(label.casefold().replace("-", " ").removeprefix("the ").split())


def _unusable(label: str) -> str | None:
    """Why nobody could say or read ``label`` as a name, or None."""
    if "{" in label or "}" in label:
        return "template"
    if "?" in label:
        return "question"
    if not any(c.isalnum() for c in label):
        return "no words"
    if label.casefold().startswith("the "):
        return "the"
    return "long" if len(label) > LABEL_CHARS else None
