"""The owner digest: one message per owner listing their open actions, overdue ones (by the
owner's own calendar) marked, instead of one reminder per action. A recurring ``digest`` job
(``digest: {schedule: ...}`` in ``flows/checks.yaml``) sends it; each message goes privately to
the owner in the conversation of their newest decision, through the outbox like any reply.

A schedule naming its hours (``0 9 * * 1-5``, ``@daily``) is read on each owner's own clock (their
platform's zone, else ``DECISIONBOT_TIMEZONE``): 09:00 in Tokyo, 09:00 in New York. Its job is due
at the first such moment among the owners' zones (and the server's), and each run sends to the
owners whose own moment came since the job was planned (``created_at``): one missed while the
server was down comes when it is back, on that day of theirs; one of a day already over is not
sent (the next day of the schedule's brings theirs: Monday's, not Friday's on Saturday). Each owner gets at most one a day of their
calendar (``owner_digests``), whatever their zone did meanwhile. An interval or an hourly schedule
reaches every owner at each of its moments, as the server's clock says.

With quiet hours (``DECISIONBOT_QUIET_HOURS``), an owner within them on their own clock gets
theirs when they end, by a ``digest`` job of its own (``payload.to``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.chase import quiet_until
from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Reply
from bot.store import actions, iso, jobs, runs, transaction
from bot.store.jobs import Job
from bot.triggers import NICKNAMES, names_hours, next_slot, next_time


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


#: ``messages.payload`` of an owner digest.
DIGEST = json.dumps({"digest": True})


def _superseded(conn: sqlite3.Connection, owners: list[str], now: datetime) -> None:
    """Each owner's earlier digests still unsent (a Rasa owner who has not called since; a channel
    down): the new one says what they would, as of now. Before, a Rasa owner who called after a
    week was handed every day's digest at once, right after ``done A1``, each listing A1 open."""
    conn.executemany(
        "UPDATE messages SET failed_at = ?, last_error = ? WHERE direction = 'out' AND actor_id = ?"
        " AND delivered_at IS NULL AND failed_at IS NULL AND json_extract(payload, '$.digest') = 1",
        [(iso(now), texts.digest_superseded(), owner) for owner in owners],
    )


def run_job(dispatcher: Dispatcher, job: Job) -> str:
    """Send the digests due now and plan the next one, in one transaction."""
    now = dispatcher.clock()
    with transaction(dispatcher.db) as conn:
        current = jobs.load_job(conn, job.id)
        if current is None or current.done_at is not None:
            return "gone"
        schedule = str(job.payload.get("schedule") or "")
        zoned = bool(schedule) and names_hours(schedule)
        replies = digests(conn, now, dispatcher.tz_for, job.payload.get("to"))
        if zoned:  # those whose own hour came since the job was planned, and they had an open action
            since, owning = _moment(current.created_at), _owning_since(conn)
            if since > now:  # planned in a future not come yet (the clock put back): since a day ago
                since = now - timedelta(days=1)  # (one a day each, whatever: _had_one_today)
            replies = [
                r
                for r in replies
                if r.to is not None and _due(dispatcher, r.to, schedule, max(since, owning[r.to.id]), now)
            ]
        if zoned or not schedule:  # (an hourly or interval schedule reaches everyone each time)
            replies = [r for r in replies if r.to is None or not _had_one_today(conn, dispatcher, r.to, now)]
        owners = [r.to for r in replies if r.to is not None]
        asleep = put_off(conn, dispatcher, job.id, owners, now, schedule or None)
        sleepers = [r.to for r in replies if r.to is not None and r.to.id in asleep]
        replies = [r for r in replies if r.to is None or r.to.id not in asleep]
        _superseded(conn, [r.to.id for r in replies if r.to is not None], now)
        runs.queue_replies(conn, replies, iso(now), DIGEST)
        _sent(conn, dispatcher, [r.to for r in replies if r.to is not None], now)
        outcome = f"done: {len(replies)} owner(s)" + _put_off(dispatcher, sleepers, now)
        jobs.finish_job(conn, job.id, outcome, now)
        if schedule:
            due = next_due(conn, dispatcher, schedule, now, planned=_moment(job.due_at))  # (an interval: not creeping)
            jobs.add_job(conn, None, "digest", due, {"schedule": schedule}, now)
    return outcome


# --- each owner's own clock ------------------------------------------------------------------


