"""A review started by hand while another review of the same decision is under way is refused,
naming the run to answer (or cancel). Before, a second review started: each owner was asked
twice, and whichever finished last overwrote what the first recorded. The scheduled job already
skipped a review under way; a hand start did not check."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dispatch import Dispatcher
from bot.errors import BotError
from bot.model import Trigger
from tests.actions.support import ALICE, BOB, ROOM, decide, rows
from tests.actions.test_review_loop import MEETING, cli


def test_a_second_review_started_by_hand_is_refused(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    with pytest.raises(BotError) as refused:
        bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    assert str(refused.value) == (
        "A review of decision 1 is under way (run #2): answer it, or cancel it before starting another"
        " ('cancel 2' in chat, by its facilitator; `decisionbot runs cancel 2` as the bot's operator)."
    )
    assert rows(bot, "SELECT count(*) FROM runs WHERE flow_id = 'decision_review'") == [(1,)]


def test_the_command_line_says_so_and_starts_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    cli(db, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", lines=MEETING)
    cli(db, "trigger", "decision_review", "--channel", "console", "--data", "decision_id=1")
    again = cli(db, "trigger", "decision_review", "--channel", "console", "--data", "decision_id=1", code=1)
    assert "A review of decision 1 is under way (run #2)" in again
    # an operator whose facilitator has left cancels it from here: chat's 'cancel 2' is the facilitator's
    assert "decisionbot runs cancel 2" in again
