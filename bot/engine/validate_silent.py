"""What a flow file says that a run would silently not do, refused at load like any other mistake:
a key that does nothing on its step's answer type, a branch condition comparing an answer with a
value it never has (the branch is never taken), a prompt reading an item field that does not exist
or a step no route answers before it (it shows nothing), a condition reading such a step (its
branch is decided without it). Checked on a flow's current version only (a pinned version runs as it ran)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from jinja2 import TemplateError, nodes
from statemachine.io.evaluators import normalize_cond

from bot import texts, yaml_text
from bot.engine import templates
from bot.engine.model import Flow, Question, Step
from bot.errors import FlowError

Fail = Callable[[str, str], None]

#: Keys each answer type alone reads: (model attribute, key as written, the type it works on).
_TYPED_KEYS = (("minimum", "min", "number"), ("maximum", "max", "number"))
_REPEAT_KEYS = (("fields", "fields"), ("min_items", "min_items"), ("item_label", "item_label"))


def check(flow: Flow) -> None:
    reached: dict[str, set[str]] = {}
    for step in flow.steps:
        fail = failer(flow, step.id)
        for q in (step, *step.fields):
            _check_typed_keys(q, step, fail)
        _check_step_keys(step, fail)
        _check_conditions(flow, step, fail)
        _check_conditions_per_person(flow, step, fail)
        _check_template_choices(flow, step, fail)
        _check_item_fields(flow, step, fail)
        _check_steps_read(flow, step, fail, reached)
        _check_conditions_read(flow, step, fail, reached)


#: The timers of a run's chain, in the order they fire, and what each sends.
_TIMERS = (("remind_after", "reminder"), ("escalate_after", "escalation"), ("expire_after", "expiry"))


def check_timers(flow: Flow) -> None:
    """Timers a run would not all fire: each counts from the run's last activity, and the job goes
    to the latest stage due, so one not later than the one before it makes that one never sent;
    one of nothing would fire with every question."""
    fail = failer(flow, None)
    chain = [(key, sent, getattr(flow.timers, key)) for key, sent in _TIMERS if getattr(flow.timers, key) is not None]
    for key, _, after in chain:
        if not after:
            fail(*texts.timer_of_nothing(key, _written(flow, key)))
    for (key, sent, after), (later, _, later_after) in zip(chain, chain[1:], strict=False):
        if later_after <= after:
            problem = texts.timers_out_of_order(later, _written(flow, later), key, _written(flow, key), sent)
            fail(problem, texts.timers_out_of_order_fix())


def _written(flow: Flow, key: str) -> str:
    """A timer as its file writes it (``2d``, not 2 days, 0:00:00)."""
    return str((yaml_text.safe_load(flow.text) or {}).get("timers", {}).get(key, "")).strip()


def failer(flow: Flow, step: str | None) -> Fail:
    """``fail(problem, fix)``: raises the FlowError naming ``flow``'s file and ``step``."""

    def fail(problem: str, fix: str) -> None:
        raise FlowError(flow.path, problem, fix, step=step)

    return fail


def _what(q: Question, step: Step) -> str:
    return texts.question_named(None if q is step else q.id)


def _check_typed_keys(q: Question, step: Step, fail: Fail) -> None:
    for attr, key, kind in _TYPED_KEYS:
        if getattr(q, attr) is not None and q.type != kind:
            fail(
                texts.key_does_nothing(key, _what(q, step), q.type, f"type {kind}"),
                texts.key_does_nothing_fix(key, f"type {kind}"),
            )


def _check_step_keys(step: Step, fail: Fail) -> None:
    if step.type != "repeat":
        defaults = Step(id="", ask="", type="")
        for attr, key in _REPEAT_KEYS:
            if getattr(step, attr) != getattr(defaults, attr):
                fail(
                    texts.key_does_nothing(key, "the step", step.type, "type repeat"),
                    texts.key_does_nothing_fix(key, "type repeat"),
                )
    if step.type == "repeat" and step.default is not None:
        fail(texts.repeat_default(), texts.repeat_default_fix())
    if step.type == "repeat" and step.optional:
        fail(texts.repeat_optional(), texts.repeat_optional_fix())
    if step.complete_when != "all" and step.fan_out is None:
        fail(texts.complete_when_alone("the step"), texts.complete_when_alone_fix())
    if step.on_fail == "skip" and not any(q.optional for q in (step, *step.fields)):
        fail(texts.skip_on_fail_not_optional(), texts.skip_on_fail_not_optional_fix())


