"""What the log says of Slack's events kept before their turn ran (:mod:`bot.channels.slack_inbox`)."""

from __future__ import annotations

from datetime import timedelta

from bot.texts._common import command


def slack_kept_event_waits(event_id: str, why: str) -> str:
    return f"Slack event {event_id}: kept, its turn waits for the ledger ({why}); it runs within a second or two."


def slack_kept_event_failed(event_id: str, tries: int, why: str, wait: timedelta) -> str:
    """A kept event's turn failed; it runs again after ``wait`` (it said "within a second" at every try)."""
    seconds = int(wait.total_seconds())
    after = f"{seconds // 60} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds} s"
    return f"Slack event {event_id}: its turn failed (try {tries}: {why}); kept, it runs again in about {after}."


def slack_kept_event_given_up(event_id: str, tries: int, why: str) -> str:
    return (
        f"Slack event {event_id}: its turn failed {tries} times (last: {why}); it is kept in the ledger"
        " with why, and no longer run (/healthz and /metrics count it). Fix the cause, then run it again"
        f" with: {command()} slack retry {event_id} (a running server runs it within a second)."
    )


def slack_events_given_up_health(count: int, tries: int) -> str:
    """What /healthz says of the Slack events given up (a warning: the status stays ok)."""
    return (
        f"{count} Slack event(s) failed {tries} times and are no longer run, kept in the ledger with why:"
        f" see them with {command()} slack events --given-up; fix the cause, then run them"
        f" again with {command()} slack retry ID ... (or --all)"
    )


def slack_kept_turns_cut(count: int, seconds: float) -> str:
    return (
        f"{count} turn(s) of Slack events not finished {seconds:g} s into the stop: cut short; their events"
        " stay kept in the ledger and run when the server starts again."
    )
