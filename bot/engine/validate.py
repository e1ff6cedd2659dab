"""What a flow file means, checked once its structure passed the schema: unique step ids the
engine can use (not reserved: :mod:`bot.engine.reserved`), questions with their defaults and
bounds, who is asked, branches and their conditions, prompt templates, reachability and the
ledger mapping. Each problem is a FlowError naming the file, the step and the fix."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from statemachine.exceptions import InvalidDefinition
from statemachine.io.evaluators import RestrictedEvaluator

from bot import texts
from bot.engine import (
    dates,
    reserved,
    templates,
    validate_defaults,
    validate_labels,
    validate_menus,
    validate_record,
    validate_silent,
)
from bot.engine.model import ANSWER_TYPES, FINAL_STATES, Flow, Question, Step
from bot.engine.validate_silent import failer
from bot.errors import FlowError
from bot.model import Actor

#: The names every prompt and the record's decision template are rendered with, besides step ids.
PROMPT_NAMES = frozenset({"trigger", "run", "answers"})
RECORD_NAMES = frozenset({"trigger", "answers"})


def check_meaning(flow: Flow, pinned: bool = False) -> None:
    """Refuse a flow that cannot run as written. ``pinned``: a version runs started on, read back
    from the ledger; what it needs to run is checked, the foresight of a run stranded later (a
    last branch with a condition, a loop with no way out, bounds or an invitation that cannot
    work) is not: a check added since it was current must not stop the runs on it."""
    _check_ids_once(flow)
    seen: set[str] = set()
    for step in flow.steps:
        fail = failer(flow, step.id)
        kind = reserved.kind_of(step.id, pinned)
        if kind:
            fail(texts.step_id_reserved(step.id, kind), texts.step_id_reserved_fix(step.id))
        seen.add(step.id)
        _check_question(flow, step, step)
        _check_to(flow, step, seen)
        _check_next(flow, step)
    _check_reachable(flow)
    _check_record(flow, pinned)
    if not pinned:
        for step in flow.steps:
            _check_field_ids(flow, step)
            _check_strands(flow, step)
            _check_blank(flow, step)
            validate_menus.check(flow, step)
        _check_ends(flow)
        _check_invite(flow)
        validate_silent.check_timers(flow)
        validate_record.check(flow)
        validate_silent.check(flow)
        validate_labels.check(flow)


def _check_ids_once(flow: Flow) -> None:
    """A step id written twice (a step pasted and its id left as it was), before anything reads
    the ids: otherwise a branch to the step it replaced was refused first, at another step."""
    seen: set[str] = set()
    for step in flow.steps:
        if step.id in seen:
            failer(flow, step.id)(*texts.step_id_twice(step.id))
        seen.add(step.id)


def _check_blank(flow: Flow, step: Step) -> None:
    """A question whose prompt prints nothing in any run: a chat platform refuses an empty message
    (Slack's ``no_text``), and the run would stand still, asking nobody."""
    for q in (step, *step.fields):
        if q.ask and templates.always_blank(q.ask):
            failer(flow, step.id)(
                texts.prompt_blank(texts.question_named(q.id if q is not step else None)), texts.prompt_blank_fix()
            )


def _check_field_ids(flow: Flow, step: Step) -> None:
    """A repeat field a prompt reads as ``item.<field>``: Jinja finds a method of the item by that
    name first (``item.items`` showed ``<built-in method items ...>``)."""
    for f in step.fields:
        if f.id in reserved.ITEM_METHODS:
            failer(flow, step.id)(texts.field_id_reserved(f.id), texts.field_id_reserved_fix(f.id))


def _check_question(flow: Flow, step: Step, q: Question) -> None:
    fail = failer(flow, step.id)
    what = texts.question_named(q.id if q is not step else None)
    said = {"help": q.help, "example": q.example, "item_label": step.item_label if q is step else None}
    for key, text in said.items():  # shown as written: '{{ vendor }}' would reach people raw
        if text and ("{{" in text or "{%" in text):
            fail(*texts.not_a_template_field(key, what))
    if q.type == "repeat":
        if q is not step:
            fail(*texts.repeat_in_repeat(what))
        if not step.fields:
            fail(*texts.repeat_without_fields())
        ids = [f.id for f in step.fields]
        if len(ids) != len(set(ids)):
            fail(*texts.field_id_twice())
        for f in step.fields:
            _check_question(flow, step, f)
    elif not q.ask:
        fail(*texts.no_prompt(what))
    elif q.type not in ANSWER_TYPES:
        fail(*texts.answer_type_unknown(q.type, ANSWER_TYPES))
    if q.type == "choice" and not q.options:
        fail(*texts.choice_without_options(what))
    if q.type != "choice" and q.options:
        fail(*texts.options_not_a_choice(what, q.type))
    for bound in (q.not_before, q.not_after):
        if bound is not None and q.type != "date":
            fail(*texts.date_bound_not_a_date(what, q.type))
        if bound is not None and not _bound_ok(bound):
            fail(*texts.date_bound_unread(bound))
    if q.ask:
        names = _template_names(flow, step, q)
        problem = templates.check(q.ask, names)
        if problem:
            syntax = problem.startswith(templates.NOT_A_TEMPLATE)
            misplaced = not syntax and "item" not in names and "item" in templates.names_read(q.ask)
            unknown = "" if syntax else next((n for n in templates.names_read(q.ask) if n not in names), "")
            fix = (
                texts.template_syntax_fix()
                if syntax
                else texts.template_names_fix(misplaced, unknown, tuple(sorted(names)))
            )
            fail(texts.prompt_template_bad(what, problem), fix)
    why = (
        validate_defaults.refused(q)
        if q.default is not None and q.type in ("text", "choice", "yes_no", "number", "date")
        else None
    )
    if why:
        fail(texts.default_not_taken(q.default, what, why), texts.default_not_taken_fix())
    unread = validate_defaults.person_unread(q.default) if q.default is not None and q.type == "person" else None
    if unread:
        fail(texts.default_not_taken(q.default, what, unread), texts.person_default_fix())


def _bound_ok(bound: str) -> bool:
    from bot.engine import answers

    try:
        ctx = answers.ParseContext(now=datetime.now(UTC), tz=ZoneInfo("UTC"), speaker=Actor("system:flow", "flow"))
        answers.resolve_bound(bound, ctx)
    except answers.AnswerError:
        return False
    return True


def _bounds_crossed(first: str, last: str) -> bool:
    """Whether ``first`` falls after ``last`` whatever the day: both ISO dates, or both a fixed
    number of days from today ("tomorrow", "in 2 weeks"); any other pair ("tomorrow" against "end
    of month") is judged on the day the answer comes."""
    a, b = first.strip().casefold(), last.strip().casefold()
    days_a, days_b = dates.fixed_offset(a), dates.fixed_offset(b)
    if days_a is not None and days_b is not None:
        return days_a > days_b
    try:
        return date.fromisoformat(a) > date.fromisoformat(b)
    except ValueError:
        return False


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
    fail = failer(flow, step.id)
    fan = step.fan_out
    if fan is None:
        if flow.to_person_step(step.to):
            _check_to_person(flow, step, seen)
        elif step.to not in flow.roles:
            people = [s for s in seen if s != step.id and flow.step(s).type == "person"]
            fail(
                texts.role_missing(step.to), texts.role_missing_fix(step.to, sorted(flow.roles), tuple(sorted(people)))
            )
        return
    source, field = fan
    if step.type == "repeat":
        fail(*texts.repeat_fanned_out())
    if source == "trigger.actions" and field == "owner":
        return
    if not source:  # 'each lead': no dot, no field
        fail(texts.fan_out_no_field(step.to), texts.fan_out_no_field_fix())
    if source not in seen or source == step.id:
        fail(*texts.fan_out_not_earlier(step.to, source))
    src = flow.step(source)
    target = src.field(field)
    if src.type != "repeat" or target is None or target.type != "person":
        people = [f.id for f in src.fields if f.type == "person"]
        fail(
            texts.fan_out_not_a_person_field(step.to, source, src.type),
            texts.fan_out_person_field_fix(source, src.type, people),
        )


def _check_to_person(flow: Flow, step: Step, seen: set[str]) -> None:
    """``to: <step>``: the one person an earlier ``person`` step named (asked once, not a repeat's
    field or a fan-out), asked in private as an owner is."""
    fail = failer(flow, step.id)
    src = flow.step(step.to)
    if step.type == "repeat":
        fail(texts.to_person_repeat(step.to), texts.to_person_repeat_fix())
    if step.to not in seen or step.to == step.id:
        fail(texts.to_person_not_before(step.to), texts.to_person_not_before_fix(step.to))
    if src.type != "person" or src.fan_out is not None:
        kind = "fanned-out" if src.fan_out is not None else src.type
        fail(texts.to_person_not_a_person(step.to, kind), texts.to_person_not_a_person_fix())


def _check_next(flow: Flow, step: Step) -> None:
    fail = failer(flow, step.id)
    evaluator = RestrictedEvaluator()
    for i, branch in enumerate(step.next):
        if branch.goto not in FINAL_STATES and not flow.has_step(branch.goto):
            names = [*(s.id for s in flow.steps), *FINAL_STATES]
            fail(texts.unknown_goto(branch.goto), texts.unknown_goto_fix(branch.goto, names))
        if branch.when is None and i != len(step.next) - 1:
            fail(*texts.default_branch_not_last())
        if branch.when is not None:
            try:
                evaluator.compile_bool(branch.when)
            except Exception as exc:  # InvalidDefinition; the evaluator raises KeyError on some forms ('x in [...]')
                cause = exc.__cause__ if isinstance(exc, InvalidDefinition) else None
                why = cause.msg if isinstance(cause, SyntaxError) else str(cause or type(exc).__name__)
                fail(*texts.condition_not_allowed(branch.when, why))
            unknown = sorted(set(validate_silent.condition_names(branch.when)) - {s.id for s in flow.steps})
            if unknown:
                names = [s.id for s in flow.steps]
                fail(texts.condition_unknown(branch.when, unknown), texts.condition_unknown_fix(unknown, names))


def _check_reachable(flow: Flow) -> None:
    reached = flow.reachable([flow.first.id])
    for step in flow.steps:
        if step.id not in reached:
            raise FlowError(flow.path, *texts.step_never_reached(), step=step.id)


def _check_record(flow: Flow, pinned: bool) -> None:
    """What the record names must exist with the type it is read as. A per-owner ``accepts`` and
    the names in a decision template are not checked on a pinned version (checks added later;
    the record reads such a version's answers as unknown, and an unknown name as empty)."""
    rec = flow.record
    fail = failer(flow, None)
    wanted = {
        "actions": "repeat",
        "accepts": "yes_no",
        "review_at": "date",
        "outcome": "choice",
        "actions_done": "yes_no",
        "handover": "yes_no",
    }
    for key, kind in wanted.items():
        ref = getattr(rec, key)
        if ref is None:
            continue
        if not flow.has_step(ref) or flow.step(ref).type != kind:
            fail(*texts.record_step_wrong_type(key, ref, kind))
        if key in ("accepts", "actions_done", "handover") and flow.step(ref).fan_out is None and not pinned:
            fail(*texts.record_step_not_per_action(key, ref))
    if rec.actions:
        step = flow.step(rec.actions)
        for name, kind in (("what", "text"), ("owner", "person"), ("due", "date")):
            f = step.field(name)
            if f is None or f.type != kind:
                fail(*texts.record_actions_field_missing(kind, name, rec.actions))
            # every action has a what and an owner (it is stored, its owner asked to accept it, reviewed)
            if f is not None and f.optional and name != "due" and not pinned:
                fail(*texts.record_actions_field_optional(name, rec.actions))
    if rec.decision and "{{" not in rec.decision and not flow.has_step(rec.decision):
        fail(*texts.record_decision_no_step(rec.decision))
    if rec.decision and "{{" in rec.decision and not pinned:
        problem = templates.check(rec.decision, set(RECORD_NAMES) | {s.id for s in flow.steps})
        if problem:
            fail(*texts.record_decision_template_bad(problem))
    for action in flow.on_complete:
        at = action.get("schedule_flow", {}).get("at")
        if at and (not flow.has_step(at) or flow.step(at).type != "date"):
            fail(*texts.schedule_at_not_a_date(at))


def _check_strands(flow: Flow, step: Step) -> None:
    """What would strand a run at this step: an answer no branch takes, bounds nothing meets."""
    fail = failer(flow, step.id)
    last = step.next[-1] if step.next else None
    if last is not None and last.when is not None:
        fail(*texts.last_branch_conditional(last.when))
    for q in (step, *step.fields):
        what = texts.question_named(q.id if q is not step else None)
        if q.minimum is not None and q.maximum is not None and q.minimum > q.maximum:
            fail(*texts.min_above_max(what, q.minimum, q.maximum))
        if q.not_before and q.not_after and _bounds_crossed(q.not_before, q.not_after):
            fail(*texts.dates_crossed(what, q.not_before, q.not_after))


def _check_ends(flow: Flow) -> None:
    """Every step can lead to an end (completed, or cancelled): no loop without a way out."""
    before: dict[str, list[str]] = {}  # each step or end: the steps that can lead to it
    for step in flow.steps:
        for after in flow.successors(step):
            before.setdefault(after, []).append(step.id)
    ends, todo = set(FINAL_STATES), list(FINAL_STATES)  # the steps from which the run can end
    while todo:
        for earlier in before.get(todo.pop(), ()):
            if earlier not in ends:
                ends.add(earlier)
                todo.append(earlier)
    for step in flow.steps:
        if step.id not in ends:
            raise FlowError(flow.path, *texts.never_ends(), step=step.id)


def _check_invite(flow: Flow) -> None:
    from bot.triggers import parse_duration

    fail = failer(flow, None)
    for action in flow.on_complete:
        spec = action.get("calendar_invite")
        if not spec:
            continue
        at = spec.get("at")
        if not flow.has_step(at) or flow.step(at).type != "date":
            fail(*texts.invite_at_not_a_date(at))
        if spec.get("duration") is not None:
            try:
                length = parse_duration(spec["duration"])
            except ValueError:  # over ten years (a meeting of 5000d)
                fail(*texts.invite_duration_bad(spec["duration"]))
            if length.total_seconds() <= 0:
                fail(*texts.invite_duration_empty(spec["duration"]))
        problem = templates.check(spec["title"], {"title", "decision"}) if spec.get("title") else None
        if problem:
            fail(*texts.invite_title_template_bad(problem))


def check_references(flow: Flow, known: set[str]) -> None:
    """What a flow names of its folder: the flows it schedules exist (``known``: the folder's flow ids)."""
    for action in flow.on_complete:
        name = action.get("schedule_flow", {}).get("flow")
        if name and name not in known:
            raise FlowError(flow.path, *texts.scheduled_flow_missing(name, known))
