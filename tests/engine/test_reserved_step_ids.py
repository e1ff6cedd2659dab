"""Step ids the engine cannot use (``next``, ``send``, ``actor``, ...) are refused at load with the
file, the step and the fix; the list keeps up with python-statemachine; near names run to the end."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from statemachine import StateChart
from statemachine.event import Event, _event_data_kwargs
from statemachine.factory import StateMachineMetaclass

from bot.engine import reserved
from bot.engine.asking import TurnBase
from bot.engine.compiler import Interpreter
from bot.engine.model import FINAL_STATES
from bot.engine.reader import read_flow_file, read_flow_text
from bot.errors import FlowError
from bot.model import Trigger
from bot.store import open_db
from tests.engine.test_reader import MINIMAL, refused, write
from tests.test_engine_turns import ALICE, CONV, make_bot, run_row, say

STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")  # what the schema lets through: the ids to check

#: ``decision``, then X (read by a branch condition and a later prompt), then ``confirm``
THROUGH = """\
id: mini
title: Mini flow
steps:
  - {id: decision, ask: "What was decided?", type: text}
  - id: X
    ask: "Say go about {{ decision }}"
    type: text
    next:
      - {when: "X == 'go'", goto: confirm}
      - {goto: completed}
  - {id: confirm, ask: "Is '{{ X }}' right?", type: yes_no}
