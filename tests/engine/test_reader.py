"""Tests for bot.engine.reader: bad flow files are refused at load time with the file, the step and a fix.

Every refusal case starts from ``MINIMAL`` (a valid two-step flow), introduces one defect, and checks
the FlowError names the file, the step (None for whole-file problems), what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.engine.reader import read_flow_file, version_of
from bot.errors import FlowError
from tests.flows_support import load_flows

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


@pytest.mark.parametrize("field", ["what", "owner"])
def test_record_actions_refuses_an_optional_what_or_owner(tmp_path, field):
    """An optional 'what' passed, then every run crashed at its end (actions.what is NOT NULL); an
    optional 'owner' stored an action of nobody's, whose review waited on 'None' forever."""
    fields = GOOD_FIELDS.replace(f"{{id: {field}, ", f"{{id: {field}, optional: true, ")
    assert "optional: true" in fields
    text = with_steps(actions_step(fields), "record: {actions: actions}\n")
    err = refused(write(tmp_path, text), None, f"the field '{field}' of step 'actions', which record.actions reads,")
    assert err.fix == f"remove 'optional: true' from '{field}' (only 'due' may be skipped)"
    due = GOOD_FIELDS.replace("{id: due, ", "{id: due, optional: true, ")
    read_flow_file(write(tmp_path, with_steps(actions_step(due), "record: {actions: actions}\n"), "due"))


def test_record_actions_must_name_a_repeat_step(tmp_path):
    refused(write(tmp_path, MINIMAL + "record: {actions: decision}\n"), None, "not a repeat step")


def test_record_naming_an_unknown_step_is_refused(tmp_path):
    refused(write(tmp_path, MINIMAL + "record: {review_at: when}\n"), None, "record.review_at names 'when'")
