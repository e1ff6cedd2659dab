"""What the Slack channel says of a slash command whose outcome comes after Slack's 3 s (told at
its ``response_url``: ``bot.channels.slack_late``)."""

from __future__ import annotations


def slack_working_on_it() -> str:
    """The answer within Slack's 3 s to a slash command still under way (a start's channel busy with
    other starts, Slack slow to take its thread's root, the ledger busy with another job)."""
    return "Working on it: this is taking longer than usual. I'll tell you here how it went."


def slack_late_answer_lost(user: str, problem: str) -> str:
    """Log line: the outcome of a slash command answered "working on it" could not be told to its
    caller at its response_url (never logged: whoever has it may answer them)."""
    return (
        f"slack: the outcome of a slash command by {user} could not be told at its response_url ({problem});"
        " a run it started is kept (runs list shows it)"
    )


def slack_late_work_failed(user: str) -> str:
    """Log line (with its traceback): a slash command answered "working on it" failed unexpectedly."""
    return f"slack: a slash command by {user} answered 'working on it' failed unexpectedly; nothing of it was kept"


def slack_late_work_failed_told() -> str:
    return "Something went wrong on my side, so nothing was started. Please try again in a moment."
