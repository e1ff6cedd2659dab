"""The outcomes written on a run's jobs that waited for the world to change (a channel failing, a
facilitator who moved) and the log line of a job's people looked up again before it fired."""

from __future__ import annotations

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
