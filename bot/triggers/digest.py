"""The owner digest: one message per owner listing their open actions, overdue ones (by the
owner's own calendar) marked, instead of one reminder per action. A recurring ``digest`` job
(``digest: {schedule: ...}`` in ``flows/checks.yaml``) sends it; each message goes privately to
the owner in the conversation of their newest decision, through the outbox like any reply."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Reply
from bot.store import actions, iso, jobs, runs, transaction
from bot.store.jobs import Job
from bot.triggers import next_time


def digests(conn: sqlite3.Connection, now: datetime, zone_of: Callable[[Actor], ZoneInfo]) -> list[Reply]:
    """An action is overdue once its owner's own calendar (``zone_of``) has left its due date."""
    by_owner: dict[str, list[actions.ActionRow]] = {}
    for row in actions.open_actions(conn):
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
        replies = digests(conn, now, dispatcher.tz_for)
        runs.queue_replies(conn, replies, iso(now))
        outcome = f"done: {len(replies)} owner(s)"
        jobs.finish_job(conn, job.id, outcome, now)
        schedule = job.payload.get("schedule")
        if schedule:
            jobs.add_job(conn, None, "digest", next_time(schedule, now, dispatcher.tz), {"schedule": schedule}, now)
    return outcome
