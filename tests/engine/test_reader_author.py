"""A flow author's slips, found writing flows from the docs (an approval with a branch, a
post-mortem with timers): each refused at load naming the real mistake, its step and its fix,
not a consequence of it elsewhere in the file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine.reader import read_flow_file, read_flow_in_folder
from bot.errors import FlowError
from tests.engine.test_reader import refused, with_steps, write

APPROVAL = """\
  - {id: vendor, ask: "Which vendor?", type: text}
  - {id: budget, ask: "How much, in EUR?", type: number, min: 1}
  - id: approved
    ask: "Do you approve {{ vendor }} for {{ budget }} EUR?"
    type: yes_no
    next:
      - {when: "approved", goto: start_date}
      - goto: reason
  - {id: reason, ask: "Why was it refused?", type: text, next: completed}
  - {id: start_date, ask: "When does it start?", type: date, not_before: today}
"""


def test_a_step_id_written_again_is_named_not_the_branch_it_took_away(tmp_path) -> None:
    # the last step pasted from the budget step and its id left as it was: the branch to
    # 'start_date' was refused first ("branches to unknown step"), pointing at a step not at fault
    text = with_steps(APPROVAL.replace("{id: start_date,", "{id: budget,"))
    err = refused(write(tmp_path, text), "budget", "the step id 'budget' is used twice")
    assert err.fix == "give every step its own id"


@pytest.mark.parametrize(
    ("timers", "later", "earlier", "lost"),
    [
        # "escalate a day after the reminder", written as if each counted from the one before
        ({"remind_after": "1d", "escalate_after": "1d"}, "escalate_after", "remind_after", "reminder"),
        (
            {"remind_after": "2d", "escalate_after": "1d", "expire_after": "1w"},
            "escalate_after",
            "remind_after",
            "reminder",
        ),
        ({"escalate_after": "1w", "expire_after": "3d"}, "expire_after", "escalate_after", "escalation"),
        ({"remind_after": "4h", "expire_after": "240m"}, "expire_after", "remind_after", "reminder"),
    ],
)
def test_timers_out_of_order_are_refused_naming_the_one_never_sent(tmp_path, timers, later, earlier, lost) -> None:
    # loaded before, and the run went straight to the later stage: the earlier one was never sent
    written = "{" + ", ".join(f"{k}: {v}" for k, v in timers.items()) + "}"
    text = with_steps(APPROVAL).replace("steps:", f"timers: {written}\nsteps:", 1)
    err = refused(
        write(tmp_path, text),
        None,
        f"'timers.{later}: {timers[later]}' is not later than 'timers.{earlier}: {timers[earlier]}'",
    )
    assert f"the {lost} would never be sent" in err.problem
    assert "counts from the run's last activity" in err.fix


def test_a_timer_of_nothing_is_refused(tmp_path) -> None:
    text = with_steps(APPROVAL).replace("steps:", "timers: {remind_after: 0h}\nsteps:", 1)
    err = refused(write(tmp_path, text), None, "'timers.remind_after' is 0h")
    assert "30m" in err.fix


def test_timers_in_order_load(tmp_path) -> None:
    text = with_steps(APPROVAL).replace(
        "steps:", "timers: {remind_after: 4h, escalate_after: 1d, expire_after: 2w}\nsteps:"
    )
    assert read_flow_file(write(tmp_path, text)).timers.expire_after == timedelta(weeks=2)


def test_a_quote_left_open_is_pointed_at_on_its_own_line(tmp_path) -> None:
    # YAML reads on to the next quote, three lines down, and fails there: the error named line 6
    # alone, where nothing is wrong ("expected <block end>, but found '<scalar>'")
    text = with_steps(
        APPROVAL.replace('ask: "Which vendor?"', 'ask: "Which vendor?', 1).replace(
            "{id: vendor, ", "id: vendor\n    ", 1
        )
    )
    lines = text.splitlines()
    assert lines[4] == '    ask: "Which vendor?, type: text}' and lines[5].startswith("  - {id: budget")
    err = refused(write(tmp_path, text), None, "YAML syntax error at line 6")
    assert "the quote opened at line 5, column 10 is closed only at line 6" in err.problem
    assert err.fix == 'close the quote (") opened at line 5, column 10, on its own line'


def test_a_quote_inside_a_quoted_text_is_pointed_at(tmp_path) -> None:
    refusal = '  - {id: reason, ask: "Why was it refused?", type: text, next: completed}\n'
    text = with_steps(APPROVAL.replace(refusal, "  - id: reason\n    ask: 'Why didn't it pass?'\n    type: text\n", 1))
    assert text.splitlines()[12] == "    ask: 'Why didn't it pass?'"
    err = refused(write(tmp_path, text), None, "YAML syntax error at line 13, column 20")
    assert "the text quoted at line 13, column 10 ends before the rest of its line (a ' inside it?)" in err.problem
    assert err.fix == "quote the text at line 13 with \" instead, or write a ' inside it as ''"


def test_a_misspelt_to_names_the_step_meant(tmp_path) -> None:
    # the brief's other misspellings (a goto, a condition, a key) name the one meant; 'to' listed the roles only
    approver = '  - {id: approver, ask: "Who approves it?", type: person}\n'
    text = with_steps(
        approver + APPROVAL.replace('    ask: "Do you approve', '    to: aprover\n    ask: "Do you approve', 1)
    )
    err = refused(write(tmp_path, text), "approved", "'to: aprover' names no role")
    assert err.fix.endswith(": did you mean 'approver'?"), err.fix


def test_a_misspelt_name_in_a_prompt_names_the_step_meant(tmp_path) -> None:
    text = with_steps(APPROVAL.replace("Do you approve {{ vendor }}", "Do you approve {{ vendr }}", 1))
    err = refused(write(tmp_path, text), "approved", "the prompt of the step refers to unknown name(s) 'vendr'")
    assert err.fix == "use trigger.<field>, a step id, or item.<field>: did you mean 'vendor'?"


def test_a_branch_written_as_a_bare_step_in_a_list_is_told_to_say_goto(tmp_path) -> None:
    # 'next: completed' works alone, so the last of a list was written the same way
    text = with_steps(APPROVAL.replace("      - goto: reason\n", "      - reason\n", 1))
    err = refused(write(tmp_path, text), "approved", "'next' is invalid: 'reason' is not of type 'object'")
    assert err.fix == "write each branch of a list with goto: '- goto: reason' (and 'when:' on all but the last)"


def test_a_date_bound_not_understood_is_told_the_phrases_a_bound_takes(tmp_path) -> None:
    # the fix said "use today, tomorrow or an ISO date", though 'in 2 weeks' or 'end of month' are bounds too
    text = with_steps(APPROVAL.replace("not_before: today", "not_before: in 2 weks", 1))
    err = refused(write(tmp_path, text), "start_date", "the date bound 'in 2 weks' is not understood")
    assert (
        err.fix
        == "write a day as an answer would name it: today, tomorrow, in 2 weeks, end of month or an ISO date (2027-01-31)"
    )
    for bound in ("in 2 weeks", "end of month", "2027-01-31", "tomorrow"):
        read_flow_file(write(tmp_path, with_steps(APPROVAL.replace("not_before: today", f"not_before: {bound}", 1))))


@pytest.mark.parametrize(
    ("old", "new", "key", "fix"),
    [
        ("type: number, min: 1}", "type: choice, options: []}", "options", "list the options: 'options: [a, b, c]'"),
        (
            "      - goto: reason\n",
            "",
            "next",
            "name where the step goes, 'next: completed', or remove it: the step below comes next",
        ),
    ],
)
def test_an_empty_list_says_so_with_what_to_write(tmp_path, old, new, key, fix) -> None:
    # 'options:' with nothing under it said "'options' is empty"; 'options: []' said "[] should be
    # non-empty. Fix: see the flow format in the README and bot/engine/schema.json"
    text = with_steps(APPROVAL.replace(old, new, 1))
    if key == "next":
        text = text.replace('      - {when: "approved", goto: start_date}\n', "", 1).replace(
            "    next:\n", "    next: []\n", 1
        )
    err = refused(write(tmp_path, text), "budget" if key == "options" else "approved", f"'{key}' is empty")
    assert err.fix == fix


def test_a_file_name_no_id_can_be_is_told_to_rename_the_file(tmp_path) -> None:
    # "budget approval.yaml" with id budget_approval was told "Fix: use id: budget approval", an id refused in turn
    path = write(tmp_path, with_steps(APPROVAL).replace("id: mini", "id: budget_approval", 1), "budget approval")
    with pytest.raises(FlowError) as info:
        read_flow_in_folder(path)
    assert info.value.problem == "the id 'budget_approval' differs from the file name"
    assert (
        info.value.fix
        == "rename the file budget_approval.yaml: a flow's file is named by its id (lowercase letters, digits and _)"
    )
    renamed = write(tmp_path, with_steps(APPROVAL), "mini_flow")
    with pytest.raises(FlowError) as other:
        read_flow_in_folder(renamed)
    assert other.value.fix == "use id: mini_flow"  # a file name an id can be: the id follows it, as before


def test_a_step_without_its_id_is_named_by_its_line(tmp_path) -> None:
    # named '#4' alone before: the author counted the steps to find it
    text = with_steps(APPROVAL.replace("  - {id: reason, ", "  - {idd: reason, ", 1))
    assert text.splitlines()[11].startswith("  - {idd: reason")
    err = refused(write(tmp_path, text), "#4", "the step at line 12 is missing a required key: 'id', and has 'idd'")
    assert "did you mean" in err.fix or "'idd'" in err.fix
