"""bot.engine.reader: a branch condition or the record reading an answer it can never have as
written (a step no route asks before the branch, a step answered once per item where one answer
is read) is refused at load, with the step and a fix. Helpers in tests/engine/test_reader.py."""

from __future__ import annotations

import pytest

from bot.engine.reader import read_flow_file
from tests.engine.test_reader import actions_step, refused, with_steps, write

OWNER = '  - {id: owner, ask: "Who owns it?", type: choice, options: [me, them]}\n'
WHY = '  - {id: why, ask: "Why you?", type: text}\n'


def decision_branching(when: str) -> str:
    """A first step branching on ``when`` to ``why``, then ``owner``."""
    return (
        '  - {id: decision, ask: "What was decided?", type: text,'
        f' next: [{{when: "{when}", goto: why}}, {{goto: owner}}]}}\n' + WHY + OWNER
    )


@pytest.mark.parametrize("when", ["owner == 'me'", "not owner", "decision != '' and owner != 'them'"])
def test_a_condition_reading_a_step_asked_after_it_is_refused(tmp_path, when):
    """Before, the branch loaded and was decided without 'owner' in every run (never taken, or
    always, with 'not')."""
    err = refused(write(tmp_path, with_steps(decision_branching(when))), "decision", "reads 'owner'")
    assert "which no route asks before it" in err.problem and "the branch" in err.problem
    assert "ask 'owner' before 'decision'" in err.fix


def test_a_condition_reading_a_step_on_a_branch_left_is_refused(tmp_path):
    """``why`` ends the run on its own branch: ``plan``'s condition never sees it answered."""
    text = with_steps(
        '  - {id: pick, ask: "Which?", type: choice, options: [act, ignore],'
        " next: [{when: \"pick == 'ignore'\", goto: why}, {goto: plan}]}\n"
        '  - {id: why, ask: "Why?", type: text, next: completed}\n'
        '  - {id: plan, ask: "Plan?", type: text, next: [{when: "why", goto: completed}, {goto: done}]}\n'
        '  - {id: done, ask: "Done?", type: yes_no}\n'
    )
    refused(write(tmp_path, text), "plan", "reads 'why'")


@pytest.mark.parametrize(
    "steps",
    [
        # its own answer, and an answer asked before it
        '  - {id: first, ask: "First?", type: text}\n'
        '  - {id: decision, ask: "What?", type: text,'
        " next: [{when: \"decision == first or first == 'x'\", goto: why}, {goto: owner}]}\n" + WHY + OWNER,
        # a loop: the step asked again after 'note' branches on the note of the round before
        '  - {id: decision, ask: "Decided?", type: text,'
        " next: [{when: \"note == 'stop'\", goto: completed}, {goto: note}]}\n"
        '  - {id: note, ask: "Note?", type: text}\n'
        "  - {id: again, ask: \"Again?\", type: yes_no, next: [{when: 'again', goto: decision}, {goto: completed}]}\n",
    ],
)
def test_a_condition_reading_a_step_a_route_answers_before_it_loads(tmp_path, steps):
    read_flow_file(write(tmp_path, with_steps(steps)))


FAN_YES = '  - {id: ok, to: each actions.owner, ask: "You own {{ item.what }}. OK?", type: yes_no}\n'
FAN_DATE = '  - {id: look, to: each actions.owner, ask: "Review {{ item.what }} when?", type: date}\n'
DECIDED = '  - {id: decided, ask: "What was decided?", type: text}\n'


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        # before: the summary said "Decided: [{'what': 'fix the build', 'owner': {...}, ...}]"
        ("record: {decision: actions, actions: actions}", "record.decision names 'actions', which answers once per"),
        # before: "Decided: {'0': True}"
        ("record: {decision: ok, actions: actions}", "record.decision names 'ok', which answers once per"),
        # before: "Ship with 0 actions:", whatever was answered
        (
            'record: {decision: "Ship with {{ actions | length }} actions", actions: actions}',
            "the template of record.decision reads 'actions', which answers once per",
        ),
        # before: the run crashed at its end (a dict bound as the review date)
        ("record: {decision: decided, review_at: look}", "record.review_at names 'look', which answers once per"),
        (
            "record: {decision: decided}\non_complete:\n  - schedule_flow: {flow: mini, at: look}",
            "schedule_flow.at names 'look', which answers once per",
        ),
    ],
)
def test_the_record_reading_one_answer_of_a_step_answered_per_item_is_refused(tmp_path, record, problem):
    text = with_steps(DECIDED + actions_step() + FAN_YES + FAN_DATE, record + "\n")
    err = refused(write(tmp_path, text), None, problem)
    assert "asked once" in err.fix


def test_the_record_reading_steps_asked_once_loads(tmp_path):
    record = 'record: {decision: "{{ decided }} ({{ answers.decided }})", actions: actions, accepts: ok}\n'
    read_flow_file(write(tmp_path, with_steps(DECIDED + actions_step() + FAN_YES, record)))
