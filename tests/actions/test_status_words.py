"""``status N`` and ``list`` say what a run waits for in words people read: who, and to do what
(accept an action, say whether it was done, name a new owner, answer a question quoted), never
the id of the step it is at (before: 'active, at owner_accepts; waiting for bob'). On a real
SQLite ledger through the shared commands, as Slack, Teams, Rasa and the terminal call them; and
in the terminal itself, piped as the README runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.dispatch import Dispatcher
from bot.model import Message, Trigger
from tests.actions.support import ALICE, BOB, CAROL, ROOM, ROOT, decide, say
from tests.clock import Clock

STEP_IDS = ("owner_accepts", "review_at", "actions_done", ", at ")


def _start(bot: Dispatcher) -> int:
    started = bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=ALICE, participants=[BOB]), ROOM)
    bot.handle(Message(ROOM, ALICE, "We ship in March"))
    return started.run_id


def _no_step_id(text: str) -> str:
    assert not any(step in text for step in STEP_IDS), text
    return text


def test_status_and_list_say_whom_the_run_waits_on_and_for_what(bot: Dispatcher) -> None:
    run = _start(bot)
    bot.handle(Message(ROOM, ALICE, "Draft the plan"))
    assert _no_step_id(say(bot, ALICE, f"status {run}", ROOM)) == (
        f"Run #{run} post_meeting 'Weekly sync': active;"
        " waiting for you to answer \"Action 1: Who owns 'Draft the plan'?\"."  # to alice herself
    )
    assert _no_step_id(say(bot, BOB, f"status {run}", ROOM)).endswith(
        " waiting for alice to answer \"Action 1: Who owns 'Draft the plan'?\"."
    )
    people = {"@bob": BOB, "@carol": CAROL}
    for text in ("@bob", "2026-12-10", "Book the venue", "@carol", "2026-12-11", "done"):
        bot.handle(Message(ROOM, ALICE, text, mentions=people))
    waits = "waiting for bob to accept 'Draft the plan', carol to accept 'Book the venue'"
    assert (
        _no_step_id(say(bot, ALICE, f"status {run}", ROOM))
        == f"Run #{run} post_meeting 'Weekly sync': active; {waits}."
    )
    assert _no_step_id(say(bot, ALICE, "list", ROOM)) == (
        f"Open decision runs here:\n  #{run} post_meeting: Weekly sync (active; {waits})"
    )
    bot.handle(Message(ROOM, BOB, "no"))
    assert _no_step_id(say(bot, ALICE, f"status {run}", ROOM)).endswith(
        "waiting for carol to accept 'Book the venue', you to name a new owner for 'Draft the plan' (bob declined it)."
    )


def test_a_review_says_whose_action_it_asks_about(bot: Dispatcher, clock: Clock) -> None:
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=20)
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    assert _no_step_id(say(bot, ALICE, f"status {review.run_id}", ROOM)) == (
        f"Run #{review.run_id} decision_review 'Weekly sync': active;"
        " waiting for bob to say whether 'Draft the plan' was done."
    )


def decisionbot(tmp_path: Path, *args: str, lines: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name("decisionbot"))
    command = [exe, "--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows"), *args]
    text = "".join(line + "\n" for line in lines)
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)


def test_the_terminal_says_it_too(tmp_path: Path) -> None:
    lines = ("We ship in March", "Draft the plan", "@bob", "2099-01-15", "done", "status 1", "list")
    out = decisionbot(tmp_path, "chat", "post_meeting", "-f", "alice", "-p", "bob", lines=lines)
    waits = "waiting for bob to accept 'Draft the plan'"
    assert f"bot -> alice: Run #1 post_meeting 'Post-meeting decision check': active; {waits}." in out.stdout
    assert f"#1 post_meeting: Post-meeting decision check (active; {waits})" in out.stdout
    assert "owner_accepts" not in out.stdout


def test_the_operators_runs_list_and_runs_show_say_in_words_what_a_run_waits_for(tmp_path: Path) -> None:
    """Before, ``runs list`` and ``runs show`` named the step a run is at by its id ('owner_accepts',
    'actions[1].due', 'review_at') and people by theirs ('by console:alice'), where the chat's
    ``status`` says it in words: now they say it as the chat does; ``--json`` keeps the ids."""
    lines = ("We ship in March", "Draft the plan", "@bob", "2099-01-15", "done")
    decisionbot(tmp_path, "chat", "post_meeting", "-f", "alice", "-p", "bob", lines=lines)
    listed = decisionbot(tmp_path, "runs", "list").stdout.splitlines()
    header = ["id", "flow", "status", "waiting", "channel", "trigger", "where", "title", "started_at"]
    assert listed[0].split() == header
    assert listed[1].split()[:3] == ["1", "post_meeting", "active"]
    assert "bob to accept 'Draft the plan'" in listed[1]
    shown = decisionbot(tmp_path, "runs", "show", "1").stdout
    assert shown.splitlines()[0].endswith("active, waiting for bob to accept 'Draft the plan'"), shown
    assert "facilitator: alice" in shown.splitlines()[1]
    answers = shown[shown.index("Answers (every revision):") :]
    assert "  the due date of Action 1, r1 answer: 2099-01-15  (by alice, " in answers
    assert "  the decision, r1 answer: We ship in March  (by alice, " in answers
    _no_step_id("\n".join(listed) + shown)
    assert "console:alice" not in answers
    [run] = json.loads(decisionbot(tmp_path, "runs", "list", "--json").stdout)
    assert run["state"] == "owner_accepts" and run["waiting_for"] == ["bob"]
    assert run["waiting"] == ["bob to accept 'Draft the plan'"]


def test_runs_show_names_an_answer_by_its_flows_label(tmp_path: Path) -> None:
    """A flow's ``label`` for an answer is what messages call it: ``runs show`` calls it so too."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "spend.yaml").write_text(
        "id: spend\ntitle: Spend\nroles: {facilitator: trigger.facilitator}\nsteps:\n"
        '  - {id: amount, label: budget, ask: "How much for {{ trigger.title }}?", type: number}\n'
    )
    exe = str(Path(sys.executable).with_name("decisionbot"))
    base = [exe, "--db", str(tmp_path / "t.db"), "--flows", str(flows)]
    subprocess.run([*base, "chat", "spend", "-f", "alice"], input="1200\n", capture_output=True, text=True, timeout=60)
    shown = subprocess.run([*base, "runs", "show", "1"], capture_output=True, text=True, timeout=60).stdout
    assert "  the budget, r1 answer: 1200  (by alice, " in shown, shown
