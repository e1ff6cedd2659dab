"""The owner digest: one message per owner listing their open actions, overdue ones (by the
owner's own calendar) marked, instead of one reminder per action. A recurring ``digest`` job
(``digest: {schedule: ...}`` in ``flows/checks.yaml``) sends it; each message goes privately to
the owner in the conversation of their newest decision, through the outbox like any reply.

With quiet hours (``DECISIONBOT_QUIET_HOURS``), an owner within them on their own clock gets
theirs when they end, by a ``digest`` job of its own (``payload.to``): a digest at 09:00 in
Berlin does not wake an owner in New York at 03:00."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.chase import quiet_until
from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Reply
from bot.store import actions, iso, jobs, runs, transaction
from bot.store.jobs import Job
from bot.triggers import next_slot, next_time


def digests(
    conn: sqlite3.Connection, now: datetime, zone_of: Callable[[Actor], ZoneInfo], only: list[str] | None = None
) -> list[Reply]:
    """An action is overdue once its owner's own calendar (``zone_of``) has left its due date.
    ``only``: the ids of the owners to send it to (default: all with an open action)."""
    by_owner: dict[str, list[actions.ActionRow]] = {}
    for row in actions.open_actions(conn):
        if only is None or row.owner_id in only:
            by_owner.setdefault(row.owner_id or "", []).append(row)
    replies = []
    for owner_id, items in by_owner.items():
        newest = max(items, key=lambda a: a.run_id)
        owner = Actor(owner_id, items[0].owner_name or owner_id)
        today = now.astimezone(zone_of(owner)).date().isoformat()
        text = texts.owner_digest(owner.name, actions.listed(items, today))
        conversation = ConversationKey.parse(newest.conversation)
        replies.append(Reply(newest.run_id, conversation, text, to=owner, kind="info", private=True))
    return replies


def run_job(dispatcher: Dispatcher, job: Job) -> str:
    """Send the digests and plan the next one, in one transaction."""
    now = dispatcher.clock()
    with transaction(dispatcher.db) as conn:
        current = jobs.load_job(conn, job.id)
        if current is None or current.done_at is not None:
            return "gone"
        replies = digests(conn, now, dispatcher.tz_for, job.payload.get("to"))
        asleep = put_off(
            conn, dispatcher, job.id, [r.to for r in replies if r.to is not None], now, job.payload.get("schedule")
        )
        sleepers = [r.to for r in replies if r.to is not None and r.to.id in asleep]
        replies = [r for r in replies if r.to is None or r.to.id not in asleep]
        runs.queue_replies(conn, replies, iso(now))
        outcome = f"done: {len(replies)} owner(s)" + _put_off(dispatcher, sleepers, now)
        jobs.finish_job(conn, job.id, outcome, now)
        schedule = job.payload.get("schedule")
        if schedule:
            due = next_slot(schedule, datetime.fromisoformat(job.due_at), now, dispatcher.tz)  # not creeping
            jobs.add_job(conn, None, "digest", due, {"schedule": schedule}, now)
    return outcome


def put_off(
    conn: sqlite3.Connection,
    dispatcher: Dispatcher,
    job_id: int,
    owners: list[Actor],
    now: datetime,
    schedule: str | None,
) -> set[str]:
    """The ids of ``owners`` within their quiet hours or days at ``now``, on their own clock: each
    gets the digest when these end, by a job of its own (one at a time: not again while one
    waits), unless the ``schedule``'s next digest reaches them, awake, that same day on their
    clock (a Saturday's digest is Monday's 09:00 one, not one at 08:00 and another at 09:00)."""
    by_id = {o.id: o for o in owners}
    asleep = quiet_until(dispatcher, by_id, now)
    if not asleep:
        return set()
    waits: dict[datetime, list[str]] = {}
    for owner_id, until in asleep.items():
        if schedule is None or not _scheduled_that_day(dispatcher, by_id[owner_id], until, schedule, now):
            waits.setdefault(until, []).append(owner_id)
    pending = {i for j in jobs.pending_jobs(conn, "digest") if j.id != job_id for i in j.payload.get("to") or ()}
    for when, ids in waits.items():
        if fresh := sorted(set(ids) - pending):
            jobs.add_job(conn, None, "digest", when, {"to": fresh}, now)
    return set(asleep)


def _put_off(dispatcher: Dispatcher, owners: list[Actor], now: datetime) -> str:
    """How many of ``owners`` (those put off) wait out their quiet hours, and how many a quiet day."""
    quiet = dispatcher.quiet
    if quiet is None or not owners:
        return ""
    days = sum(1 for o in owners if quiet.for_days(now.astimezone(dispatcher.tz_for(o))))
    hours = len(owners) - days
    return (f"; {hours} put off for their quiet hours" if hours else "") + (
        f"; {days} put off for their quiet days" if days else ""
    )


def _scheduled_that_day(dispatcher: Dispatcher, owner: Actor, until: datetime, schedule: str, now: datetime) -> bool:
    """Whether the first digest of ``schedule`` at or after ``until`` (when ``owner``'s quiet time
    ends) reaches them on that same day of their calendar, outside their quiet time."""
    zone = dispatcher.tz_for(owner)
    at = now
    for _ in range(1000):  # an hourly schedule over a long weekend is some 80 steps
        at = next_time(schedule, at, dispatcher.tz)
        if at >= until:
            break
    else:
        return False
    same_day = at.astimezone(zone).date() == until.astimezone(zone).date()
    return same_day and not quiet_until(dispatcher, {owner.id: owner}, at)