def _takes(step: Step) -> tuple[list[str], type | tuple[type, ...]] | None:
    """What a condition sees of ``step``'s answer (shown, and as Python types), for the types whose
    values are known at load: a choice's option values, yes/no's true and false, a number's numbers,
    a person's id (``slack:U0123``: 'me' or a name is never one)."""
    if step.fan_out is not None:
        return None  # an answer per item, not one value
    if step.type == "choice":
        return [repr(o.value) for o in step.options], str
    if step.type == "yes_no":
        return ["true", "false"], bool
    if step.type == "number":
        return ["a number"], (int, float)
    if step.type == "person":  # its id, as the platform gives it: never 'me' nor a name
        return ["a person's id with its platform, like 'slack:U0123' or 'console:alice'"], str
    return None


def _check_conditions(flow: Flow, step: Step, fail: Fail) -> None:
    for branch in step.next:
        if branch.when is None:
            continue
        for name, value, equality in _compared(branch.when):
            if not flow.has_step(name) or value is None:
                continue  # an unknown step is refused elsewhere; none is "not answered"
            other = flow.step(name)
            takes = _takes(other)
            if takes is None or (not equality and other.type != "number") or _fits(other, value, takes[1]):
                continue  # ordered (<, >=, ...): only a number's is known never to hold (Python refuses 5 > '1')
            fail(
                texts.condition_never_true(branch.when, name, value, other.type, takes[0]),
                texts.condition_never_true_fix(name, takes[0]),
            )


def _check_conditions_per_person(flow: Flow, step: Step, fail: Fail) -> None:
    """A condition reading a step with an answer per person (``to: each``, ``to: participants``)
    that waits for them all: it reads the answers by person, true once anyone answered, whatever
    they said. One whose first answer ends it (``complete_when: any``) reads that answer."""
    for branch in step.next:
        for name in condition_names(branch.when) if branch.when else ():
            other = flow.step(name) if flow.has_step(name) else None
            per_person = other is not None and (other.to == "participants" or other.fan_out is not None)
            if other is not None and per_person and not (other.fan_out and other.complete_when == "any"):
                fail(texts.condition_per_person(branch.when or "", name), texts.condition_per_person_fix(name))


def _check_template_choices(flow: Flow, step: Step, fail: Fail) -> None:
    """A prompt's ``{% if severity == 'SEV2 - degraded' %}``: a template compares a choice by its
    value, as a condition does (it shows its label), so a text that is no value is never equal."""
    for q in (step, *step.fields):
        try:
            parsed = templates.parse(q.ask)
        except TemplateError:
            continue  # not a template: refused elsewhere
        for compare in parsed.find_all(nodes.Compare):
            sides = [compare.expr, *(operand.expr for operand in compare.ops)]
            for a, b in [pair for x, y in zip(sides, sides[1:], strict=False) for pair in ((x, y), (y, x))]:
                if not (isinstance(a, nodes.Name) and isinstance(b, nodes.Const) and flow.has_step(a.name)):
                    continue
                other = flow.step(a.name)
                if other.type == "choice" and other.fan_out is None and not _fits(other, b.value, str):
                    values = [repr(o.value) for o in other.options]
                    fail(
                        texts.template_choice_never(a.name, b.value, values),
                        texts.condition_never_true_fix(a.name, values),
                    )


def _fits(step: Step, value: object, kinds: type | tuple[type, ...]) -> bool:
    if step.type == "choice":
        return isinstance(value, str) and value in {o.value for o in step.options}
    if step.type == "number" and isinstance(value, bool):
        return False
    if step.type == "person":
        return isinstance(value, str) and ":" in value
    return isinstance(value, kinds)


