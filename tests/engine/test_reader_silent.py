"""bot.engine.reader: what a flow file says that a run would silently not do is refused at load,
with the step and a fix (a flow author's walkthrough). Helpers in tests/engine/test_reader.py."""

from __future__ import annotations

import time

import pytest

from bot.engine.reader import read_flow_file, read_flow_text
from tests.engine.test_reader import GOOD_FIELDS, actions_step, refused, with_steps, write

ASK_PICK = '{id: pick, ask: "Which?", type: choice, options: [act, ignore]'


def branching(step: str, when: str) -> str:
    """``step`` (a flow-style mapping without its closing brace), branching on ``when``."""
    return with_steps(
        f'  - {step}, next: [{{when: "{when}", goto: why}}, {{goto: completed}}]}}\n'
        '  - {id: why, ask: "Why?", type: text}\n'
    )


@pytest.mark.parametrize(
    ("step", "when", "problem"),
    [
        (ASK_PICK, "pick == 'ignor'", "compares 'pick' with 'ignor', which a choice answer never is"),
        (ASK_PICK, "'Ignore' != pick", "compares 'pick' with 'Ignore', which a choice answer never is"),
        ('{id: ok, ask: "Ship?", type: yes_no', "ok == 'no'", "compares 'ok' with 'no', which a yes_no answer never"),
        ('{id: size, ask: "How many?", type: number', "size == '5'", "compares 'size' with '5', which a number"),
        # a number ordered against a text: Python refuses the comparison, the guard is false, every time
        ('{id: size, ask: "How many?", type: number', "size > '100'", "compares 'size' with '100', which a number"),
        ('{id: size, ask: "How many?", type: number', "'10' <= size", "compares 'size' with '10', which a number"),
        # a person's answer is their id (console:alice, slack:U0123): never 'me' nor a name
        ('{id: who, ask: "Who?", type: person', "who == 'me'", "compares 'who' with 'me', which a person answer never"),
        ('{id: who, ask: "Who?", type: person', "who != 'alice'", "compares 'who' with 'alice', which a person"),
    ],
)
def test_a_condition_comparing_an_answer_with_a_value_it_never_has_is_refused(tmp_path, step, when, problem):
    err = refused(write(tmp_path, branching(step, when)), step.split(",")[0].split()[-1], problem)
    assert "so the branch is never taken" in err.problem and "compare" in err.fix


@pytest.mark.parametrize(
    ("step", "when"),
    [
        (ASK_PICK, "pick == 'ignore'"),
        (ASK_PICK, "pick != 'act' and 'ignore' == pick"),
        ('{id: ok, ask: "Ship?", type: yes_no', "ok == false"),
        ('{id: ok, ask: "Ship?", type: yes_no', "not ok"),
        ('{id: size, ask: "How many?", type: number', "size == 5 or size > 10.5"),
        ('{id: notes, ask: "Notes?", type: text', "notes == 'n/a'"),
        ('{id: who, ask: "Who?", type: person', "who == 'console:alice' or who == 'slack:U0123'"),
    ],
)
def test_a_condition_comparing_with_a_value_the_answer_can_have_loads(tmp_path, step, when):
    read_flow_file(write(tmp_path, branching(step, when)))


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ('{id: notes, ask: "Notes?", type: text, min: 3}', "the step has 'min', which does nothing on a text question"),
        ('{id: when, ask: "When?", type: date, max: 5}', "the step has 'max', which does nothing on a date question"),
        ('{id: notes, ask: "Notes?", type: text, min_items: 2}', "the step has 'min_items', which does nothing"),
        ('{id: notes, ask: "Notes?", type: text, item_label: Task}', "the step has 'item_label', which does nothing"),
        (
            '{id: notes, ask: "Notes?", type: text, fields: [{id: a, ask: "A?", type: text}]}',
            "the step has 'fields', which does nothing",
        ),
        ('{id: notes, ask: "Notes?", type: text, complete_when: any}', "'complete_when', which works only on a step"),
        ('{id: notes, ask: "Notes?", type: number, on_fail: skip}', "'on_fail: skip' but nothing in it is optional"),
    ],
)
def test_a_key_that_does_nothing_on_its_step_is_refused(tmp_path, step, problem):
    refused(write(tmp_path, with_steps(f"  - {step}\n")), "notes" if "notes" in step else "when", problem)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("optional: true", "the step has 'optional', which does nothing on a repeat step"),
        ("default: none", "the step has 'default', which does nothing on a repeat step"),
    ],
)
def test_optional_or_default_on_a_repeat_step_is_refused(tmp_path, key, problem):
    steps = actions_step().replace("    type: repeat\n", f"    type: repeat\n    {key}\n")
    refused(write(tmp_path, with_steps(steps)), "actions", problem)


