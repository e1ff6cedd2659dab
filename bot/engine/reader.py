"""Flow files (YAML) to the flow IR, refusing bad files with the file, the step and the fix.

Structure is checked by ``schema.json`` (JSON Schema), meaning by :mod:`bot.engine.validate`:
references between steps, fan-outs, branch expressions, prompt templates and the ledger mapping.
Expressions are compiled by python-statemachine's restricted evaluator and templates by Jinja's
sandbox; flow text is never ``eval``-ed.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot import texts, yaml_text
from bot.engine import flow_yaml, validate
from bot.engine.model import (
    Branch,
    Flow,
    Option,
    Question,
    Record,
    Step,
    Timers,
)
from bot.errors import FlowError


@cache
def schema() -> dict[str, Any]:
    text = resources.files("bot.engine").joinpath("schema.json").read_text()
    return dict(json.loads(text))


def version_of(text: str) -> str:
    """A flow's version: the first 12 hex digits of the SHA-256 of its text."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def read_flow_file(path: Path) -> Flow:
    try:  # a pipe named x.yaml, a file in another encoding: refused alone, like any broken file
        text = yaml_text.read_file(path, "the flow")
    except yaml_text.Unreadable as exc:
        raise FlowError(str(path), *exc.args) from exc
    return read_flow_text(text, str(path))


def read_flow_text(text: str, path: str, pinned: bool = False) -> Flow:
    """The flow in ``text``; ``pinned`` for a version runs are pinned to: it was checked when it
    was current, and the checks that only foresee a stranded run must not strand the runs on it."""
    loader = flow_yaml.Loader(text)
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and (mark is None or start.line != mark.line):
            problem += f" ({context} that starts at line {start.line + 1}, column {start.column + 1})"
        fix = texts.yaml_syntax_fix(tab="'\\t'" in problem)
        quoted = yaml_text.quote_at_fault(text, mark.line, mark.column) if mark else None
        if mark and quoted:
            problem += texts.yaml_quote_at_fault(*quoted, error_line=mark.line)
            fix = texts.yaml_quote_at_fault_fix(*quoted)
        raise FlowError(path, texts.yaml_syntax_error(line, problem), fix) from exc
    finally:
        loader.dispose()
    if loader.twice and not pinned:  # YAML keeps the last silently: a second 'next:' or 'ask:' lost the first
        key, at, first = loader.twice[0]
        raise FlowError(path, texts.yaml_key_twice(key, at, first), texts.yaml_key_twice_fix())
    if doc is None:
        raise FlowError(path, *texts.flow_file_empty())
    if not isinstance(doc, dict):
        raise FlowError(path, *texts.flow_file_not_a_mapping())
    try:
        doc = flow_yaml.dates_as_text(doc, [flow_yaml.MAX_VALUES])
    except flow_yaml.TooLarge:
        raise FlowError(path, *texts.flow_file_too_many_values(flow_yaml.MAX_VALUES)) from None
    _check_schema(doc, path, text)
    flow = _build(doc, text, path, pinned)
    validate.check_meaning(flow, pinned)
    return flow


def _check_schema(doc: dict[str, Any], path: str, text: str = "") -> None:
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
        named = isinstance(raw, dict) and isinstance(raw.get("id"), str)  # 'id: yes' is no name: True
        step = _cut(raw["id"]) if named else f"#{where[1] + 1}"
    rest = where[2:] if step is not None else where
    field = ".".join(str(p) for p in rest if not isinstance(p, int)) or None
    problem, fix = _schema_problem(error, field, step is not None), _schema_fix(error)
    line = _step_line(text, where[1]) if step and step.startswith("#") else None
    if line and problem.startswith("the step "):  # no id to name it by: its line
        problem = problem.replace("the step ", f"the step at line {line} ", 1)
    strays = _unknown_keys(error.instance, where) if error.validator == "required" else []
    if strays:  # 'tpye: text': the key it misses is most likely one of these, misspelt
        problem, fix = texts.required_key_misspelt(problem, strays), texts.required_key_misspelt_fix(strays)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = _known_keys(error, where)
        strays = [str(k) for k in error.instance if k not in known] if isinstance(error.instance, dict) else []
        if strays:  # 'optinal: true': name the key meant, or the keys there are
            at = problem.split("has an unknown key")[0]
            problem, fix = texts.unknown_key(at, strays), texts.unknown_key_fix(strays[0], known)
    raise FlowError(path, problem, fix, step=step)


def _step_line(text: str, index: int) -> int | None:
    """The line (from 1) where the ``index``-th item of ``steps:`` starts (None: not found)."""
    try:
        root = yaml.compose(text, Loader=yaml_text.SafeLoader)  # noqa: S506 - a SafeLoader
        steps = next(v for k, v in root.value if k.value == "steps")
        return int(steps.value[index].start_mark.line) + 1
    except (yaml.YAMLError, AttributeError, StopIteration, IndexError, TypeError):
        return None


