"""Flow files (YAML) to the flow IR, refusing bad files with the file, the step and the fix.

Structure is checked by ``schema.json`` (JSON Schema), meaning by :func:`_check_meaning`:
references between steps, fan-outs, branch expressions, prompt templates and the ledger mapping.
Expressions are compiled by python-statemachine's restricted evaluator and templates by Jinja's
sandbox; flow text is never ``eval``-ed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import yaml
from statemachine.exceptions import InvalidDefinition
from statemachine.io.evaluators import RestrictedEvaluator, normalize_cond

from bot.engine import templates
from bot.engine.model import (
    ANSWER_TYPES,
    FINAL_STATES,
    Branch,
    Flow,
    Option,
    Question,
    Record,
    Step,
    Timers,
)
from bot.errors import FlowError
from bot.model import Actor

RESERVED_IDS = {"trigger", "answers", "item", "n", "run", "flow", "now", "completed", "cancelled"}
# names python-statemachine hands to guards itself; a step may not shadow them
RESERVED_IDS |= {"event", "machine", "model", "source", "state", "target", "transition"}

#: The names every prompt and the record's decision template are rendered with, besides step ids.
PROMPT_NAMES = frozenset({"trigger", "run", "answers"})
RECORD_NAMES = frozenset({"trigger", "answers"})
DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@cache
def schema() -> dict[str, Any]:
    text = resources.files("bot.engine").joinpath("schema.json").read_text()
    return dict(json.loads(text))


def version_of(text: str) -> str:
    """A flow's version: the first 12 hex digits of the SHA-256 of its text."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def read_flow_file(path: Path) -> Flow:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError(str(path), f"cannot be read ({exc.strerror})", "check the path") from exc
    return read_flow_text(text, str(path))


def read_flow_text(text: str, path: str) -> Flow:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and (mark is None or start.line != mark.line):
            problem += f" ({context} that starts at line {start.line + 1}, column {start.column + 1})"
        raise FlowError(
            path, f"YAML syntax error{line}: {problem}", "correct the indentation or quoting there"
        ) from exc
    if not isinstance(doc, dict):
        raise FlowError(path, "the file is not a YAML mapping", "start with 'id:', 'title:', 'steps:'")
    _check_schema(doc, path)
    flow = _build(doc, text, path)
    _check_meaning(flow)
    return flow


def _check_schema(doc: dict[str, Any], path: str) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(doc))
    # A step is allOf[question] + unevaluatedProperties: when the question part fails, its keys count
    # as unevaluated, and that shallower "unknown key" error (listing every key) would win best_match.
    specific = [e for e in errors if e.validator != "unevaluatedProperties"]
    error = jsonschema.exceptions.best_match(specific or errors)
    if error is None:
        return
    step = None
    where = list(error.absolute_path)
    if len(where) >= 2 and where[0] == "steps" and isinstance(where[1], int):
        raw = doc["steps"][where[1]]
        step = raw.get("id", f"#{where[1] + 1}") if isinstance(raw, dict) else f"#{where[1] + 1}"
    rest = where[2:] if step is not None else where
    field = ".".join(str(p) for p in rest if not isinstance(p, int)) or None
    raise FlowError(path, _schema_problem(error, field), _schema_fix(error), step=step)


def _schema_problem(error: jsonschema.ValidationError, field: str | None) -> str:
    at = f"'{field}' " if field else ""
    if error.validator == "required":
        return f"{at}is missing a required key: {error.message.split(' is a required')[0]}"
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return f"{at}has an unknown key ({error.message})"
    return f"{at}is invalid: {error.message}"


def _schema_fix(error: jsonschema.ValidationError) -> str:
    kind = error.validator
    if kind == "enum":
        return "use one of " + ", ".join(repr(v) for v in error.validator_value)
    if kind == "required":
        return "add it"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return "remove the key or correct its spelling (see bot/engine/schema.json)"
    if kind == "pattern":
        if error.validator_value == schema()["$defs"]["duration"]["pattern"]:
            return "write a duration such as 30m, 4h, 1d or 2w"
        return "use lowercase letters, digits and underscores, starting with a letter"
    if kind == "type":
        return f"make it a {error.validator_value}"
    return "see the flow format in the README and bot/engine/schema.json"


