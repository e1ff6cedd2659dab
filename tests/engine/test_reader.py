"""Tests for bot.engine.reader: bad flow files are refused at load time with the file, the step and a fix.

Every refusal case starts from ``MINIMAL`` (a valid two-step flow), introduces one defect, and checks
the FlowError names the file, the step (None for whole-file problems), what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.engine.model import ANSWER_TYPES
from bot.engine.reader import load_flows, read_flow_file, version_of
from bot.errors import FlowError

FLOWS_DIR = Path(__file__).parents[2] / "flows"

HEAD = "id: mini\ntitle: Mini flow\n"

MINIMAL = (
    HEAD
    + """\
steps:
  - id: decision
    ask: "What was decided about {{ trigger.title }}?"
    type: text
  - id: confirm
    ask: "Is '{{ decision }}' right?"
    type: yes_no
"""
)

# a repeat step with the fields record.actions and fan-outs expect; "{fields}" is filled per test
ACTIONS = """\
  - id: actions
    ask: "Which actions?"
    type: repeat
    fields:
{fields}
"""
GOOD_FIELDS = """\
      - {id: what, ask: "What is the action?", type: text}
      - {id: owner, ask: "Who owns '{{ item.what }}'?", type: person}
      - {id: due, ask: "By when?", type: date}
"""


def write(tmp_path: Path, text: str, name: str = "mini") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def with_steps(steps: str, tail: str = "") -> str:
    """A flow with the minimal head, the given ``steps:`` items and an optional tail (record, ...)."""
    return HEAD + "steps:\n" + steps + tail


def actions_step(fields: str = GOOD_FIELDS) -> str:
    return ACTIONS.format(fields=fields.rstrip("\n"))


def refused(path: Path, step: str | None, problem: str) -> FlowError:
    """Load ``path``, expect a FlowError at ``step`` whose problem contains ``problem``."""
    with pytest.raises(FlowError) as info:
        read_flow_file(path)
    err = info.value
    assert err.path == str(path)
    assert err.step == step, f"expected step {step!r}, got {err.step!r} ({err.problem})"
    assert problem in err.problem, f"{problem!r} not in {err.problem!r}"
    assert err.fix.strip(), "the error gives no fix"
    text = str(err)
    assert str(path) in text
    if step is not None:
        assert f"step '{step}'" in text
    assert err.problem in text
    assert f"Fix: {err.fix}" in text
    return err


# --- positive cases ----------------------------------------------------------------------------


def test_minimal_flow_loads(tmp_path):
    path = write(tmp_path, MINIMAL)
    flow = read_flow_file(path)
    assert flow.id == "mini"
    assert flow.title == "Mini flow"
    assert flow.path == str(path)
    assert flow.text == MINIMAL
    assert [s.id for s in flow.steps] == ["decision", "confirm"]
    assert [s.type for s in flow.steps] == ["text", "yes_no"]
    assert flow.first.id == "decision"
    assert flow.roles == {"facilitator": "trigger.facilitator"}
    assert all(s.to == "facilitator" for s in flow.steps)
    assert flow.successors(flow.step("decision")) == ["confirm"]
    assert flow.successors(flow.step("confirm")) == ["completed"]


def test_minimal_flow_with_actions_and_record_loads(tmp_path):
    text = with_steps(
        actions_step()
        + """\
  - id: owner_accepts
    to: each actions.owner
    ask: "Do you accept '{{ item.what }}'?"
    type: yes_no