def _known_keys(error: jsonschema.ValidationError, where: list[Any]) -> list[str]:
    """The keys the flow, step, field or mapping that ``error`` is about may have, in the order
    the README lists them."""
    defs, shape = schema()["$defs"], [p if isinstance(p, str) else 0 for p in where]
    if not where:
        return list(schema()["properties"])
    if shape == ["steps", 0]:
        question, step = list(defs["question"]["properties"]), list(defs["step"]["properties"])
        return ["id", *step[:1], *question[1:], *step[1:]]
    if shape == ["steps", 0, "fields", 0]:
        return list(defs["question"]["properties"])
    return list(error.schema.get("properties") or ())


def _unknown_keys(instance: Any, where: list[Any]) -> list[str]:
    """The keys of a flow, step or field (``where``: its path) that the format does not know."""
    defs, shape = schema()["$defs"], [p if isinstance(p, str) else 0 for p in where]
    if not isinstance(instance, dict):
        return []
    if not where:
        known = set(schema()["properties"])
    elif shape == ["steps", 0]:
        known = set(defs["question"]["properties"]) | set(defs["step"]["properties"])
    elif shape == ["steps", 0, "fields", 0]:
        known = set(defs["question"]["properties"])
    else:
        return []
    return [str(k) for k in instance if k not in known]


#: Characters of a value a refusal quotes (jsonschema's message quotes it whole).
QUOTED = 80


