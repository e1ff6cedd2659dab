"""The notes a Slack server remembers having said (once a question, once a run) are bounded: a
server up for months does not grow with every run and person it has told."""

from __future__ import annotations

from bot.channels.slack_turns import TOLD_AT_MOST, remember


def test_the_oldest_note_is_forgotten_past_the_bound_and_a_note_said_again_is_the_newest() -> None:
    told: dict[tuple[int, str], tuple[object, ...]] = {}
    for run in range(TOLD_AT_MOST):
        remember(told, (run, "slack:UA"), ("decision",))
    remember(told, (0, "slack:UA"), ("actions",))  # run 0 told again: now the newest
    remember(told, (TOLD_AT_MOST, "slack:UA"), ("decision",))
    assert len(told) == TOLD_AT_MOST
    assert (1, "slack:UA") not in told  # the oldest, forgotten
    assert told[(0, "slack:UA")] == ("actions",)
    assert (TOLD_AT_MOST, "slack:UA") in told