""",
        "record: {actions: actions, accepts: owner_accepts}\n",
    )
    flow = read_flow_file(write(tmp_path, text))
    assert flow.step("owner_accepts").fan_out == ("actions", "owner")
    assert flow.record.actions == "actions"


def test_version_is_12_hex_digits_of_the_text(tmp_path):
    flow = read_flow_file(write(tmp_path, MINIMAL))
    assert re.fullmatch(r"[0-9a-f]{12}", flow.version)
    assert flow.version == version_of(MINIMAL)


def test_version_changes_when_the_text_changes(tmp_path):
    first = read_flow_file(write(tmp_path, MINIMAL, "mini"))
    (tmp_path / "other").mkdir()
    same = read_flow_file(write(tmp_path / "other", MINIMAL, "mini"))
    assert same.version == first.version  # the text, not the path, makes the version
    edited = MINIMAL.replace("Is '{{ decision }}' right?", "Is '{{ decision }}' correct?")
    changed = read_flow_file(write(tmp_path, edited, "mini"))
    assert changed.version != first.version
    commented = read_flow_file(write(tmp_path, MINIMAL + "# a comment\n", "mini"))
    assert commented.version not in (first.version, changed.version)


def test_load_flows_skips_routes_and_checks(tmp_path):
    write(tmp_path, MINIMAL, "mini")
    # neither is a flow: both would be refused if the loader read them as one
    write(tmp_path, "routes:\n  - {match: anything, flow: mini}\n", "routes")
    write(tmp_path, "- not a mapping\n", "checks")
    (tmp_path / "notes.txt").write_text("not yaml: [", encoding="utf-8")
    flows = load_flows(tmp_path)
    assert list(flows) == ["mini"]
    assert flows["mini"].path == str(tmp_path / "mini.yaml")


def test_load_flows_refuses_an_id_that_differs_from_the_file_name(tmp_path):
    path = write(tmp_path, MINIMAL, "other_name")
    with pytest.raises(FlowError) as info:
        load_flows(tmp_path)
    err = info.value
    assert err.path == str(path)
    assert err.step is None
    assert "'mini' differs from the file name" in err.problem
    assert err.fix == "use id: other_name"
    assert str(path) in str(err)


def repo_flow_files() -> list[Path]:
    return [p for p in sorted(FLOWS_DIR.glob("*.yaml")) if p.stem not in ("routes", "checks")]


def test_the_repo_has_flows():
    assert repo_flow_files(), f"no flow files in {FLOWS_DIR}"


@pytest.mark.parametrize("path", repo_flow_files(), ids=lambda p: p.name)
def test_every_repo_flow_loads(path):
    flow = read_flow_file(path)
    assert flow.id == path.stem
    assert re.fullmatch(r"[0-9a-f]{12}", flow.version)


def test_load_flows_reads_the_repo_folder():
    flows = load_flows(FLOWS_DIR)
    assert set(flows) == {p.stem for p in repo_flow_files()}


# --- whole-file problems -----------------------------------------------------------------------


def test_missing_file_is_refused(tmp_path):
    refused(tmp_path / "absent.yaml", None, "cannot be read")


@pytest.mark.parametrize("text", ["- id: mini\n", "just a string\n"], ids=["list", "scalar"])
def test_file_that_is_not_a_mapping_is_refused(tmp_path, text):
    refused(write(tmp_path, text), None, "not a YAML mapping")


@pytest.mark.parametrize("text", ["", "# the review flow, to do\n"], ids=["empty", "comments"])
def test_an_empty_file_is_refused_as_empty(tmp_path, text):
    refused(write(tmp_path, text), None, "the file is empty (or holds only comments)")


# 5. YAML syntax errors name the line


def test_bad_indentation_is_a_syntax_error_with_its_line(tmp_path):
    text = MINIMAL.replace("    type: yes_no", "     type: yes_no")  # line 9 of the file
    err = refused(write(tmp_path, text), None, "YAML syntax error at line 9")
    assert "indentation" in err.fix


# the second prompt is left unquoted, so the quote opened on line 5 runs to the end of the file
UNCLOSED_QUOTE = MINIMAL.replace('"What was decided about {{ trigger.title }}?"', '"What was decided?').replace(
    "\"Is '{{ decision }}' right?\"", "Is it right?"
)


def test_unclosed_quote_is_a_syntax_error_with_a_line(tmp_path):
    text = UNCLOSED_QUOTE
    err = refused(write(tmp_path, text), None, "YAML syntax error at line ")
    assert "quoting" in err.fix


def test_unclosed_quote_points_at_the_line_where_the_quote_opens(tmp_path):
    text = UNCLOSED_QUOTE
    assert text.splitlines()[4] == '    ask: "What was decided?'  # line 5
    refused(write(tmp_path, text), None, "line 5")


# 12. unknown top-level keys and bad durations


def test_unknown_top_level_key_is_refused(tmp_path):
    err = refused(write(tmp_path, MINIMAL + "stepz: []\n"), None, "unknown key")
    assert "stepz" in err.problem
    assert "spelling" in err.fix


def test_misspelt_steps_key_is_refused(tmp_path):
    err = refused(write(tmp_path, MINIMAL.replace("steps:", "stepz:")), None, "'steps'")
    assert "missing a required key" in err.problem


def test_bad_duration_is_refused(tmp_path):
    text = MINIMAL.replace("steps:", "timers: {remind_after: soon}\nsteps:")
    refused(write(tmp_path, text), None, "'soon'")


def test_bad_duration_problem_names_the_timer(tmp_path):
    text = MINIMAL.replace("steps:", "timers: {remind_after: soon}\nsteps:")
    refused(write(tmp_path, text), None, "timers.remind_after")


def test_bad_duration_fix_shows_the_format(tmp_path):
    text = MINIMAL.replace("steps:", "timers: {remind_after: soon}\nsteps:")
    err = refused(write(tmp_path, text), None, "'soon'")
    assert "30m" in err.fix


# 13. the ledger mapping


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        pytest.param(GOOD_FIELDS.replace("id: what", "id: task"), "text field 'what'", id="no-what"),
        pytest.param(GOOD_FIELDS.replace("type: person", "type: text"), "person field 'owner'", id="owner-not-person"),
        pytest.param(
            "\n".join(line for line in GOOD_FIELDS.splitlines() if "id: due" not in line),
            "date field 'due'",
            id="no-due",
        ),
    ],
)
def test_record_actions_needs_what_owner_and_due(tmp_path, fields, missing):
    text = with_steps(actions_step(fields), "record: {actions: actions}\n")
    err = refused(write(tmp_path, text), None, f"record.actions needs a {missing}")
    assert "'actions'" in str(err)  # the step to fix is named in the text
    assert "actions" in err.fix


def test_record_actions_must_name_a_repeat_step(tmp_path):
    refused(write(tmp_path, MINIMAL + "record: {actions: decision}\n"), None, "not a repeat step")


def test_record_naming_an_unknown_step_is_refused(tmp_path):
    refused(write(tmp_path, MINIMAL + "record: {review_at: when}\n"), None, "record.review_at names 'when'")


# --- step problems -----------------------------------------------------------------------------


# 1. branches to unknown steps


@pytest.mark.parametrize(
    "next_", ["[{goto: nowhere}]", "nowhere", "[{when: \"decision == 'x'\", goto: nowhere}, {goto: confirm}]"]
)
def test_branch_to_unknown_step_is_refused(tmp_path, next_):
    text = MINIMAL.replace("    type: text\n", f"    type: text\n    next: {next_}\n")
    err = refused(write(tmp_path, text), "decision", "branches to unknown step 'nowhere'")
    assert "completed" in err.fix


def test_branches_to_final_states_are_allowed(tmp_path):
    text = MINIMAL.replace(
        "    type: text\n",
        "    type: text\n    next: [{when: \"decision == 'stop'\", goto: cancelled}, {goto: confirm}]\n",
    )
    text = text.replace("    type: yes_no\n", "    type: yes_no\n    next: completed\n")
    flow = read_flow_file(write(tmp_path, text))
    assert flow.successors(flow.step("decision")) == ["cancelled", "confirm"]


# 2. prompts


def test_step_without_ask_is_refused(tmp_path):
    text = MINIMAL.replace("    ask: \"Is '{{ decision }}' right?\"\n", "")
    err = refused(write(tmp_path, text), "confirm", "has no prompt")
    assert "ask:" in err.fix


def test_field_without_ask_is_refused(tmp_path):
    fields = GOOD_FIELDS.replace('ask: "By when?", ', "")
    refused(write(tmp_path, with_steps(actions_step(fields))), "actions", "field 'due' has no prompt")


# 3. answer types


def test_unknown_answer_type_is_refused_naming_the_step(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: colour")
    refused(write(tmp_path, text), "confirm", "")


def test_unknown_answer_type_problem_names_the_type_and_fix_lists_types(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: colour")
    err = refused(write(tmp_path, text), "confirm", "'colour'")
    assert "'type'" in err.problem
    assert all(repr(t) in err.fix for t in ANSWER_TYPES)


# schema errors inside a step other than the answer type: (text, step, key the problem should name)
STEP_SCHEMA_CASES = [
    pytest.param(
        MINIMAL.replace("    ask: \"Is '{{ decision }}' right?\"", '    ask: ""'), "confirm", "'ask'", id="empty-ask"
    ),
    pytest.param(
        MINIMAL.replace("type: yes_no", "type: choice\n    options: []"), "confirm", "'options'", id="empty-options"
    ),
    pytest.param(MINIMAL.replace("id: confirm", "id: Confirm"), "Confirm", "'id'", id="id-pattern"),
    pytest.param(MINIMAL.replace("  - id: confirm\n    ask", "  - ask"), "#2", "'id'", id="id-missing"),
    pytest.param(MINIMAL.replace("type: yes_no", "type: number\n    min: low"), "confirm", "'min'", id="min-type"),
]


@pytest.mark.parametrize(("text", "step", "key"), STEP_SCHEMA_CASES)
def test_schema_error_inside_a_step_is_refused_naming_the_step(tmp_path, text, step, key):
    refused(write(tmp_path, text), step, "")


@pytest.mark.parametrize(("text", "step", "key"), STEP_SCHEMA_CASES)
def test_schema_error_inside_a_step_names_the_key_not_unknown_keys(tmp_path, text, step, key):
    err = refused(write(tmp_path, text), step, key)
    assert "unknown key" not in err.problem
    assert "spelling" not in err.fix


def test_schema_error_in_a_step_only_key_names_the_key(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: yes_no\n    on_fail: retry")
    err = refused(write(tmp_path, text), "confirm", "'on_fail' is invalid")
    assert "'escalate'" in err.fix


def test_unknown_key_in_a_step_is_refused(tmp_path):
    text = MINIMAL.replace("    type: text\n", "    type: text\n    nxt: confirm\n")
    err = refused(write(tmp_path, text), "decision", "unknown key")
    assert "'nxt'" in err.problem
    assert "'ask'" not in err.problem  # only the bad key is named


# 4. and 14. step ids


def test_duplicate_step_ids_are_refused(tmp_path):
    text = MINIMAL.replace("id: confirm", "id: decision")
    err = refused(write(tmp_path, text), "decision", "'decision' is used twice")
    assert "own id" in err.fix


@pytest.mark.parametrize("name", ["completed", "cancelled", "event", "trigger", "machine", "item"])
def test_reserved_step_id_is_refused(tmp_path, name):
    text = MINIMAL.replace("id: confirm", f"id: {name}")
    err = refused(write(tmp_path, text), name, f"'{name}' is a reserved name")
    assert "rename" in err.fix


def test_reserved_first_step_id_is_refused(tmp_path):
    text = MINIMAL.replace("id: decision", "id: completed").replace("{{ decision }}", "{{ completed }}")
    refused(write(tmp_path, text), "completed", "reserved name")


# 6. choices


def test_choice_without_options_is_refused(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: choice")
    err = refused(write(tmp_path, text), "confirm", "choice without options")
    assert "options:" in err.fix


def test_options_on_a_non_choice_are_refused(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: yes_no\n    options: [a, b]")
    refused(write(tmp_path, text), "confirm", "has options but is of type yes_no")


def test_choice_with_options_loads(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: choice\n    options: [keep, {value: drop, label: Drop it}]")
    step = read_flow_file(write(tmp_path, text)).step("confirm")
    assert [(o.value, o.label) for o in step.options] == [("keep", "keep"), ("drop", "Drop it")]


# 7. roles


@pytest.mark.parametrize("to", ["boss", "participants", "trigger.facilitator"])
def test_to_naming_an_unknown_role_is_refused(tmp_path, to):
    # participants is a role only when the flow declares it under roles:
    text = MINIMAL.replace("    type: yes_no\n", f"    type: yes_no\n    to: {to}\n")
    err = refused(write(tmp_path, text), "confirm", f"'to: {to}' names no role")
    assert "facilitator" in err.fix


def test_declared_participants_role_is_accepted(tmp_path):
    text = MINIMAL.replace(
        "steps:", "roles: {facilitator: trigger.facilitator, participants: trigger.participants}\nsteps:"
    )
    text = text.replace("    type: yes_no\n", "    type: yes_no\n    to: participants\n")
    assert read_flow_file(write(tmp_path, text)).step("confirm").to == "participants"


def test_unknown_role_name_under_roles_is_refused(tmp_path):
    text = MINIMAL.replace("steps:", "roles: {boss: trigger.facilitator}\nsteps:")
    refused(write(tmp_path, text), None, "'boss'")


# 8. fan-outs


FAN_OUT = """\
  - id: owner_accepts
    to: {to}
    ask: "Do you accept '{{{{ item.what }}}}'?"
    type: yes_no
