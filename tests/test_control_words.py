"""How a typed command is read (bot.control.command_words): ``A12 done`` is ``done A12``; nothing
else is turned around."""

from __future__ import annotations

import pytest

from bot.command_words import gives_here
from bot.control import comes_first, command_words, is_command, meant_command, names_a_run


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("A12 done", ["done", "A12"]),
        ("a3 Done!", ["done", "a3"]),
        ("done A12", ["done", "A12"]),
        ("A12 is done", ["A12", "is", "done"]),  # a sentence: an answer, not a command
        ("Plan done", ["Plan", "done"]),  # no action's code first
    ],
)
def test_a_code_first_done_is_read_as_done_code(typed: str, read: list[str]) -> None:
    assert command_words(typed) == read


def test_a_code_first_done_is_a_command_wherever_typed() -> None:
    assert is_command("A12 done") and comes_first("A12 done", flows=())
    assert not is_command("Plan done") and not comes_first("Plan done", flows=())


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("staus 3", "status 3"),
        ("stauts #3", "status #3"),
        ("cancle 3", "cancel 3"),
        ("lsit", "list"),
        ("acitons", "actions"),
        ("hlep", "help"),
        ("mvoe 3 #ops", "move 3 #ops"),
        ("doen A12", "done A12"),
        ("drpo A3", "drop A3"),
        ("gvie A3 @bob", "give A3 @bob"),
        ("strat post_meeting Weekly sync", "start post_meeting Weekly sync"),
        # words after the slip that its command would not take: a sentence, not a command
        ("lsit please", None),
        ("cancle it", None),
        ("cancle 3 4", None),
        ("mvoe 3 ops", None),
        ("mvoe 3", None),
        ("doen", None),
        ("gvie A3", None),
        ("strat", None),
        ("strat a b c d", None),
        ("lost my laptop", None),
    ],
)
def test_a_slip_of_the_keyboard_is_read_as_the_command_only_with_words_it_takes(typed: str, meant: str | None) -> None:
    assert meant_command(typed) == meant


THREE = {3}.__contains__  # (action A3, or run 3, is the writer's; no other)


@pytest.mark.parametrize(
    ("typed", "names", "given"),
    [
        ("status 3", True, True),  # anyone's: it changes nothing
        ("cancel #3", True, True),  # run 3 is led by its writer
        ("cancel 4", True, False),
        ("done A3", True, True),
        ("done A4", True, False),  # a command that names an action; not theirs to report done
        ("drop A3", True, True),
        ("drop A4", False, False),  # not theirs: a sentence ("Drop A4 paper")
        ("give A3 @bob", True, True),
        ("give A3", False, False),
        ("due A3", False, False),
        ("due A3 friday", True, True),
        ("drop", False, False),
        ("cancel", False, False),  # a run's own word
        ("done 1", False, False),
        ("status 3 now", False, False),
        ("hello 3", False, False),
        ("list", False, False),
        ("We ship in March", False, False),
    ],
)
def test_a_command_naming_its_run_or_action_is_one_its_writer_may_give_here(
    typed: str, names: bool, given: bool
) -> None:
    assert names_a_run(typed, THREE) is names
    assert gives_here(typed, THREE, THREE) is given


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("start post_meeting Weekly sync", True),
        ("start post_meeting", True),
        ("start other_flow", False),
        ("start", False),
        ("list", True),
        ("actions", True),
        ("list mine", False),  # an answer that starts with the word
        ("status 3", True),
        ("drop A3 the vendor left", True),
        ("drop A4 paper", False),
        ("maybe", False),
    ],
)
def test_what_comes_before_a_question_waiting(typed: str, first: bool) -> None:
    assert comes_first(typed, {"post_meeting"}, THREE) is first
