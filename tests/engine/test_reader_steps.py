"""bot.engine.reader: flow files refused for a problem in a step (branches, asks, answer types,
keys, ids, options, roles, fan-out, conditions, prompts, reachability), each error naming the
file, the step and the fix. Helpers in tests/engine/test_reader.py."""

from __future__ import annotations

import pytest

from bot.engine.model import ANSWER_TYPES
from bot.engine.reader import read_flow_file
from tests.engine.test_reader import GOOD_FIELDS, MINIMAL, actions_step, refused, with_steps, write

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


@pytest.mark.parametrize(
    ("steps", "problem", "fix"),
    [
        pytest.param(  # said it fanned out over '' (the text before a dot that is not there)
            "  - {id: lead, ask: 'Who leads?', type: person}\n" + FAN_OUT.format(to="each lead"),
            "'to: each lead' names no field to fan out over",
            "write 'each <repeat step>.<person field>', e.g. 'each actions.owner'",
            id="no-field",
        ),
        pytest.param(  # the fix said to use 'each lead.<person field>', which a person step has none of
            "  - {id: lead, ask: 'Who leads?', type: person}\n" + FAN_OUT.format(to="each lead.who"),
            "'to: each lead.who' needs a person field of a repeat step: 'lead' is a person step",
            "ask for the people in a repeat step with a person field and fan out over it, or address the step to"
            " a role",
            id="source-not-repeat",
        ),
        pytest.param(
            actions_step() + FAN_OUT.format(to="each actions.boss"),
            "'to: each actions.boss' needs a person field of a repeat step",
            "use 'each actions.owner'",
            id="no-such-field",
        ),
        pytest.param(
            actions_step(GOOD_FIELDS.replace("type: person", "type: text")) + FAN_OUT.format(to="each actions.owner"),
            "'to: each actions.owner' needs a person field of a repeat step",
            "add a field of type person to 'actions' and fan out over it",
            id="no-person-field",
        ),
    ],
)
def test_a_bad_fan_out_says_what_to_write(tmp_path, steps, problem, fix):
    err = refused(write(tmp_path, with_steps(steps)), "owner_accepts", problem)
    assert err.fix == fix


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


@pytest.mark.parametrize(
    ("ask", "problem"),
    [
        ("A {{ trigger.title | uppr }}?", "(No filter named 'uppr'.)"),  # crashed every command, and serve
        ("{% if decision %}{{ decision | uppr }}{% endif %}", "(no filter named 'uppr')"),  # left to run time
        ("{% if decision is nosuchtest %}x{% endif %}Right?", "(no test named 'nosuchtest')"),
        ("A {{ trigger.__class__.__mro__ }}?", "('__mro__' may not be read in a template)"),  # the sandbox's refusal
        ("A {{ trigger['_secret'] }}?", "('_secret' may not be read in a template)"),
    ],
)
def test_a_prompt_that_would_fail_in_every_run_is_refused_at_load(tmp_path, ask, problem):
    text = MINIMAL.replace("Is '{{ decision }}' right?", ask)
    err = refused(write(tmp_path, text), "confirm", f"is not a valid template {problem}")
    assert "introspection" not in str(err)


def test_a_prompt_failing_on_one_runs_values_is_shown_as_written_and_the_run_goes_on(caplog):
    from bot.engine import templates

    ask = "Half of {{ amount }} is {{ amount / 2 }}: OK?"  # a text answer, or another template's value
    assert templates.check(ask, {"amount"}) is None  # nothing at load can tell
    assert templates.render(ask, {"amount": "10"}) == ask
    assert "A flow's template failed, shown as written" in caplog.text and "TypeError" in caplog.text
    assert templates.render(ask, {"amount": 10}) == "Half of 10 is 5: OK?"  # a whole float printed whole
    with pytest.raises(TypeError):  # stored text (the decision recorded, an invitation's title) is never the template
        templates.render(ask, {"amount": "10"}, strict=True)


def test_an_invitation_title_failing_on_its_values_is_the_flows_title_not_the_template() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.engine.reader import read_flow_text
    from bot.ics import review_invite

    flow = read_flow_text(
        "id: inv\ntitle: Weekly\nsteps:\n  - {id: d, ask: 'When?', type: date}\n"
        "on_complete:\n  - calendar_invite: {at: d, title: \"Review: {{ decision.split(':')[0] }}\"}\n",
        "inv.yaml",
    )
    alice = {"id": "console:alice", "name": "alice"}
    record = {"run": 1, "title": "Weekly", "decision": None, "answers": {"d": "2027-01-15"}, "facilitator": alice}
    invite = review_invite(flow, record, [], 1, ZoneInfo("UTC"), datetime(2027, 1, 1, tzinfo=UTC))
    assert invite is not None and "{{" not in invite["content"] and "SUMMARY:Review: Weekly" in invite["content"]


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


@pytest.mark.parametrize(
    ("answer", "template", "printed"),
    [
        (98765432.10, "{{ a * 1.2 }}", "118518518.52"),  # was 118518518.5 (ten digits)
        (10000000001, "{{ a * 1.2 }}", "12000000001.2"),  # was 1.2e+10
        (12345678901.5, "{{ a }}", "12345678901.5"),
        (19.99, "{{ a * 1.2 }}", "23.988"),  # not 23.987999999999996
        (15000, "{{ a * 1.2 }}", "18000"),  # not 18000.0
        (0, "{% if a %}answered{% endif %}", "answered"),  # only a step not answered is false
    ],
)
def test_a_number_answer_prints_as_people_write_it(answer, template, printed):
    from bot.engine import templates
    from bot.engine.questions import template_value

    assert templates.render(template, {"a": template_value(answer)}) == printed