"""


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        pytest.param(
            FAN_OUT.format(to="each actions.owner") + actions_step(),
            "fans out over 'actions', not an earlier step",
            id="repeat-comes-later",
        ),
        pytest.param(
            "  - {id: decision, ask: 'What?', type: text}\n" + FAN_OUT.format(to="each nowhere.owner"),
            "fans out over 'nowhere', not an earlier step",
            id="unknown-source",
        ),
        pytest.param(
            "  - {id: decision, ask: 'What?', type: text}\n" + FAN_OUT.format(to="each owner_accepts.owner"),
            "fans out over 'owner_accepts', not an earlier step",
            id="itself",
        ),
        pytest.param(
            "  - {id: decision, ask: 'Who?', type: person}\n" + FAN_OUT.format(to="each decision.owner"),
            "needs a person field of a repeat step",
            id="source-not-repeat",
        ),
        pytest.param(
            actions_step(GOOD_FIELDS.replace("type: person", "type: text")) + FAN_OUT.format(to="each actions.owner"),
            "needs a person field of a repeat step",
            id="field-not-person",
        ),
        pytest.param(
            actions_step() + FAN_OUT.format(to="each actions.boss"),
            "needs a person field of a repeat step",
            id="no-such-field",
        ),
    ],
)
def test_bad_fan_out_is_refused(tmp_path, steps, problem):
    err = refused(write(tmp_path, with_steps(steps)), "owner_accepts", problem)
    assert "'to: each " in err.problem


def test_repeat_step_cannot_be_fanned_out(tmp_path):
    fan_repeat = actions_step().replace("    type: repeat\n", "    type: repeat\n    to: each actions.owner\n")
    steps = actions_step() + fan_repeat.replace("id: actions", "id: more")
    refused(write(tmp_path, with_steps(steps)), "more", "repeat step cannot be fanned out")


def test_fan_out_over_trigger_actions_is_allowed(tmp_path):
    steps = FAN_OUT.format(to="each trigger.actions.owner") + "  - {id: decision, ask: 'What?', type: text}\n"
    flow = read_flow_file(write(tmp_path, with_steps(steps)))
    assert flow.first.fan_out == ("trigger.actions", "owner")


# 9. conditions


@pytest.mark.parametrize(
    "when",
    [
        "__import__('os')",
        "decision.upper() == 'X'",
        "decision.__class__ == 'X'",
        "(lambda: 1)()",
        "[x for x in decision]",
        "decision ==",
        "decision in ['a', 'b']",
        "len(decision) > 2",
    ],
    ids=["import", "method-call", "dunder", "lambda", "comprehension", "syntax", "in-list", "function"],
)
def test_forbidden_condition_is_refused(tmp_path, when):
    # YAML single-quoted flow scalar: the condition's own quotes are doubled
    next_ = "[{when: '" + when.replace("'", "''") + "', goto: completed}, {goto: confirm}]"
    text = MINIMAL.replace("    type: text\n", f"    type: text\n    next: {next_}\n")
    err = refused(write(tmp_path, text), "decision", "is not allowed")
    assert when in err.problem
    assert "==" in err.fix
    assert "trusted" not in f"{err.problem} {err.fix}"  # the library's advice, which no flow author can follow


def test_condition_naming_an_unknown_step_is_refused(tmp_path):
    next_ = "[{when: \"decison == 'x'\", goto: completed}, {goto: confirm}]"
    text = MINIMAL.replace("    type: text\n", f"    type: text\n    next: {next_}\n")
    refused(write(tmp_path, text), "decision", "decison")


# 10. templates


def test_prompt_with_unknown_name_is_refused(tmp_path):
    text = MINIMAL.replace("Is '{{ decision }}' right?", "Hi {{ nobody }}")
    err = refused(write(tmp_path, text), "confirm", "unknown name(s) 'nobody'")
    assert "trigger." in err.fix


@pytest.mark.parametrize("ask", ["About {{ trigger.title ", "{% if decision %}open", "{{ decision | }}"])
def test_prompt_template_syntax_error_is_refused(tmp_path, ask):
    text = MINIMAL.replace("Is '{{ decision }}' right?", ask)
    refused(write(tmp_path, text), "confirm", "is not a valid template")


def test_field_prompt_with_unknown_name_is_refused(tmp_path):
    fields = GOOD_FIELDS.replace("By when?", "By when, {{ nobody }}?")
    refused(
        write(tmp_path, with_steps(actions_step(fields))), "actions", "field 'due' refers to unknown name(s) 'nobody'"
    )


def test_item_in_a_prompt_of_a_plain_step_is_refused(tmp_path):
    text = MINIMAL.replace("Is '{{ decision }}' right?", "Is '{{ item.what }}' right?")
    refused(write(tmp_path, text), "confirm", "'item'")


# 11. reachability


def test_step_skipped_by_a_branch_is_unreachable(tmp_path):
    text = MINIMAL.replace("    type: text\n", "    type: text\n    next: confirm\n").replace(
        "  - id: confirm\n", "  - id: skipped\n    ask: Never asked?\n    type: text\n  - id: confirm\n"
    )
    err = refused(write(tmp_path, text), "skipped", "never reached")
    assert "branch to it" in err.fix


def test_step_after_a_step_that_completes_is_unreachable(tmp_path):
    text = MINIMAL.replace(
        "    type: text\n",
        "    type: text\n    next: [{when: \"decision == 'x'\", goto: cancelled}, {goto: completed}]\n",
    )
    refused(write(tmp_path, text), "confirm", "never reached")


def test_step_reached_only_by_a_branch_loads(tmp_path):
    text = MINIMAL.replace(
        "    type: text\n",
        "    type: text\n    next: [{when: \"decision == 'x'\", goto: confirm}, {goto: completed}]\n",
    )
    assert read_flow_file(write(tmp_path, text)).step("confirm")


# 15. default branch


def test_default_branch_that_is_not_last_is_refused(tmp_path):
    next_ = "[{goto: confirm}, {when: \"decision == 'x'\", goto: completed}]"
    text = MINIMAL.replace("    type: text\n", f"    type: text\n    next: {next_}\n")
    err = refused(write(tmp_path, text), "decision", "without 'when' is not the last")
    assert "last" in err.fix


# --- what a flow may name must be what it is rendered with --------------------------------------


@pytest.mark.parametrize("name", ["flow", "now", "state", "model"])
def test_a_prompt_naming_what_it_is_not_rendered_with_is_refused(tmp_path, name):
    text = MINIMAL.replace("Is '{{ decision }}' right?", f"Is this right, in {{{{ {name}.title }}}}?")
    refused(write(tmp_path, text), "confirm", f"unknown name(s) '{name}'")


@pytest.mark.parametrize(
    ("template", "problem"),
    [("{{ decision }: done", "is not a valid template"), ("{{ decison }}", "unknown name(s) 'decison'")],
)
def test_a_record_decision_template_is_checked_at_load(tmp_path, template, problem):
    text = MINIMAL + f'record:\n  decision: "{template}"\n'
    refused(write(tmp_path, text), None, problem)


def test_accepts_must_name_a_step_that_asks_each_owner(tmp_path):
    steps = actions_step() + '  - {id: agreed, ask: "Does everyone agree?", type: yes_no}\n'
    text = with_steps(steps, "record:\n  actions: actions\n  accepts: agreed\n")
    refused(write(tmp_path, text), None, "record.accepts names 'agreed', which asks no one per action")


@pytest.mark.parametrize(
    ("step", "default"),
    [
        ('{id: pick, ask: "Which?", type: choice, options: [a, b], default: c}', "c"),
        ('{id: when, ask: "When?", type: date, default: someday soon}', "someday soon"),
        ('{id: size, ask: "How many?", type: number, min: 1, max: 5, default: 9}', "9"),
    ],
)
def test_a_default_its_own_question_refuses_is_refused_at_load(tmp_path, step, default):
    step_id = step.split(",")[0].split(":")[1].strip()
    refused(write(tmp_path, with_steps(f"  - {step}\n")), step_id, f"the default '{default}' of the step")


@pytest.mark.parametrize("day", [28, 30])  # 2026-11-30 is the last day of its month
def test_a_date_default_is_judged_without_the_days_bounds(monkeypatch, tmp_path, day):
    from datetime import UTC, datetime

    from bot.engine import validate

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, day, 12, 0, tzinfo=UTC)

    monkeypatch.setattr(validate, "datetime", Clock)
    step = '  - {id: due, ask: "By when?", type: date, default: end of month, not_before: tomorrow}\n'
    assert read_flow_file(write(tmp_path, with_steps(step))).id == "mini"  # loads whatever the day


# --- what a flow means at run time, refused at load (a flow author's walkthrough) ----------------

DATE_STEP = """\
  - id: review_at
    ask: "When do we review?"
    type: date