def _cut(value: str) -> str:
    return value if len(value) <= QUOTED else value[:QUOTED] + "…"


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, the value it quotes cut to QUOTED characters."""
    quoted = repr(error.instance)
    if len(quoted) <= QUOTED:
        return error.message
    return error.message.replace(quoted, quoted[:QUOTED] + "…", 1)


def _schema_problem(error: jsonschema.ValidationError, field: str | None, in_step: bool) -> str:
    at = f"'{field}' " if field else ("the step " if in_step else "the flow ")
    if error.validator == "required":
        return f"{at}is missing a required key: {error.message.split(' is a required')[0]}"
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return f"{at}has an unknown key ({error.message})"
    if (error.validator == "type" and error.instance is None) or error.instance == []:  # 'steps:', 'options: []'
        return texts.schema_empty(at)
    if error.validator == "pattern" and error.validator_value == schema()["$defs"]["duration"]["pattern"]:
        return texts.not_a_duration(at, _cut(error.instance))
    return f"{at}is invalid: {_message(error)}"


def _schema_fix(error: jsonschema.ValidationError) -> str:
    kind = error.validator
    wants_text = kind != "type" or "string" in error.validator_value
    if isinstance(error.instance, bool) and wants_text:  # YAML reads bare yes/no/on/off as booleans
        return texts.schema_bare_boolean_fix()
    if kind == "oneOf" and "options" in error.absolute_path and isinstance(error.instance, int | float):
        return texts.number_option_fix(error.instance)  # options: [1, 2, 3]: YAML reads them as numbers
    if kind == "enum":
        return texts.schema_enum_fix(error.validator_value)
    if kind == "minItems" and error.instance == [] and error.absolute_path:
        return texts.empty_list_fix(str(error.absolute_path[-1]))
    if kind == "required":
        return texts.schema_required_fix()
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return texts.schema_unknown_key_fix()
    if kind == "pattern":
        if error.validator_value == schema()["$defs"]["duration"]["pattern"]:
            return texts.schema_duration_fix()
        if error.absolute_path and error.absolute_path[-1] == "time":  # calendar_invite's HH:MM
            return texts.schema_time_fix()
        return texts.schema_id_fix()
    if kind == "type" and "next" in error.absolute_path and isinstance(error.instance, str):
        return texts.branch_without_goto_fix(_cut(error.instance))  # '- completed' in a list of branches
    if kind == "type":
        return texts.schema_type_fix(error.validator_value, empty=error.instance is None)
    return texts.schema_other_fix()


def _duration(value: str, key: str, path: str, pinned: bool) -> timedelta:
    """A timer's duration (the schema's pattern passed it), at most :data:`LONGEST`: a number of
    days past it overflowed into a traceback at load (``expire_after: 99999999999d``). A version
    runs are pinned to, stored before the bound, takes the bound: its runs go on."""
    from bot.triggers import LONGEST, parse_duration  # (bot.triggers reads flows: imported when used)

    try:
        return parse_duration(value)
    except ValueError:
        if pinned:
            return LONGEST
        raise FlowError(path, *texts.timer_too_long(key, _cut(value))) from None


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
        "label": raw.get("label"),
    }


def _branches(raw: Any) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Branch(goto=raw),)
    return tuple(Branch(goto=b["goto"], when=b.get("when")) for b in raw)


def _build(doc: dict[str, Any], text: str, path: str, pinned: bool = False) -> Flow:
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
    timers = {k: _duration(v, k, path, pinned) for k, v in doc.get("timers", {}).items() if k != "escalate"}
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
            remind_after=timers.get("remind_after"),
            escalate_after=timers.get("escalate_after"),
            expire_after=timers.get("expire_after"),
        ),
        record=Record(**doc.get("record", {})),
        on_complete=tuple(doc.get("on_complete", ())),
    )


def flow_files(folder: Path) -> list[Path]:
    """The flow files of a folder: every ``*.yaml`` but routes.yaml and checks.yaml."""
    return [path for path in sorted(folder.glob("*.yaml")) if path.stem not in ("routes", "checks")]


def misnamed_files(folder: Path) -> list[Path]:
    """Files of a folder that look meant as flows but are not read as flows: ``launch.yml``,
    ``launch.YAML`` (flow files end in ``.yaml``)."""
    found = [p for p in folder.glob("*.[yY]*") if p.suffix.lower() in (".yml", ".yaml") and p.suffix != ".yaml"]
    return sorted(p for p in found if p.stem not in ("routes", "checks"))


def twin_refusal(path: Path) -> FlowError | None:
    """Why ``path`` is not read, if it is the ``.yml`` (or ``.YAML``) twin of a flow file: the
    ``.yaml`` beside it is the flow, and what is changed in the twin never runs."""
    twin = path.with_suffix(".yaml")
    if path.suffix != ".yaml" and path.suffix.lower() in (".yml", ".yaml") and twin.is_file():
        return FlowError(
            str(path), texts.flow_file_twin(twin.name, path.stem), texts.flow_file_twin_fix(path.name, twin.name)
        )
    return None


def twins(folder: Path) -> dict[str, FlowError]:
    """The ``.yml`` twins of the folder's flow files (``post_meeting.yml`` beside
    ``post_meeting.yaml``), each by its file name with why it is not read: the flow runs from its
    ``.yaml``; the twin is named wherever a refused file is (``serve``'s log, ``/healthz``)."""
    return {path.name: error for path in misnamed_files(folder) if (error := twin_refusal(path))}


def read_flow_in_folder(path: Path) -> Flow:
    """A flow file of a flows folder: its id must be its file's name (a run finds its flow by it),
    and its name must end in .yaml (the folder reads no other)."""
    if path.suffix != ".yaml":
        raise _misnamed(path)
    flow = read_flow_file(path)
    if flow.id != path.stem:
        is_id = re.fullmatch(schema()["properties"]["id"]["pattern"], path.stem) is not None
        raise FlowError(str(path), *texts.flow_id_not_file_name(flow.id, path.stem, is_id))
    return flow


def _misnamed(path: Path) -> FlowError:
    """A flow file not named .yaml, to be renamed after its id (``budget.yml`` of the flow
    ``budget_approval``: budget_approval.yaml, which the id check then takes), or its own stem
    when it has no id one could read; never onto a file there already (``launch-old.yml``, a
    copy of launch.yaml's flow)."""
    try:
        data = yaml_text.safe_load(yaml_text.read_file(path, "the flow"))
    except (yaml_text.Unreadable, yaml.YAMLError):
        data = None
    found = data.get("id") if isinstance(data, dict) else None
    pattern = schema()["properties"]["id"]["pattern"]
    name = found if isinstance(found, str) and re.fullmatch(pattern, found) else path.stem
    if path.with_name(f"{name}.yaml").exists():
        return FlowError(str(path), texts.flow_file_suffix(), texts.flow_file_suffix_taken(name))
    return FlowError(str(path), texts.flow_file_suffix(), texts.flow_file_suffix_fix(name))


def load_folder(folder: Path) -> tuple[dict[str, Flow], dict[str, FlowError]]:
    """The flows of ``folder`` that load, and why each other flow file is refused (by file name).

    One bad file refuses that flow only: the others run (a typo in one flow must not stop every
    conversation); a flow may schedule one that is refused (it is named, and refused, on its own)."""
    flows: dict[str, Flow] = {}
    refused: dict[str, FlowError] = {}
    files = flow_files(folder)
    for path in files:
        try:
            flows[path.stem] = read_flow_in_folder(path)
        except FlowError as exc:
            refused[path.stem] = exc
    for path in misnamed_files(folder):  # 'launch.yml': refused with its rename, not skipped unseen
        if path.stem not in flows and path.stem not in refused:
            refused[path.stem] = _misnamed(path)
    for name, flow in list(flows.items()):
        try:
            validate.check_references(flow, {p.stem for p in files})
        except FlowError as exc:
            refused[name] = exc
            del flows[name]
    return flows, dict(sorted(refused.items()))