def _duration(value: str | None) -> timedelta | None:
    if value is None:
        return None
    match = DURATION.match(value)
    assert match, value  # the schema's pattern guarantees it
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def _options(raw: list[Any] | None) -> tuple[Option, ...]:
    out = []
    for item in raw or ():
        if isinstance(item, str):
            out.append(Option(value=item, label=item))
        else:
            out.append(Option(value=item["value"], label=item.get("label", item["value"])))
    return tuple(out)


def _question_kwargs(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "ask": raw.get("ask", ""),
        "type": raw["type"],
        "options": _options(raw.get("options")),
        "optional": bool(raw.get("optional", False)),
        "default": raw.get("default"),
        "minimum": raw.get("min"),
        "maximum": raw.get("max"),
        "not_before": raw.get("not_before"),
        "not_after": raw.get("not_after"),
        "help": raw.get("help"),
        "example": raw.get("example"),
    }


def _branches(raw: Any) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Branch(goto=raw),)
    return tuple(Branch(goto=b["goto"], when=b.get("when")) for b in raw)


def _build(doc: dict[str, Any], text: str, path: str) -> Flow:
    steps = []
    for raw in doc["steps"]:
        steps.append(
            Step(
                **_question_kwargs(raw),
                to=raw.get("to", "facilitator"),
                fields=tuple(Question(**_question_kwargs(f)) for f in raw.get("fields", ())),
                min_items=raw.get("min_items", 0),
                item_label=raw.get("item_label", "Item"),
                next=_branches(raw.get("next")),
                on_fail=raw.get("on_fail", "escalate"),
                max_failures=raw.get("max_failures", 3),
                complete_when=raw.get("complete_when", "all"),
            )
        )
    timers = doc.get("timers", {})
    return Flow(
        id=doc["id"],
        title=doc["title"],
        description=doc.get("description", ""),
        version=version_of(text),
        path=path,
        text=text,
        roles=dict(doc.get("roles") or {"facilitator": "trigger.facilitator"}),
        steps=tuple(steps),
        timers=Timers(
            remind_after=_duration(timers.get("remind_after")),
            escalate_after=_duration(timers.get("escalate_after")),
            expire_after=_duration(timers.get("expire_after")),
        ),
        record=Record(**doc.get("record", {})),
        on_complete=tuple(doc.get("on_complete", ())),
    )


def _check_meaning(flow: Flow) -> None:
    seen: set[str] = set()
    for step in flow.steps:
        fail = _failer(flow, step.id)
        if step.id in seen:
            fail(f"the step id '{step.id}' is used twice", "give every step its own id")
        if step.id in RESERVED_IDS:
            fail(f"'{step.id}' is a reserved name", "rename the step")
        seen.add(step.id)
        _check_question(flow, step, step)
        _check_to(flow, step, seen)
        _check_next(flow, step)
    _check_reachable(flow)
    _check_record(flow)


def _failer(flow: Flow, step: str | None):
    def fail(problem: str, fix: str) -> None:
        raise FlowError(flow.path, problem, fix, step=step)

    return fail