"""


@pytest.mark.parametrize("name", sorted(reserved.RESERVED))
def test_each_reserved_step_id_is_refused_with_the_file_the_step_and_a_name_that_works(tmp_path, name):
    path = write(tmp_path, MINIMAL.replace("id: confirm", f"id: '{name}'"))  # quoted: true, null stay words
    err = refused(path, name, f"the step id '{name}' is a reserved name: ")
    assert f"rename it, e.g. '{name}_step'" in err.fix
    fixed = write(tmp_path, MINIMAL.replace("id: confirm", f"id: {name}_step"), "fixed")
    assert [s.id for s in read_flow_file(fixed).steps] == ["decision", f"{name}_step"]  # the suggestion loads


def test_next_as_a_step_id_says_why_and_how_to_fix_it_in_one_line(tmp_path):
    text = THROUGH.replace("X", "next")
    path = write(tmp_path, text)
    err = refused(path, "next", "reserved")
    assert str(err) == (
        f"{path}, step 'next': the step id 'next' is a reserved name: the engine moves every run on with an"
        " event of that name. Fix: rename it, e.g. 'next_step', wherever the flow names it"
        " (id, goto, when, prompts, record)"
    )


def test_a_reserved_id_is_refused_where_it_is_first_as_well(tmp_path):
    text = MINIMAL.replace("id: decision", "id: send").replace("{{ decision }}", "{{ send }}")
    refused(write(tmp_path, text), "send", "python-statemachine's state machine")


def test_the_reserved_ids_keep_up_with_python_statemachine(tmp_path):
    """Every name a step would replace on the machine, or take from the event's arguments, is
    reserved or was tried and runs: what the library defines today, not only what was listed
    when this was written."""
    flow = read_flow_file(write(tmp_path, MINIMAL))
    machine = Interpreter(flow).machine
    ours = {s.id for s in flow.steps} | set(FINAL_STATES) | reserved.ENGINE_EVENTS
    names = set(dir(StateChart)) | set(vars(StateMachineMetaclass)) | set(vars(type(machine))) | set(vars(machine))
    arguments = set(_event_data_kwargs)
    for call in (TurnBase.transition, Interpreter.send, StateChart.send, Event.put, Event.build_trigger):
        params = inspect.signature(call).parameters.values()
        arguments |= {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    wanted = {n for n in (names | arguments) - ours if STEP_ID.match(n)}
    known = reserved.RESERVED | reserved.MACHINE_NAMES_TRIED_HARMLESS  # a new name: try it, then sort it
    assert wanted <= known, sorted(wanted - known)
    assert {e.id for e in type(machine).events} == reserved.ENGINE_EVENTS  # the compiler's own events


NEAR_NAMES = ["next_step", "nexts", "back_to", "cancel_reason", "actor_name", "sender", "states_seen", "prev", "skip"]


@pytest.mark.parametrize("name", NEAR_NAMES + sorted(reserved.MACHINE_NAMES_TRIED_HARMLESS))
def test_a_near_name_is_accepted_and_a_run_through_it_completes(tmp_path, name):
    """And the library's names a run does not use ('name', 'id', 'events' ...): a step of that
    name replaces the machine's attribute, and the run completes (a review found them refused,
    though flows with a 'name' step ran before)."""
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "mini.yaml").write_text(THROUGH.replace("X", name))
    db = open_db(tmp_path / "t.db")
    try:
        bot = make_bot(db, folder)
        bot.start(Trigger(flow="mini", title="T", facilitator=ALICE), CONV)
        assert say(bot, ALICE, "We ship") == [("alice", "prompt", "Say go about We ship")]
        assert say(bot, ALICE, "go")[-1][2] == "Is 'go' right?"  # the condition and the prompt read its answer
        assert say(bot, ALICE, "back")[-1][2].startswith("Say go about We ship")  # back into it
        say(bot, ALICE, "go")
        say(bot, ALICE, "yes")
        assert run_row(db) == ("completed", "completed")
        assert db.execute("SELECT value FROM answers WHERE step = ?", [name]).fetchall() == [('"go"',), ('"go"',)]
    finally:
        db.conn.close()


def test_a_step_id_in_capitals_is_refused_as_not_lowercase_not_as_reserved(tmp_path):
    err = refused(write(tmp_path, MINIMAL.replace("id: confirm", "id: Next")), "Next", "does not match")
    assert err.fix == "use lowercase letters, digits and underscores, starting with a letter"


def test_a_version_runs_are_pinned_to_keeps_the_ids_reserved_since(tmp_path):
    """A run in flight on a version checked before an id was reserved is not stopped by the new check;
    the ids reserved from the start stay refused."""
    text = MINIMAL.replace("id: confirm", "id: states")
    assert [s.id for s in read_flow_text(text, "mini.yaml", pinned=True).steps] == ["decision", "states"]
    with pytest.raises(FlowError, match="'states' is a reserved name"):
        read_flow_text(text, "mini.yaml")
    with pytest.raises(FlowError, match="'trigger' is a reserved name"):
        read_flow_text(MINIMAL.replace("id: confirm", "id: trigger"), "mini.yaml", pinned=True)


def test_the_readme_lists_every_reserved_step_id():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("- **Reserved step ids**:", 1)[1].split("\n- **", 1)[0]
    missing = [name for name in sorted(reserved.RESERVED - reserved.KEYWORDS) if f"`{name}`" not in section]
    assert not missing, missing
    assert "the Python keywords" in section


@pytest.mark.parametrize("field", ["items", "keys", "values", "get", "update"])
def test_a_repeat_field_named_like_a_method_of_the_item_is_refused(tmp_path, field):
    """In a prompt, item.items was dict.items ('Note: <built-in method items of dict ...>'), not
    the answer: such a field id is refused at load, naming file, step and fix."""
    text = (Path(__file__).parents[2] / "flows" / "post_meeting.yaml").read_text()
    text = text.replace(
        "      - {id: owner,", f"      - {{id: {field}, ask: 'Note?', type: text}}\n      - {{id: owner,"
    )
    assert f"id: {field}," in text
    path = tmp_path / "post_meeting.yaml"
    path.write_text(text)
    with pytest.raises(FlowError) as refused_:
        read_flow_file(path)
    said = str(refused_.value)
    assert said.startswith(f"{path}, step 'actions': the field id '{field}' is a reserved name")
    assert f"rename it, e.g. '{field}_text'" in said
    path.write_text(text.replace(f"id: {field},", f"id: {field}_text,"))
    assert read_flow_file(path).id == "post_meeting"