def _compared(expr: str) -> list[tuple[str, object, bool]]:
    """Each (step name, literal, whether with == or !=) a condition compares, either way round."""
    tree = ast.parse(normalize_cond(expr), mode="eval")
    out: list[tuple[str, object, bool]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
            if not isinstance(op, ast.Eq | ast.NotEq | ast.Lt | ast.LtE | ast.Gt | ast.GtE):
                continue
            for a, b in ((left, right), (right, left)):
                if isinstance(a, ast.Name) and isinstance(b, ast.Constant):
                    out.append((a.id, b.value, isinstance(op, ast.Eq | ast.NotEq)))
    return out


def _item_fields(flow: Flow, step: Step) -> list[str] | None:
    """The fields ``item`` has in ``step``'s prompts, or None when not known at load (a review's
    ``trigger.actions``) or not rendered with one."""
    if step.type == "repeat":
        return [f.id for f in step.fields]
    source = step.fan_out[0] if step.fan_out else None
    if source and flow.has_step(source):
        return [f.id for f in flow.step(source).fields]
    return None


def _check_item_fields(flow: Flow, step: Step, fail: Fail) -> None:
    fields = _item_fields(flow, step)
    if fields is None:
        return
    for q in (step, *step.fields):
        for name in _item_names(q.ask):
            if name not in fields:
                fail(texts.item_field_unknown(_what(q, step), name, fields), texts.item_field_unknown_fix())


def _item_names(text: str) -> list[str]:
    """The names a (valid) template reads of ``item``: ``item.what``, ``item['what']``."""
    if "item" not in text:
        return []
    parsed = templates.parse(text)
    names = [a.attr for a in parsed.find_all(nodes.Getattr) if isinstance(a.node, nodes.Name) and a.node.name == "item"]
    for got in parsed.find_all(nodes.Getitem):
        if isinstance(got.node, nodes.Name) and got.node.name == "item" and isinstance(got.arg, nodes.Const):
            names.append(str(got.arg.value))
    return names


def _check_steps_read(flow: Flow, step: Step, fail: Fail, reached: dict[str, set[str]]) -> None:
    """A prompt reading a step that no route answers before this one is asked (``{{ owner }}`` in a
    step asked before ``owner``, with no loop back): it shows nothing in every run. A step a loop
    comes back from, and the step's own answers (a repeat's items so far), may have a value."""
    for q in (step, *step.fields):
        for name in templates.names_read(q.ask) if q.ask else ():
            if name == step.id or not flow.has_step(name):
                continue
            if step.id not in _reached_from(flow, name, reached):
                fail(
                    texts.prompt_reads_later_step(_what(q, step), name),
                    texts.prompt_reads_later_step_fix(name, step.id),
                )


def _check_conditions_read(flow: Flow, step: Step, fail: Fail, reached: dict[str, set[str]]) -> None:
    """A branch condition reading a step that no route answers before this one branches
    (``owner == 'me'`` on a step asked before ``owner``): it is empty there in every run, so the
    branch is never taken (or, with ``not``, always)."""
    for branch in step.next:
        for name in condition_names(branch.when) if branch.when else ():
            if name != step.id and flow.has_step(name) and step.id not in _reached_from(flow, name, reached):
                fail(
                    texts.condition_reads_later_step(branch.when or "", name),
                    texts.condition_reads_later_step_fix(name, step.id),
                )


def condition_names(expr: str) -> list[str]:
    """The names a (structurally valid) condition reads, in order, once each; the names of called
    functions (In) aside."""
    tree = ast.parse(normalize_cond(expr), mode="eval")
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called))


def _reached_from(flow: Flow, start: str, reached: dict[str, set[str]]) -> set[str]:
    """The steps a run can go on to after ``start`` is answered, by its branches (cached per flow check)."""
    if start not in reached:
        reached[start] = flow.reachable(flow.successors(flow.step(start)))
    return reached[start]
