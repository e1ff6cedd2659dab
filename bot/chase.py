"""Chasing a run when its timer falls due: the reminder, escalation or expiry of a ``jobs`` row,
with the quiet hours (``DECISIONBOT_QUIET_HOURS``) on the clock of each person it reaches.

A reminder goes to each person a question waits on, so each is reminded in their own day: those
in their quiet hours are reminded when these end, by a job of their own (``remind`` with
``payload.to``), while the others are reminded now and the chain goes on. When everyone it
reaches is in their quiet hours, the job and the rest of its chain wait until the first of them
wakes: the quiet hours do not count as silence. An escalation waits for the morning of the one
it goes to (the backup, else the facilitator); an expiry, told to the run's conversation, for the
facilitator's. A turn of the run (an answer) restarts the chain and drops a reminder still waiting.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import lead_left, texts
from bot.engine import timers
from bot.engine.runtime import Turn
from bot.engine.state import RunState
from bot.model import Actor
from bot.store import iso, jobs, ledger, readings, runs
from bot.store.jobs import Job

if TYPE_CHECKING:
    from bot.dispatch import Dispatcher

#: How soon a chase job put off while its run's channel fails (a token refused) is tried again.
DOWN_RETRY = timedelta(minutes=10)
#: How many owners a digest looks up again at most (Slack's users.info allows about 100 a minute).
DIGEST_LOOKUPS = 50


def chase(
    bot: Dispatcher,
    conn: sqlite3.Connection,
    job: Job,
    now: datetime,
    down: str | None = None,
    nobody: Mapping[str, str] | None = None,
) -> str:
    """Fire the chase job ``job`` of a run in ``conn``'s transaction; the outcome to write on it.
    ``down``: why the run's channel fails now (a token refused): the job waits, and its chain.
    ``nobody``: those of its people nobody can ask now, by id (``deactivated``: they left): a
    facilitator among them leads the run no more (:func:`bot.lead_left.hand_over`)."""
    row = runs.load_run(conn, job.run_id) if job.run_id is not None else None
    if row is None or row.status != "active":
        return f"skipped: run {row.status if row else 'missing'}"
    flow = bot.catalog.version(row.flow_id, row.flow_version)
    since = datetime.fromisoformat(job.payload.get("since") or job.created_at)
    only = job.payload.get("to")  # a reminder put off for these people alone: the chain goes on apart
    if down is not None:  # nothing reaches anyone: an outage is no silence, the chain waits it out
        later = now + DOWN_RETRY
        if not only:
            since += later - datetime.fromisoformat(job.due_at)
        jobs.add_job(conn, row.id, job.kind, later, {**job.payload, "since": iso(since)}, now)
        return texts.chase_put_off_failing(row.conversation.channel, iso(later))
    left = lead_left.hand_over(row.context, nobody or {})  # before whom it reaches is worked out
    if left is not None and left.moved:  # questions waited on them: asked of the new lead, the chain anew
        return _handed_over(bot, conn, row, left, now)
    stage = "remind" if only else timers.stage_at(flow.timers, job.kind, now - since)
    if stage is None:
        return "skipped: no timers"
    reached = reached_by(row.context, stage, only)
    if only and not reached:
        return "skipped: no question waits on them"
    asleep = quiet_until(bot, reached, now)
    if asleep and len(asleep) == len(reached):  # nobody to tell now: the job waits for the first to wake
        later = min(asleep.values())
        if not only:
            since += later - now  # and the chain with it: quiet hours are no silence
        jobs.add_job(conn, row.id, job.kind, later, {**job.payload, "since": iso(since)}, now)
        return f"put off: quiet hours until {iso(later)}"
    if asleep:  # a reminder: each of those in their quiet hours is reminded when these end
        payload = {"since": iso(since), "to": sorted(asleep)}
        jobs.add_job(conn, row.id, "remind", min(asleep.values()), payload, now)
    turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, bot.tz_for)
    latest = readings.event_reading(conn, row.event_id)  # what a reminder says of the metric since it fired
    awake = [actor_id for actor_id in reached if actor_id not in asleep]
    if left is not None:
        lead_left.tell(conn, turn, left, starting=False)
    fired = timers.fire(turn, stage, latest, awake if stage == "remind" else None)
    runs.write_turn(conn, row, fired, None, now, json.dumps({"chase": stage}))  # withheld if the run ends first
    following = timers.next_stage(flow.timers, stage) if turn.out.status == "active" and not only else None
    if following is not None:
        jobs.add_job(conn, row.id, following[0], since + following[1], {"since": iso(since)}, now)
    return "done" if stage == job.kind else f"done: {stage}"


def _handed_over(
    bot: Dispatcher, conn: sqlite3.Connection, row: runs.RunRow, left: lead_left.LeadLeft, now: datetime
) -> str:
    """The run's questions that waited on a facilitator who left are asked of its new lead (the
    backup, or whoever answers first in its conversation), and its chain starts anew from now:
    nobody has been silent on them yet. The outcome to write on the job."""
    flow = bot.catalog.version(row.flow_id, row.flow_version)
    turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, bot.tz_for)
    lead_left.tell(conn, turn, left, starting=False)
    new = row.context.facilitator
    for prompt in [p for p in row.context.prompts if p.asked and p.to["id"] == new.id]:
        prompt.asked = False  # asked of them now
        turn.ask(prompt, current=turn.current_value(prompt))
    runs.write_turn(conn, row, turn.out, None, now, json.dumps({"chase": "handover"}))
    chain = timers.delays(flow.timers)
    if chain:
        stage, delay = next(iter(chain.items()))
        jobs.add_job(conn, row.id, stage, now + delay, {"since": iso(now)}, now)
    return texts.job_handed_over(left.backup.name if left.backup else None)


def review_put_off(bot: Dispatcher, conn: sqlite3.Connection, job: Job, now: datetime) -> str | None:
    """A review start (``start_flow``) due on a quiet day of its facilitator's (``DECISIONBOT_QUIET_DAYS``)
    waits for the next working morning, by a job of its own, at a review's 09:00 (or the end of the
    quiet hours, when later; it started at 08:00 with ``20:00-08:00``, where the docs say a review
    keeps its 09:00); the outcome to write on this one, or None to start it now. Quiet hours alone
    leave it at its hour."""
    lead = job.payload.get("facilitator")
    zone = bot.tz_for(Actor.from_dict(lead)) if lead else bot.tz
    moved = _moved_on(job, zone, now)
    if moved is not None:
        jobs.add_job(conn, job.run_id, job.kind, moved, job.payload, now)
        return texts.review_follows_zone(iso(moved))
    later = bot.quiet.day_off_until(now.astimezone(zone)) if bot.quiet is not None else None
    if later is None:
        return None
    later = max(later, datetime.combine(later.date(), ledger.REVIEW_HOUR, tzinfo=later.tzinfo))  # its 09:00
    jobs.add_job(conn, job.run_id, job.kind, later.astimezone(UTC), job.payload, now)
    return f"put off: quiet days until {iso(later)}"


def before_firing(conn: sqlite3.Connection, job: Job) -> tuple[str | None, list[Actor]]:
    """What the scheduler needs of a run's job (remind, escalate, expire, start_flow) before its
    transaction, from one read of its run: the channel it chases the run in (None for a review's
    start), whose failing puts the job off, and whom it may reach (:func:`people_of`), looked up
    again over the network first. :func:`chase` reads the run again in the job's transaction: the
    lookups take seconds, which no transaction waits out, and meanwhile the run may be answered,
    cancelled or handed over; the job acts on the run as it stands then."""
    if job.kind == "start_flow" or job.run_id is None:
        return None, people_of(conn, job)
    row = runs.load_run(conn, job.run_id)
    if row is None:
        return None, []
    return row.conversation.channel, _reached_later(row) if row.status == "active" else []


def people_of(conn: sqlite3.Connection, job: Job) -> list[Actor]:
    """Whom a job may reach, to be looked up again before it fires (weeks after they were last
    heard of, they may have left or moved to another zone): for a chase, the run's facilitator,
    participants, the people its questions wait on and its backup; for a review's start, who set
    its date and the owners of the decision's open actions; for the owners' digest, the owners it
    goes to."""
    if job.kind == "digest":  # those looked up longest ago first, a few a digest: no burst of lookups
        only = job.payload.get("to")
        owners = conn.execute(
            "SELECT a.owner_id, max(a.owner_name) FROM actions a LEFT JOIN people p ON p.id = a.owner_id"
            " WHERE a.status = 'open' AND a.owner_id IS NOT NULL GROUP BY a.owner_id ORDER BY max(p.fetched_at)"
        ).fetchall()
        return [Actor(o, n or o) for o, n in owners if only is None or o in only][:DIGEST_LOOKUPS]
    if job.kind == "start_flow":
        lead = job.payload.get("facilitator")
        owners = conn.execute(
            "SELECT DISTINCT owner_id, owner_name FROM actions WHERE decision_id = ? AND status = 'open'"
            " AND owner_id IS NOT NULL",
            (job.payload.get("decision_id"),),
        ).fetchall()
        return [*([Actor.from_dict(lead)] if lead else []), *(Actor(o, n or o) for o, n in owners)]
    row = runs.load_run(conn, job.run_id) if job.run_id is not None else None
    return _reached_later(row) if row is not None and row.status == "active" else []


def _reached_later(row: runs.RunRow) -> list[Actor]:
    """Whom a chase of the active run ``row`` may reach: its facilitator, participants, the
    people its questions wait on and its backup."""
    backup = timers.backup_of(row.context.trigger.get("escalate_to"))
    asked = [p.actor for p in row.context.prompts if p.asked]
    return [row.context.facilitator, *row.context.participants, *asked, *([backup] if backup else [])]


def _moved_on(job: Job, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When a review start's hour comes on its facilitator's clock now, if later than ``now``: their
    zone is not the one they gave the date in (they moved west). A job of an older release, without
    its ``day`` and ``tz``: None."""
    day, given_in = job.payload.get("day"), job.payload.get("tz")
    if not day or not given_in or given_in == zone.key:
        return None
    at = datetime.combine(date.fromisoformat(str(day)), ledger.REVIEW_HOUR, tzinfo=zone).astimezone(UTC)
    return at if at > now else None


def reached_by(ctx: RunState, stage: str, only: list[str] | None = None) -> dict[str, Actor]:
    """Who ``stage`` tells, by id: a reminder each person a question waits on (of ``only``, when
    given), an escalation the backup or the facilitator, an expiry the run's conversation, on its
    facilitator's clock (theirs, too, for a reminder with no question asked)."""
    if stage == "remind":
        asked = {p.to["id"]: p.actor for p in ctx.prompts if p.asked and (only is None or p.to["id"] in only)}
        if asked or only:
            return asked
    backup = timers.backup_of(ctx.trigger.get("escalate_to")) if stage == "escalate" else None
    person = backup or ctx.facilitator
    return {person.id: person}


def quiet_until(bot: Dispatcher, people: dict[str, Actor], now: datetime) -> dict[str, datetime]:
    """Those of ``people`` in their quiet hours at ``now``, on their own clock: when these end (UTC)."""
    if bot.quiet is None:
        return {}
    found: dict[str, datetime] = {}
    for actor_id, actor in people.items():
        until = bot.quiet.until(now.astimezone(bot.tz_for(actor)))
        if until is not None and until.astimezone(UTC) > now:  # never a moment past: the job would loop
            found[actor_id] = until.astimezone(UTC)
    return found
