"""What ``status N`` says of a run beyond its status: since when each question has waited, and
for a run that ended, how: what was decided, who owns what by when, the review's date; who
cancelled it and when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot.texts._common import moment


def waited(phrase: str, asked_at: str | None, now: datetime, tz: tzinfo) -> str:
    """One thing a run waits for, and since when once that is an hour or more: ``Bob to accept
    'Draft the plan' (since Mon 2026-11-30 10:00 UTC, 2 days)``; as it is when the question was
    put less than an hour ago, or its time is not known."""
    hours = _hours_since(asked_at, now)
    if asked_at is None or hours is None or hours < 1:
        return phrase
    long = f"{hours} h" if hours < 48 else f"{hours // 24} days"
    return f"{phrase} (since {moment(asked_at, tz)}, {long})"


def _hours_since(at: str | None, now: datetime) -> int | None:
    try:
        return int((now - datetime.fromisoformat(at or "")).total_seconds() // 3600)
    except (TypeError, ValueError):
        return None


def run_ended_status(run_id: int, flow: str, title: str | None, status: str, when: str, by: str | None) -> str:
    """The first line of a finished run's status: ``Run #1 post_meeting 'Weekly sync': completed
    Tue 2026-12-01 10:00 UTC.``, ``... cancelled by Alice Tue ...``."""
    return f"Run #{run_id} {flow} '{title or ''}': {ended_how(status, by)} {when}."


def ended_how(status: str, by: str | None) -> str:
    """What a finished run came to: ``completed``, ``cancelled by Alice``, ``cancelled`` (the flow
    or the bot ended it); in ``status N`` and at the end of the terminal's chat."""
    return f"{status} by {by}" if by else status


def status_decided(text: str | None) -> str:
    return f"Decided: {text}" if text else "Decided: (no decision text)"


def status_action(code: int, what: str, owner: str, due: str | None, state: str, overdue: bool) -> str:
    """An action of the decision a run recorded, with its code for ``done``/``due``/``give``."""
    late = ", OVERDUE" if overdue else ""
    return f"  A{code} {what} - {owner}, {f'due {due}' if due else 'no due date'} ({state}{late})"


def status_review(due: str, held_at: str | None, outcome: str | None) -> str:
    if held_at:
        return f"Reviewed {held_at[:10]}" + (f": {outcome}." if outcome else ".")
    return f"Review on {due}."


def status_record(head: str, decisions: Sequence[Mapping[str, Any]], lines: list[str]) -> str:
    """A finished run's status: its first line, then what it recorded (``lines``), or that it
    recorded no decision."""
    if not decisions:
        return f"{head} No decision was recorded."
    return "\n".join([head, *lines])


def cancelled_by_whom_operator() -> str:
    return "the bot's operator"


def cancelled_run(run_id: int, title: str, by: str) -> str:
    """``cancel N``'s answer to whoever typed it (its conversation is told ``texts.cancelled``)."""
    return f"Run #{run_id} ('{title}') cancelled by {by}. The transcript is kept."


def about_run(run_id: int, title: str, said: str) -> str:
    """A command's refusal (``cancel N`` by someone not its facilitator) with the run it is about."""
    return f"Run #{run_id} ('{title}'): {said}"


def status_stalled(run_id: int) -> str:
    """After a stalled run's status: why it stands still, and the two ways on."""
    return (
        "It stalled: no answer came in time, so nobody is reminded any more. An answer from whoever it waits"
        f" for resumes it; its facilitator can end it with: cancel {run_id}"
    )