def test_a_field_of_a_repeat_read_by_a_misspelt_name_is_refused(tmp_path):
    steps = actions_step().replace("{{ item.what }}", "{{ item.wat }}")
    err = refused(write(tmp_path, with_steps(steps)), "actions", "field 'owner' reads item.wat")
    assert "fields: what, owner, due" in err.problem


def test_a_fan_out_reading_an_item_field_its_source_lacks_is_refused(tmp_path):
    fan = "  - {id: accepts, to: each actions.owner, ask: \"Do you take {{ item['task'] }}?\", type: yes_no}\n"
    refused(write(tmp_path, with_steps(actions_step() + fan)), "accepts", "the prompt of the step reads item.task")


def test_on_fail_skip_on_an_optional_step_loads(tmp_path):
    read_flow_file(
        write(tmp_path, with_steps('  - {id: notes, ask: "Notes?", type: text, optional: true, on_fail: skip}\n'))
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "  - id: decision\n    ask: What?\n    type: text\n    next: completed\n    next: review\n"
            "  - {id: review, ask: 'When?', type: date}\n",
            "the key 'next' is written twice in one mapping, at lines 7 and 8: YAML keeps only the last",
        ),
        (
            "  - {id: decision, ask: 'What?', type: text, id: other}\n",
            "the key 'id' is written twice in one mapping, at line 4",
        ),
    ],
)
def test_a_key_written_twice_is_refused_with_its_lines(tmp_path, text, problem):
    err = refused(write(tmp_path, with_steps(text)), None, problem)
    assert "keep one of them" in err.fix


def test_a_version_runs_are_on_is_read_even_with_a_key_written_twice():
    text = with_steps("  - id: decision\n    ask: What?\n    ask: What was decided?\n    type: text\n")
    flow = read_flow_text(text, "flows/mini.yaml", pinned=True)  # checked when it was current: runs go on
    assert flow.step("decision").ask == "What was decided?"


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ('{id: pick, ask: "Which?", type: choice, options: [a, b], default: c}', "Please pick one of: a, b"),
        ('{id: size, ask: "How many?", type: number, min: 1, max: 5, default: 9}', "at most 5"),
        ('{id: ok, ask: "Ship?", type: yes_no, default: perhaps}', "Please answer yes or no"),
    ],
)
def test_a_refused_default_says_what_the_question_takes_not_a_code(tmp_path, step, said):
    err = refused(
        write(tmp_path, with_steps(f"  - {step}\n")), step.split(",")[0].split()[-1], "is not an answer it takes"
    )
    assert said in err.problem
    assert "(choice_unknown)" not in err.problem and "_" not in err.problem.split("takes")[1]
    assert err.fix == "change it to an answer the question takes, or remove it"


@pytest.mark.parametrize(
    ("bounds", "default", "said"),
    [
        ("not_before: today", "yesterday", "too early"),
        ("not_after: today", "in 2 weeks", "too late"),
        ("not_before: tomorrow, not_after: in 1 week", "in 2 weeks", "too late"),
    ],
)
def test_a_date_default_its_own_bounds_refuse_on_every_day_is_refused(tmp_path, bounds, default, said):
    """Before, the bounds were left out of the default's check (whether a date is in bounds depends
    on the day), so these loaded and every run's 'ok' was refused with the bound's re-prompt."""
    step = f"  - {{id: when, ask: 'When?', type: date, {bounds}, default: {default}}}\n"
    err = refused(write(tmp_path, with_steps(step)), "when", "is not an answer it takes")
    assert said in err.problem


