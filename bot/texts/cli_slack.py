"""What ``decisionbot slack ...`` prints (:mod:`bot.cli_slack`): the Slack events kept, and those
given up set to be tried again."""

from __future__ import annotations

from bot.texts._common import _join, command


def cli_slack_retry_what(both: bool) -> str:
    """``slack retry`` with neither events nor ``--all`` (``both``: with both)."""
    which = "Name the events to run again (ID ..., as 'slack events' lists them: its id or its event_id) or --all"
    return which + (", not both." if both else ".")


def cli_slack_unknown_events(names: list[str]) -> str:
    return (
        f"No Slack event kept with id or event_id {_join(names)}; nothing was changed."
        f" See the kept ones with: {command()} slack events"
    )


def cli_slack_retried(event_ids: list[str]) -> str:
    return (
        f"Set to be tried again: {len(event_ids)} Slack event(s) given up ({_join(event_ids)}), each with its"
        " tries back to 0 (why it failed is kept until it runs). A running server runs them within a second;"
        " else the next one, at its start."
    )


def cli_slack_not_given_up(kept_id: int, event_id: str, tries: int, tries_at_most: int) -> str:
    return (
        f"Slack event {kept_id} ({event_id}) is not given up (tries {tries} of {tries_at_most}):"
        " left as it is, the server runs it again by itself."
    )


def cli_slack_none_given_up() -> str:
    return f"No Slack event is given up; nothing to run again. See the kept ones with: {command()} slack events"