def _check_question(flow: Flow, step: Step, q: Question) -> None:
    fail = _failer(flow, step.id)
    what = f"field '{q.id}'" if q is not step else "the step"
    if q.type == "repeat":
        if q is not step:
            fail(f"{what} is a repeat inside a repeat", "use one level of repeated fields")
        if not step.fields:
            fail("a repeat step has no fields", "list the fields asked for each item under 'fields:'")
        ids = [f.id for f in step.fields]
        if len(ids) != len(set(ids)):
            fail("two fields share an id", "give every field its own id")
        for f in step.fields:
            _check_question(flow, step, f)
    elif not q.ask:
        fail(f"{what} has no prompt", "add 'ask: <the question>'")
    elif q.type not in ANSWER_TYPES:
        fail(f"unknown answer type '{q.type}'", "use one of " + ", ".join(ANSWER_TYPES))
    if q.type == "choice" and not q.options:
        fail(f"{what} is a choice without options", "add 'options: [a, b, c]'")
    if q.type != "choice" and q.options:
        fail(f"{what} has options but is of type {q.type}", "remove 'options' or use type choice")
    for bound in (q.not_before, q.not_after):
        if bound is not None and q.type != "date":
            fail(f"{what} has a date bound but is of type {q.type}", "remove it or use type date")
        if bound is not None and not _bound_ok(bound):
            fail(f"the date bound '{bound}' is not understood", "use today, tomorrow or an ISO date")
    if q.ask:
        problem = templates.check(q.ask, _template_names(flow, step, q))
        if problem:
            fail(f"the prompt of {what} {problem}", "use trigger.<field>, a step id, or item.<field>")
    why = (
        _default_refused(q)
        if q.default is not None and q.type in ("text", "choice", "yes_no", "number", "date")
        else None
    )
    if why:
        fail(f"the default '{q.default}' of {what} is not an answer it takes ({why})", "give a default it accepts")


def _default_refused(q: Question) -> str | None:
    """Why the question's own check refuses its default (read as if said today), or None."""
    from bot.engine import answers, questions

    ctx = answers.ParseContext(now=datetime.now(UTC), tz=ZoneInfo("UTC"), speaker=Actor("system:flow", "flow"))
    unbounded = replace(q, not_before=None, not_after=None)  # whether a date is in bounds depends on the day
    try:
        questions.parse(unbounded, str(q.default), ctx)
    except answers.AnswerError as exc:
        return str(exc.code)
    return None


def _bound_ok(bound: str) -> bool:
    from bot.engine import answers

    try:
        ctx = answers.ParseContext(now=datetime.now(UTC), tz=ZoneInfo("UTC"), speaker=Actor("system:flow", "flow"))
        answers.resolve_bound(bound, ctx)
    except answers.AnswerError:
        return False
    return True


def _template_names(flow: Flow, step: Step, q: Question) -> set[str]:
    """Names a prompt may use: ``item`` only where it is rendered with one (the fields of a repeat
    step, a fan-out step's prompt), ``n`` only in a fan-out step's prompt."""
    names = set(PROMPT_NAMES) | {s.id for s in flow.steps}  # what asking.prompt_text renders with
    if step.fan_out:
        names |= {"item", "n"}
    elif q is not step and step.type == "repeat":
        names.add("item")
    return names


def _check_to(flow: Flow, step: Step, seen: set[str]) -> None:
    fail = _failer(flow, step.id)
    fan = step.fan_out
    if fan is None:
        if step.to not in flow.roles:
            fail(
                f"'to: {step.to}' names no role",
                "use one of " + ", ".join(sorted(flow.roles)) + " or 'each <step>.<field>'",
            )
        return
    source, field = fan
    if step.type == "repeat":
        fail("a repeat step cannot be fanned out", "address it to the facilitator")
    if source == "trigger.actions" and field == "owner":
        return
    if source not in seen or source == step.id:
        fail(f"'to: {step.to}' fans out over '{source}', not an earlier step", "name an earlier repeat step")
    src = flow.step(source)
    target = src.field(field)
    if src.type != "repeat" or target is None or target.type != "person":
        fail(f"'to: {step.to}' needs a person field of a repeat step", f"use 'each {source}.<person field>'")