def last_time(schedule: str, at: datetime, tz: ZoneInfo) -> datetime:
    """The latest moment of cron ``schedule`` at or before ``at``, on ``tz``'s clock."""
    from croniter import croniter

    cron = NICKNAMES.get(schedule.strip().lower(), schedule)
    found: datetime = croniter(cron, (at + timedelta(seconds=1)).astimezone(tz)).get_prev(datetime)
    return found


def next_due(
    conn: sqlite3.Connection, dispatcher: Dispatcher, schedule: str, after: datetime, planned: datetime | None = None
) -> datetime:
    """When the digest job of ``schedule`` is next due after ``after``: its next moment on the
    clock of the owner (of an open action) whose moment comes first, or on the server's. An
    interval counts from the time the job that ran was ``planned`` for (``triggers.next_slot``)."""
    if not names_hours(schedule):
        return (
            next_slot(schedule, planned, after, dispatcher.tz) if planned else next_time(schedule, after, dispatcher.tz)
        )
    zones = {str(dispatcher.tz): dispatcher.tz}
    owners = "SELECT owner_id, max(owner_name) FROM actions WHERE status = 'open' AND owner_id IS NOT NULL GROUP BY 1"
    for owner_id, name in conn.execute(owners):
        zone = dispatcher.tz_for(Actor(owner_id, name or owner_id))
        zones.setdefault(str(zone), zone)
    return min(next_time(schedule, after, zone) for zone in zones.values())


def replan(conn: sqlite3.Connection, dispatcher: Dispatcher, job: Job, now: datetime) -> None:
    """Pending digest ``job`` made due earlier when an owner's next moment comes before it (an owner
    in a zone it was not planned for: a new owner, one whose zone changed)."""
    schedule = job.payload.get("schedule")
    if not schedule or not names_hours(schedule) or "to" in job.payload:
        return
    due = next_due(conn, dispatcher, schedule, now)  # not from its planning: a clock put back plans from now
    if due < _moment(job.due_at):
        jobs.bring_forward(conn, job.id, due)


def _due(dispatcher: Dispatcher, owner: Actor, schedule: str, since: datetime, now: datetime) -> bool:
    """Whether ``owner``'s own moment of ``schedule`` came after ``since``, by ``now``, on the day it
    is now for them. One of a day that is over is not sent: today's comes later today, or today is
    no day of the schedule's (a Monday-to-Friday digest missed on Friday is not sent on Saturday)."""
    zone = dispatcher.tz_for(owner)
    came = last_time(schedule, now, zone)
    return came > since and came.astimezone(zone).date() == now.astimezone(zone).date()


def _owning_since(conn: sqlite3.Connection) -> dict[str, datetime]:
    """Since when each owner has had an open action (its decision's time): a moment of theirs
    before it missed nothing."""
    rows = conn.execute(
        "SELECT a.owner_id, min(d.decided_at) FROM actions a JOIN decisions d ON d.id = a.decision_id"
        " WHERE a.status = 'open' AND a.owner_id IS NOT NULL GROUP BY a.owner_id"
    )
    return {owner: _moment(at) if at else datetime.min.replace(tzinfo=UTC) for owner, at in rows}


def _day(dispatcher: Dispatcher, owner: Actor, now: datetime) -> date:
    return now.astimezone(dispatcher.tz_for(owner)).date()


def _had_one_today(conn: sqlite3.Connection, dispatcher: Dispatcher, owner: Actor, now: datetime) -> bool:
    row = conn.execute("SELECT day FROM owner_digests WHERE owner_id = ?", (owner.id,)).fetchone()
    return row is not None and row[0] == _day(dispatcher, owner, now).isoformat()


def _sent(conn: sqlite3.Connection, dispatcher: Dispatcher, owners: list[Actor], now: datetime) -> None:
    conn.executemany(
        "INSERT INTO owner_digests (owner_id, day, sent_at) VALUES (?, ?, ?)"
        " ON CONFLICT (owner_id) DO UPDATE SET day = excluded.day, sent_at = excluded.sent_at",
        [(o.id, _day(dispatcher, o, now).isoformat(), iso(now)) for o in owners],
    )


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


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
    clock = zone if names_hours(schedule) else dispatcher.tz  # the schedule read on their clock
    at = now
    for _ in range(1000):  # an hourly schedule over a long weekend is some 80 steps
        at = next_time(schedule, at, clock)
        if at >= until:
            break
    else:
        return False
    same_day = at.astimezone(zone).date() == until.astimezone(zone).date()
    return same_day and not quiet_until(dispatcher, {owner.id: owner}, at)