@pytest.mark.parametrize(
    ("bounds", "default"),
    [
        ("not_before: today", "in 2 weeks"),
        ("not_before: tomorrow", "end of month"),  # a month's last day alone refuses it: some day takes it
        ("not_after: 2031-01-01", "2030-06-01"),
    ],
)
def test_a_date_default_some_day_takes_is_loaded(tmp_path, bounds, default):
    step = f"  - {{id: when, ask: 'When?', type: date, {bounds}, default: {default}}}\n"
    flow = read_flow_text(with_steps(step), str(write(tmp_path, with_steps(step))))
    assert flow.step("when").default == default


@pytest.mark.parametrize(
    ("default", "said"),
    [
        ("'{{ trigger.facilitator }}'", "a default is taken as written, not filled in as a template"),
        ("''", "it names nobody"),
        ("'@'", "it names nobody"),
        ("[bob, carol]", "a person is named by text"),
    ],
)
def test_a_person_default_no_run_can_read_is_refused(tmp_path, default, said):
    """Before, these loaded, and every run's 'ok' to the question was refused ("I don't know
    '{{ trigger.facilitator }}'", "Please give an answer") as the other types' defaults are not."""
    step = f"  - {{id: lead, ask: 'Who leads?', type: person, default: {default}}}\n"
    err = refused(write(tmp_path, with_steps(step)), "lead", "is not an answer it takes")
    assert said in err.problem and "me (whoever answers)" in err.fix


@pytest.mark.parametrize("default", ["me", "slack:U0123", "bob", "'<@U0BOB>'"])
def test_a_person_default_some_run_can_read_is_taken(tmp_path, default):
    """A name or handle is read where that person is one of the run's people: not refused."""
    flow = read_flow_file(
        write(tmp_path, with_steps(f"  - {{id: lead, ask: 'Who?', type: person, default: {default}}}\n"))
    )
    assert flow.step("lead").default == default.strip("'")


def test_a_prompt_that_is_not_a_template_gets_a_syntax_fix(tmp_path):
    err = refused(
        write(tmp_path, with_steps('  - {id: decision, ask: "About {{ trigger.title }?", type: text}\n')),
        "decision",
        "is not a valid template",
    )
    assert "{{ name }}" in err.fix and "step id" not in err.fix


def test_a_flow_of_thousands_of_steps_is_checked_in_seconds(tmp_path):
    steps = "".join(f'  - {{id: s{i}, ask: "Q{i}?", type: text}}\n' for i in range(2000))
    path = write(tmp_path, with_steps(steps))
    started = time.perf_counter()
    assert len(read_flow_file(path).steps) == 2000  # was cubic in the steps: minutes
    assert time.perf_counter() - started < 30  # cubic took minutes; a loaded machine has taken 14 s


@pytest.mark.parametrize(
    ("text", "step", "problem", "fix"),
    [
        (
            with_steps('  - {id: decision, ask: "What?", tpye: text}\n'),
            "decision",
            "the step is missing a required key: 'type', and has 'tpye', which the flow format does not know",
            "correct the spelling of 'tpye', or add the missing key",
        ),
        (
            "id: mini\ntitel: Mini\nsteps:\n" + '  - {id: decision, ask: "What?", type: text}\n',
            None,
            "the flow is missing a required key: 'title', and has 'titel'",
            "correct the spelling of 'titel'",
        ),
    ],
)
def test_a_misspelt_required_key_is_named_with_the_key_it_misses(tmp_path, text, step, problem, fix):
    err = refused(write(tmp_path, text), step, problem)
    assert fix in err.fix


def test_a_step_to_participants_without_the_role_says_how_to_declare_it(tmp_path):
    err = refused(
        write(tmp_path, with_steps('  - {id: mood, to: participants, ask: "How?", type: text}\n')),
        "mood",
        "'to: participants' names no role",
    )
    assert err.fix.startswith("declare it under roles: ('participants: trigger.participants')")


def test_numbers_as_options_say_to_quote_them(tmp_path):
    err = refused(
        write(tmp_path, with_steps('  - {id: rating, ask: "How was it?", type: choice, options: [1, 2, 3]}\n')),
        "rating",
        "'options' is invalid",
    )
    assert err.fix.startswith("options are text: put the number in quotes (")


