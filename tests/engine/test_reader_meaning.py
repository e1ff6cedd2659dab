"""bot.engine.reader: what a flow names must be what it is rendered with, and what a flow means
at run time is refused at load (a flow author's walkthrough). Helpers in
tests/engine/test_reader.py."""

from __future__ import annotations

import pytest

from bot.engine.reader import read_flow_file
from bot.errors import FlowError
from tests.engine.test_reader import MINIMAL, actions_step, refused, with_steps, write
from tests.flows_support import load_flows

# --- what a flow may name must be what it is rendered with --------------------------------------


@pytest.mark.parametrize("name", ["flow", "now", "state", "model"])
def test_a_prompt_naming_what_it_is_not_rendered_with_is_refused(tmp_path, name):
    text = MINIMAL.replace("Is '{{ decision }}' right?", f"Is this right, in {{{{ {name}.title }}}}?")
    refused(write(tmp_path, text), "confirm", f"unknown name(s) '{name}'")


def test_item_outside_a_repeat_or_a_fan_out_is_refused_with_where_it_can_be_used(tmp_path):
    """The fix said to use item.<field>, which was what the prompt did."""
    text = MINIMAL.replace("Is '{{ decision }}' right?", "Is '{{ item.what }}' right?")
    err = refused(write(tmp_path, text), "confirm", "unknown name(s) 'item'")
    assert err.fix == (
        "use trigger.<field> or a step id: item.<field> is only in a repeat's fields and in a step"
        " asked of each person ('to: each <step>.<person field>')"
    )
    other = refused(write(tmp_path, MINIMAL.replace("{{ decision }}", "{{ decison }}")), "confirm", "'decison'")
    assert other.fix == "use trigger.<field>, a step id, or item.<field>: did you mean 'decision'?"


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
        ("type: date\n    not_before: in 2 weeks\n    not_after: tomorrow", "not_before in 2 weeks later than"),
        ("type: date\n    not_before: in 8 days\n    not_after: in 1 week", "not_before in 8 days later than"),
    ],
)
def test_bounds_that_accept_no_answer_are_refused(tmp_path, bounds, problem):
    text = MINIMAL.replace("type: yes_no", bounds)
    err = refused(write(tmp_path, text), "confirm", problem)
    assert "swap" in err.fix


@pytest.mark.parametrize(
    ("first", "last"),
    [("today", "2020-01-01"), ("tomorrow", "end of month"), ("in 3 weeks", "end of quarter"),
     ("in 30 days", "in 1 month"), ("in 1 week", "in 7 days")],
)  # fmt: skip
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
    assert "quotes" not in err.fix and "whole number" in err.fix


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
    spaced = with_steps('  - {id: pick, ask: "Which?", type: choice, options: ["Act now", "act  now "]}\n')
    refused(write(tmp_path, spaced, "spaced"), "pick", "the step has options whose labels read the same in a menu")


def test_an_option_written_twice_is_named_as_such(tmp_path):
    text = with_steps("  - {id: pick, ask: 'Which?', type: choice, options: [a, b, a]}\n")
    err = refused(write(tmp_path, text), "pick", "the step lists the option 'a' twice")
    assert err.fix == "remove the second 'a' from its options"  # before: labels that "read the same in a menu"
    one_value = "options: [{value: a, label: Alpha}, {value: a, label: Again}]"
    err = refused(write(tmp_path, with_steps(f"  - {{id: pick, ask: 'Which?', type: choice, {one_value}}}\n")),
                  "pick", "the step has options 'Alpha' and 'Again' with the same value 'a'")  # fmt: skip
    assert err.fix == "give each option its own value"


@pytest.mark.parametrize(
    "options",
    ["['', b]", "['   ', b]", "[{value: a, label: ''}, b]", "[{value: ' ', label: Alpha}, b]"],
)
def test_an_option_with_no_words_is_refused(tmp_path, options):
    """Before, it loaded: Slack refuses a button or a menu option with no text (invalid_blocks), and
    nobody can type an option that has no words, so the question could not be put to anyone."""
    text = with_steps(f"  - {{id: pick, ask: 'Which?', type: choice, options: {options}}}\n")
    err = refused(write(tmp_path, text), "pick", "the step has option 1 with no words to pick or type it by")
    assert err.fix == "give option 1 a label and a value of a word or more, or remove it"
