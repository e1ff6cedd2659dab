"""'back' twice inside one action of the list, then 'ok': the answers gone back over are kept as
other answers are (before, the due date given was forgotten: asked again with no "(currently:
...)", and 'ok' was refused as no date). In the terminal, piped, as the README runs it."""

from __future__ import annotations

from pathlib import Path

from tests.dates import JAN10
from tests.test_people_words import MEETING, chat, ledger

LISTED = ["We ship in March", "Draft the plan", "@bob", JAN10]
DUE = "Action 1: By when should 'Draft the plan' be done?"


def test_back_twice_then_ok_keeps_the_due_date_gone_back_over(tmp_path: Path) -> None:
    lines = [*LISTED, "back", "back", "ok", "ok", "done", "/as bob", "yes", "/as alice", "ok"]
    out = chat(tmp_path, lines, *MEETING)
    assert out.returncode == 0, out.stdout + out.stderr
    after_owner_kept = out.stdout.split("(currently: bob; say 'ok' to keep it)\nalice> ok\n")[1]
    assert after_owner_kept.startswith(f"bot -> alice: {DUE}\n    (currently: {JAN10}; say 'ok' to keep it)\n")
    assert f"1. Draft the plan - bob, due {JAN10} (accepted)" in out.stdout
    assert ledger(tmp_path, "SELECT what, due FROM actions") == [("Draft the plan", JAN10)]


def test_back_three_times_keeps_owner_and_due_and_a_new_owner_keeps_the_due(tmp_path: Path) -> None:
    lines = [*LISTED, "back", "back", "back", "ok", "@carol", "ok", "done"]
    out = chat(tmp_path, lines, *MEETING, "-p", "bob,carol")
    said = out.stdout
    assert "Action 1: Who owns 'Draft the plan'?\n    (currently: bob; say 'ok' to keep it)\nalice> @carol" in said
    assert f"alice> @carol\nbot -> alice: {DUE}\n    (currently: {JAN10}; say 'ok' to keep it)\n" in said
    assert f"bot -> carol: alice assigned you an action from 'Weekly sync': 'Draft the plan', due {JAN10}." in said


def test_a_value_gone_back_over_is_not_offered_for_the_next_action(tmp_path: Path) -> None:
    lines = [*LISTED, "back", "back", "ok", "ok", "Book the room", "@bob"]
    out = chat(tmp_path, lines, *MEETING)
    last = out.stdout.split("alice> Book the room\n")[1]
    assert last == (
        "bot -> alice: Action 2: Who owns 'Book the room'?\nalice> @bob\n"
        "bot -> alice: Action 2: By when should 'Book the room' be done?\n"
    ), out.stdout  # no "(currently: ...)" under either question
