"""Who of a triggered run's people cannot see it: a run an alert, a Grafana or generic hook, a metric
check or ``decisionbot trigger`` started in a Slack channel (as a route names it, with its
``facilitator`` and ``participants``), its people who are not members of that channel told by
direct message to its facilitator, or, while nobody has taken the run, to the route's ``backup``
(whom :mod:`bot.notices` tells of a channel refusing the bot); nobody to tell: one log line.

Asked once the run's first message is in its channel (the outbox delivered it, whichever process
started the run: ``decisionbot trigger`` writes its run to the ledger, ``serve`` posts it), off the
outbox's way, once a run: a run whose earlier message was delivered (before a restart) is not asked
about again. Slack says who is a member as for a ``/decision start``
(:func:`bot.channels.slack_members.members_among`); its refusal (``missing_scope``,
``not_in_channel``, ``ratelimited``) or Slack out of reach is one log line and no warning."""

from __future__ import annotations

import logging
import sqlite3

from sqlite_utils import Database

from bot import texts
from bot.bounded import Bounded
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.slack_dms import is_dm
from bot.channels.slack_members import TooMany, members_among
from bot.channels.slack_send import Poster
from bot.channels.slack_withdraw import slack_user
from bot.engine.timers import backup_of
from bot.model import Actor, is_placeholder
from bot.outbox import Queued
from bot.store import runs

log = logging.getLogger("decisionbot.slack")

#: The sources of the runs triggers start (``Trigger.source``): not a person's ``start`` in chat
#: (its platform's name: checked as it starts), nor a review (``schedule``), nor a handover.
TRIGGERED = frozenset({"alertmanager", "grafana", "generic", "check", "cli"})


def triggered_by(conn: sqlite3.Connection, run_id: int) -> str | None:
    """What started run ``run_id`` (its trigger's ``source``); None for a run not in the ledger."""
    row = conn.execute("SELECT json_extract(context, '$.trigger.source') FROM runs WHERE id = ?", (run_id,)).fetchone()
    return None if row is None else row[0]


def delivered_before(conn: sqlite3.Connection, run_id: int, message_id: int) -> bool:
    """Whether a message of run ``run_id`` queued before ``message_id`` for its conversation (not
    for one person) was delivered: the run was seen in its channel already."""
    row = conn.execute(
        "SELECT 1 FROM messages WHERE run_id = ? AND id < ? AND direction = 'out' AND private = 0"
        " AND delivered_at IS NOT NULL LIMIT 1",
        (run_id, message_id),
    ).fetchone()
    return row is not None


class RouteMembers:
    """The check of the people of each triggered run, once its first message is in its channel."""

    def __init__(self, db: Database, poster: Poster, bot_user: str | None):
        self.db = db
        self.poster = poster
        self.bot_user = bot_user
        self.seen: Bounded[int, None] = Bounded()  # runs a delivery of which this process looked at

    def delivered(self, item: Queued) -> None:
        """``item`` was posted (quick: the check, if any, runs in a task of its own)."""
        reply = item.reply
        if item.part or reply.private or is_dm(reply.conversation.conversation) or reply.run_id in self.seen:
            return
        self.seen[reply.run_id] = None
        self.poster.spawn(self.check(reply.run_id, item.id))

    async def check(self, run_id: int, message_id: int) -> None:
        """Run ``run_id``'s first message in its channel (``message_id``) delivered: those of its
        people not in the channel told to whom the run's troubles go."""
        conn = self.db.conn
        if triggered_by(conn, run_id) not in TRIGGERED:  # (most runs: read no further)
            return
        row = runs.load_run(conn, run_id)
        if row is None or row.status not in runs.OPEN:
            return
        if is_dm(row.conversation.conversation) or delivered_before(conn, run_id, message_id):
            return
        lead = row.context.facilitator
        taken = not is_placeholder(lead.id) and slack_user(lead) is not None
        backup = backup_of(row.context.trigger.get("escalate_to"))
        told = lead if taken else backup if backup is not None and slack_user(backup) else None
        people = self._people([lead, *row.context.participants])
        if not people:
            return
        channel = row.conversation.conversation
        try:
            present = await members_among(self.poster.side, channel, [p.platform_id for p in people])
        except (RetryLater, DeliveryFailed, TooMany) as exc:
            error = exc.code or str(exc) if isinstance(exc, DeliveryFailed) else str(exc)
            log.info(texts.slack_members_unknown(run_id, channel, error))
            return
        absent = [p for p in people if p.platform_id not in present]
        if not absent:
            return
        if told is None:
            log.info(texts.slack_members_nobody_told(run_id, channel, [p.platform_id for p in absent]))
            return
        title = blocks.escape(str(row.context.trigger.get("title") or row.flow_id))
        others = [blocks.mention(p.platform_id) for p in absent if p.id != told.id]
        you = len(others) < len(absent)
        where = blocks.channel_link(channel)
        text = texts.slack_route_people_not_in_channel(run_id, title, others, you, where, told is not lead)
        user = told.platform_id
        try:
            direct = await self.poster.dm_channel(user)
        except (RetryLater, DeliveryFailed) as exc:
            log.info(texts.slack_members_untold(run_id, user, str(exc)))
            return
        self.poster.say_later(direct, text)

    def _people(self, named: list[Actor]) -> list[Actor]:
        """The Slack users of ``named``, each once: no placeholder, nobody of another platform, nor the bot."""
        found: dict[str, Actor] = {}
        for person in named:
            user = slack_user(person)
            if user is not None and not is_placeholder(person.id) and user != self.bot_user:
                found.setdefault(user, person)
        return list(found.values())
