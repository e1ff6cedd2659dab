"""The terminal chat's last word on its run says what the run came to, as ``status N`` says it: the
run's end ("run #2 cancelled by alice", not "is cancelled"), and input ending before it ("it
waits for bob to accept 'Draft the plan'", not "at step 'owner_accepts', waiting for bob": the id
of a step, which the person typing never saw)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.dates import JAN10

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = "you can still type commands: actions, done A1,"


def _chat(tmp_path: Path, typed: str, *args: str) -> str:
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows"), "chat"]
    flow = ["post_meeting", "-f", "alice", "-p", "bob", "--data", "title=Sync"]
    return CliRunner().invoke(main, [*base, *(args or flow)], input=typed).output


def test_the_end_line_says_what_the_run_came_to(tmp_path: Path) -> None:
    cancelled = _chat(tmp_path, "cancel\nyes\n")
    assert f"(run #1 cancelled by alice; {COMMANDS}" in cancelled
    completed = _chat(tmp_path, f"We ship in March\nDraft the plan\n@bob\n{JAN10}\ndone\n/as bob\nyes\n/as alice\nok\n")
    assert f"(run #2 completed; {COMMANDS}" in completed
    status = _chat(tmp_path, "status 1\nstatus 2\n", "--as", "alice")  # as status N says them
    assert "Run #1 post_meeting 'Sync': cancelled by alice " in status
    assert "Run #2 post_meeting 'Sync': completed " in status


def test_input_ending_before_the_run_ends_says_what_it_waits_for_in_words(tmp_path: Path) -> None:
    out = _chat(tmp_path, f"We ship in March\nDraft the plan\n@bob\n{JAN10}\ndone\n")
    assert (
        "Input ended before run #1 completed; it waits for bob to accept 'Draft the plan'."
        " The run stays open; answers so far are stored."
    ) in out
    assert "owner_accepts" not in out


def test_input_ending_at_a_cancel_waiting_for_its_yes_says_so_first(tmp_path: Path) -> None:
    """It named the question under the confirmation alone: typed as hinted, the action was refused
    ("Please answer yes or no.")."""
    out = _chat(tmp_path, "We ship in March\ncancel\n")
    assert "it waits for alice to confirm cancelling the run (yes or no), alice to answer" in out
    status = _chat(tmp_path, "status 1\n", "--as", "alice")
    assert "waiting for you to confirm cancelling the run (yes or no)" in status