def _check_next(flow: Flow, step: Step) -> None:
    fail = _failer(flow, step.id)
    evaluator = RestrictedEvaluator()
    for i, branch in enumerate(step.next):
        if branch.goto not in FINAL_STATES and not flow.has_step(branch.goto):
            fail(f"branches to unknown step '{branch.goto}'", "name a step of this flow, or completed")
        if branch.when is None and i != len(step.next) - 1:
            fail("a branch without 'when' is not the last", "put the default branch last")
        if branch.when is not None:
            try:
                evaluator.compile_bool(branch.when)
            except Exception as exc:  # InvalidDefinition; the evaluator raises KeyError on some forms ('x in [...]')
                cause = exc.__cause__ if isinstance(exc, InvalidDefinition) else None
                why = cause.msg if isinstance(cause, SyntaxError) else str(cause or type(exc).__name__)
                fail(
                    f"the condition '{branch.when}' is not allowed ({why})",  # not the library's advice
                    "a condition may only compare step answers (by step id) with ==, !=, <, >, <=, >=,"
                    " and, or, not, e.g. when: \"response == 'act'\"",
                )
            unknown = sorted(_condition_names(branch.when) - {s.id for s in flow.steps})
            if unknown:
                fail(
                    f"the condition '{branch.when}' names no step: " + ", ".join(unknown),
                    "compare the answers of this flow's steps, by step id",
                )


def _condition_names(expr: str) -> set[str]:
    """The names a (structurally valid) condition reads; the names of called functions (In) aside."""
    tree = ast.parse(normalize_cond(expr), mode="eval")
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def _check_reachable(flow: Flow) -> None:
    reached, todo = set(), [flow.first.id]
    while todo:
        current = todo.pop()
        if current in reached or current in FINAL_STATES:
            continue
        reached.add(current)
        todo.extend(flow.successors(flow.step(current)))
    for step in flow.steps:
        if step.id not in reached:
            raise FlowError(flow.path, "this step is never reached", "branch to it or remove it", step=step.id)


def _check_record(flow: Flow) -> None:
    rec = flow.record
    fail = _failer(flow, None)
    wanted = {
        "actions": "repeat",
        "accepts": "yes_no",
        "review_at": "date",
        "outcome": "choice",
        "actions_done": "yes_no",
    }
    for key, kind in wanted.items():
        ref = getattr(rec, key)
        if ref is None:
            continue
        if not flow.has_step(ref) or flow.step(ref).type != kind:
            fail(f"record.{key} names '{ref}', which is not a {kind} step", f"name a {kind} step")
        if key in ("accepts", "actions_done") and flow.step(ref).fan_out is None:
            fail(
                f"record.{key} names '{ref}', which asks no one per action",
                "name a yes_no step with 'to: each <actions step>.owner' (as owner_accepts in post_meeting.yaml)",
            )
    if rec.actions:
        step = flow.step(rec.actions)
        for name, kind in (("what", "text"), ("owner", "person"), ("due", "date")):
            f = step.field(name)
            if f is None or f.type != kind:
                fail(
                    f"record.actions needs a {kind} field '{name}' in step '{rec.actions}'",
                    f"add it to '{rec.actions}'",
                )
    if rec.decision and "{{" not in rec.decision and not flow.has_step(rec.decision):
        fail(f"record.decision names no step '{rec.decision}'", "name a step or write a template")
    if rec.decision and "{{" in rec.decision:
        problem = templates.check(rec.decision, set(RECORD_NAMES) | {s.id for s in flow.steps})
        if problem:
            fail(f"the template of record.decision {problem}", "use step ids, answers.<step> or trigger.<field>")
    for action in flow.on_complete:
        at = action.get("schedule_flow", {}).get("at")
        if at and (not flow.has_step(at) or flow.step(at).type != "date"):
            fail(f"schedule_flow.at names '{at}', which is not a date step", "name a date step")


def load_flows(folder: Path) -> dict[str, Flow]:
    """Every ``*.yaml`` flow in ``folder`` (routes.yaml and checks.yaml are not flows)."""
    flows: dict[str, Flow] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.stem in ("routes", "checks"):
            continue
        flow = read_flow_file(path)
        if flow.id != path.stem:
            raise FlowError(str(path), f"the id '{flow.id}' differs from the file name", f"use id: {path.stem}")
        flows[flow.id] = flow
    return flows
