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


def slack_still_saving(answer: str) -> str:
    """Told at a click's response_url when its answer is not stored within Slack's 3 s (the ledger
    busy with another job, a burst): mrkdwn, ``answer`` escaped by the caller."""
    return (
        f"Still saving your answer ({answer}): this is taking longer than usual. The question will show it"
        " once it is stored; if it cannot be, I'll tell you here."
    )


def slack_click_not_saved(answer: str) -> str:
    """Told at a click's response_url when its answer could not be stored after all (mrkdwn)."""
    return f"Your answer ({answer}) could not be saved, so nothing was recorded. Please press it again."


def slack_click_ledger_busy(user: str, problem: str) -> str:
    """Log line: a click waited for the ledger's write lock past LATE_WITHIN; its person told."""
    return f"slack: a click by {user} was not stored and its person told to press again: {problem}"


def slack_late_click_failed(user: str) -> str:
    """Log line (with its traceback): a click answered "still saving" failed unexpectedly."""
    return f"slack: a click by {user} failed unexpectedly; nothing of it was kept, its person told to press again"


def slack_late_cut(user: str, seconds: float) -> str:
    """Log line: the server stopped while a command or click answered late was still under way."""
    return (
        f"slack: the server stopped {seconds:g} s after being asked to while a slash command or click by {user}"
        " was still under way; nothing of it was kept, and its person was told so"
    )


def slack_late_stopped_told() -> str:
    """Told at the response_url of a slash command still under way when the server stopped."""
    return "The bot was restarting, so this was not done and nothing was kept. Please try again in a minute."


def slack_late_click_stopped_told(answer: str) -> str:
    """Told at a click's response_url when the server stopped before its answer was stored (mrkdwn)."""
    return f"The bot was restarting, so your answer ({answer}) was not saved. Please press it again in a minute."


def slack_late_not_kept(problem: str) -> str:
    """Log line: what a late answer told its person could not be kept in the ledger."""
    return f"slack: what a late answer told its person at its response_url was not kept in the ledger: {problem}"
