"""A run's cancel told through Rasa names the run, as ``cancel N``'s answer does on every channel
("Run #3 ('Weekly sync') cancelled by ann. ..."): a Rasa sender's conversation holds every run
they started (and the notices of those they lead), where "Run cancelled by ann." said which of
them was gone only to someone who remembered what they had typed last. Slack and Teams tell it
in the run's own thread, which names it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.rasa_support import ROOT, Server, running_actions, texts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def _started(server: Server, sender: str, title: str) -> int:
    slots = {"decision_flow": "post_meeting", "decision_title": title}
    _, started = server.act("action_decision_start", sender, "start", slots=slots)
    return int(started["events"][0]["value"])


def test_a_cancel_confirmed_names_the_run(server: Server) -> None:
    _started(server, "cn_ann", "Standup")
    run = _started(server, "cn_ann", "Weekly sync")  # her conversation holds both
    assert texts(server.act("action_decision_answer", "cn_ann", "cancel")[1]) == [
        "Cancel this decision run? Nothing will be recorded as decided. (yes/no)"
    ]
    _, told = server.act("action_decision_answer", "cn_ann", "yes")
    assert texts(told)[0] == f"Run #{run} ('Weekly sync') cancelled by cn_ann. The transcript is kept."


def test_cancel_n_names_the_run_once(server: Server) -> None:
    run = _started(server, "cn_bo", "Retro")
    _, told = server.act("action_decision_answer", "cn_bo", f"cancel {run}")
    assert texts(told) == [f"Run #{run} ('Retro') cancelled by cn_bo. The transcript is kept."]


def test_the_operators_cancel_names_the_run(server: Server) -> None:
    run = _started(server, "cn_cy", "Offsite")
    cancel = [sys.executable, "-m", "bot", "--db", str(server.db), "--flows", str(ROOT / "flows")]
    subprocess.run([*cancel, "runs", "cancel", str(run)], check=True, capture_output=True)
    _, told = server.act("action_decision_answer", "cn_cy", "hi")
    assert texts(told)[0] == f"Run #{run} ('Offsite') cancelled by the bot's operator. The transcript is kept."


def test_cancel_said_while_the_run_waits_on_an_owner_asks_before_a_yes_cancels(server: Server) -> None:
    """The confirmation was withdrawn unseen (it is no question of the owner's step), so the
    facilitator saw only where the run stood, and their next "yes" cancelled it blind."""
    run = _started(server, "cn_kay", "Offsite plan")
    for said in ("We do X", "Task X", "@cn_lou", "2026-12-24", "done"):
        server.act("action_decision_answer", "cn_kay", said)
    _, asked = server.act("action_decision_answer", "cn_kay", "cancel")
    assert texts(asked) == ["Cancel this decision run? Nothing will be recorded as decided. (yes/no)"]
    assert server.sql(
        "SELECT delivered_at IS NOT NULL, failed_at FROM messages WHERE run_id = ? AND text LIKE 'Cancel this%'", run
    ) == [(1, None)]
    _, kept = server.act("action_decision_answer", "cn_kay", "no")
    assert server.sql("SELECT status FROM runs WHERE id = ?", run) == [("active",)], texts(kept)