"""


def test_a_last_branch_with_a_condition_is_refused(tmp_path):
    text = with_steps(
        """\
  - id: decision
    ask: "Act or watch?"
    type: choice
    options: [act, watch, ignore]
    next:
      - {when: "decision == 'act'", goto: confirm}
      - {when: "decision == 'watch'", goto: completed}
  - id: confirm
    ask: "Sure?"
    type: yes_no
"""
    )
    err = refused(write(tmp_path, text), "decision", "the last branch has a condition")
    assert "without 'when'" in err.fix


def test_a_loop_that_never_reaches_completed_is_refused(tmp_path):
    text = with_steps(
        """\
  - id: a
    ask: "A?"
    type: text
    next: b
  - id: b
    ask: "B?"
    type: text
    next: a
"""
    )
    refused(write(tmp_path, text), "a", "the run never ends")


def test_a_loop_with_a_way_out_loads(tmp_path):
    text = with_steps(
        """\
  - id: a
    ask: "A?"
    type: text
    next: b
  - id: b
    ask: "Again?"
    type: yes_no
    next:
      - {when: "b", goto: a}
      - goto: completed
"""
    )
    flow = read_flow_file(write(tmp_path, text))
    assert flow.successors(flow.step("b")) == ["a", "completed"]


@pytest.mark.parametrize(
    ("invite", "problem"),
    [
        ("{at: decision}", "calendar_invite.at names 'decision', which is not a date step"),
        ('{at: review_at, title: "Review of {{ title }"}', "the template of calendar_invite.title"),
        ('{at: review_at, title: "Review of {{ flow.title }}"}', "the template of calendar_invite.title"),
    ],
)
def test_a_calendar_invite_that_could_not_be_written_is_refused(tmp_path, invite, problem):
    text = MINIMAL + DATE_STEP + f"on_complete:\n  - calendar_invite: {invite}\n"
    refused(write(tmp_path, text), None, problem)


def test_a_calendar_invite_with_a_good_title_loads(tmp_path):
    text = MINIMAL + DATE_STEP + 'on_complete:\n  - calendar_invite: {at: review_at, title: "Review: {{ title }}"}\n'
    assert read_flow_file(write(tmp_path, text)).on_complete


def test_a_scheduled_flow_must_be_in_the_folder(tmp_path):
    text = MINIMAL + DATE_STEP + "on_complete:\n  - schedule_flow: {flow: decison_review, at: review_at}\n"
    write(tmp_path, text)
    with pytest.raises(FlowError) as info:
        load_flows(tmp_path)
    assert "schedule_flow names the flow 'decison_review', which is not in the flows folder" in str(info.value)
    assert "use one of mini" in info.value.fix
    write(tmp_path, MINIMAL.replace("id: mini", "id: decison_review"), "decison_review")
    assert set(load_flows(tmp_path)) == {"mini", "decison_review"}


@pytest.mark.parametrize(
    ("bounds", "problem"),
    [
        ("type: number\n    min: 10\n    max: 1", "min 10 above max 1"),
        ("type: date\n    not_before: 2027-03-01\n    not_after: 2027-01-01", "not_before 2027-03-01 later than"),
        ("type: date\n    not_before: tomorrow\n    not_after: today", "not_before tomorrow later than"),
    ],
)
def test_bounds_that_accept_no_answer_are_refused(tmp_path, bounds, problem):
    text = MINIMAL.replace("type: yes_no", bounds)
    err = refused(write(tmp_path, text), "confirm", problem)
    assert "swap" in err.fix


@pytest.mark.parametrize(
    ("first", "last"),
    [("today", "2020-01-01"), ("tomorrow", "end of month"), ("in 3 weeks", "end of quarter")],
)
def test_bounds_whose_order_depends_on_the_day_are_judged_when_answered(tmp_path, first, last):
    text = MINIMAL.replace("type: yes_no", f"type: date\n    not_before: {first}\n    not_after: {last}")
    assert read_flow_file(write(tmp_path, text)).step("confirm").not_after == last


def test_a_branch_may_end_the_run_without_a_decision(tmp_path):
    text = MINIMAL.replace(
        "type: yes_no", "type: yes_no\n    next:\n      - {when: confirm, goto: completed}\n      - goto: cancelled"
    )
    flow = read_flow_file(write(tmp_path, text))  # loads: cancelled is an end too
    assert flow.successors(flow.step("confirm")) == ["completed", "cancelled"]


def test_a_yes_where_a_number_goes_keeps_the_type_fix(tmp_path):
    err = refused(
        write(tmp_path, MINIMAL.replace("type: yes_no", "type: yes_no\n    max_failures: yes")), "confirm", ""
    )
    assert "quotes" not in err.fix and "integer" in err.fix


def test_a_bare_yes_among_options_says_to_quote_it(tmp_path):
    text = MINIMAL.replace("type: yes_no", "type: choice\n    options: [yes, no, maybe]")
    err = refused(write(tmp_path, text), "confirm", "'options' is invalid")
    assert "quotes" in err.fix and "'yes'" in err.fix


def test_a_choice_a_chat_menu_cannot_show_is_refused(tmp_path):
    many = ", ".join(f"o{i}" for i in range(101))
    err = refused(write(tmp_path, with_steps(f"  - {{id: pick, ask: 'Which?', type: choice, options: [{many}]}}\n")),
                  "pick", "the step has 101 options; chat menus show 100 at most")  # fmt: skip
    assert "two steps" in err.fix
    same = "Keep the current enterprise pricing model and revisit it after the next quarterly business review"
    text = with_steps(
        f"""\
  - id: pick
    ask: "Which?"
    type: choice
    options:
      - {{value: a, label: "{same} in April"}}
      - {{value: b, label: "{same} in May"}}
"""
    )  # before: a Slack menu of identical entries (labels cut at 75 characters)
    refused(write(tmp_path, text), "pick", "the step has options whose labels read the same in a menu")
