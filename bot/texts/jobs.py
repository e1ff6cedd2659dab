"""The outcomes written on a run's jobs that waited for the world to change (a channel failing, a
facilitator who moved), the log line of a job's people looked up again before it fired, and what
started a run as ``runs list`` shows it."""

from __future__ import annotations

from typing import Any

from bot.texts._common import _one_line


def chase_put_off_failing(channel: str, until: str) -> str:
    """A reminder, escalation or expiry's outcome: its run's channel fails (a token refused)."""
    return f"put off: the channel {channel} is failing, until {until}"


def review_follows_zone(until: str) -> str:
    """A review start's outcome: its facilitator's zone changed, and their 09:00 comes later."""
    return f"put off: the facilitator's zone changed, until {until}"


def job_people_lookup_failed(job_id: int, kind: str, channel: str, error: str) -> str:
    return (
        f"Looking up the people of job {job_id} ({kind}) on {channel} again failed: {_one_line(error)}."
        " It runs with what the ledger knew of them."
    )


def lead_left_mid_run(name: str, kind: str, backup: str | None) -> str:
    """In a run's conversation, as one of its jobs finds that its facilitator can no longer be
    asked (they left the company: their account deactivated), and who leads it from now on."""
    why = f"{name} is an app's bot user, not a person" if kind == "app" else "their account is deactivated"
    then = (
        f"{backup}, the backup, leads it from now on." if backup else "Whoever answers first here leads it from now on."
    )
    return f"{name}, who led this run, can no longer be asked: {why}. {then}"


def review_opened(title: str, owners: list[str]) -> str:
    """In the conversation of a review the job started, when all it asks first is asked of its
    owners directly: the review has begun, and this is where it goes on."""
    who = ", ".join(owners[:-1]) + f" and {owners[-1]}" if len(owners) > 1 else "".join(owners)
    asked = f" {who} {'are' if len(owners) > 1 else 'is'} asked directly about their actions;" if owners else ""
    return f"The review of '{title}' has begun:{asked} whether the decision held is asked here."


def job_handed_over(backup: str | None) -> str:
    """A chase job's outcome: its run's facilitator left, and the questions that waited on them were
    asked of the new lead (the chain starts anew)."""
    return f"done: handed over to {backup or 'whoever answers first'}, its facilitator gone"


def run_trigger(source: str | None, kind: str | None, route: str | None, data: dict[str, Any]) -> str:
    """What started a run, as ``runs list`` shows it in a word or three: a chat start (``slack
    slash``, ``slack modal``, ``slack mention``, ``slack dm``, ``teams``, ``rasa``; ``console``: ``decisionbot chat``;
    ``cli``: ``decisionbot trigger``), a hook's alert and its route, a metric check, a review."""
    if source is None:
        return ""
    if kind == "review":
        return f"review D{data.get('decision_id', '?')}" + ("" if source == "schedule" else f" ({source})")
    if kind == "handover":
        return f"give A{(data.get('handover') or {}).get('action_id', '?')}"
    if source == "check":
        return f"metric {data.get('check') or '?'}" + (f" > {route}" if route else "")
    if source in ("alertmanager", "grafana", "generic"):
        return f"{source} hook" + (f" > {route}" if route else "")
    via = data.get("via")
    if via == "chat":  # typed to the bot on Teams, asked of the Rasa assistant, ``decisionbot chat``
        return source
    return f"{source} {via}" if via else source  # Slack's way in; none kept by an older release