SEVERITY = (
    '  - {id: severity, ask: "How bad?", type: choice,'
    ' options: [{value: sev1, label: "SEV1 - down"}, {value: sev2, label: "SEV2 - degraded"}]}\n'
)


def test_a_prompt_comparing_a_choice_with_its_label_is_refused(tmp_path):
    """Templates show a choice by its label but compare it by its value, as conditions do: before,
    ``{% if severity == 'SEV2 - degraded' %}`` loaded and was never true."""
    ask = "{% if severity == 'SEV2 - degraded' %}Page the owner. {% endif %}Who owns the fix?"
    text = with_steps(SEVERITY + f'  - {{id: owner, ask: "{ask}", type: text}}\n')
    err = refused(write(tmp_path, text), "owner", "compares the choice 'severity' with 'SEV2 - degraded'")
    assert "'sev1'" in err.fix and "'sev2'" in err.fix


def test_a_prompt_comparing_a_choice_with_its_value_loads(tmp_path):
    ask = "{% if 'sev1' == severity or severity != 'sev2' %}Page the owner. {% endif %}Who owns the fix?"
    read_flow_file(write(tmp_path, with_steps(SEVERITY + f'  - {{id: owner, ask: "{ask}", type: text}}\n')))


LATER_OWNER = '  - {id: owner, ask: "Who owns it?", type: person}\n'


@pytest.mark.parametrize(
    "ask", ["Owner: {{ owner }}. What was decided?", "{% if answers.owner %}Owner set. {% endif %}What was decided?"]
)
def test_a_prompt_reading_a_step_asked_after_it_is_refused(tmp_path, ask):
    """Before, ``{{ owner }}`` in a step asked before ``owner`` loaded and showed nothing in every run."""
    text = with_steps(f'  - {{id: decision, ask: "{ask}", type: text}}\n' + LATER_OWNER)
    err = refused(write(tmp_path, text), "decision", "reads 'owner', which no route asks before it")
    assert "ask 'owner' before 'decision'" in err.fix


def test_a_repeat_field_reading_a_later_step_is_refused(tmp_path):
    fields = GOOD_FIELDS.replace("By when?", "By when? (owner: {{ owner }})")
    text = with_steps(actions_step(fields) + '  - {id: owner, ask: "Who leads?", type: person}\n')
    err = refused(write(tmp_path, text), "actions", "the prompt of field 'due' reads 'owner'")
    assert "'actions'" in err.fix


def test_a_branch_left_before_a_step_is_never_read_there(tmp_path):
    """``why`` ends the run on its own branch: the step on the other branch never has it."""
    text = with_steps(
        '  - {id: pick, ask: "Which?", type: choice, options: [act, ignore],'
        " next: [{when: \"pick == 'ignore'\", goto: why}, {goto: plan}]}\n"
        '  - {id: why, ask: "Why?", type: text, next: completed}\n'
        '  - {id: plan, ask: "Plan, given {{ why }}?", type: text}\n'
    )
    refused(write(tmp_path, text), "plan", "reads 'why'")


@pytest.mark.parametrize(
    "steps",
    [
        # a loop: the step asked again after 'note', which it shows from the round before
        '  - {id: decision, ask: "Decided?{% if note %} Last time: {{ note }}{% endif %}", type: text}\n'
        '  - {id: note, ask: "Note?", type: text}\n'
        "  - {id: again, ask: \"Again?\", type: yes_no, next: [{when: 'again', goto: decision}, {goto: completed}]}\n",
        # a repeat's field reading its own step (the items so far), a fan-out its own step's answers
        actions_step(GOOD_FIELDS.replace("What is the action?", "What is action {{ actions | length + 1 }}?"))
        + '  - {id: ok, to: "each actions.owner", ask: "{{ item.what }} ({{ ok }})?", type: yes_no}\n',
    ],
)
def test_a_prompt_reading_a_step_a_route_answers_before_it_loads(tmp_path, steps):
    read_flow_file(write(tmp_path, with_steps(steps)))
