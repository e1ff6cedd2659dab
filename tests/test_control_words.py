"""How a typed command is read (bot.control.command_words): ``A12 done`` is ``done A12``; nothing
else is turned around."""

from __future__ import annotations

import pytest

from bot.control import comes_first, command_words, is_command


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
