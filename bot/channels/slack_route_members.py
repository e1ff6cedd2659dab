"""Who of a triggered run's people cannot see it: a run an alert, a Grafana or generic hook, a metric
check or ``decisionbot trigger`` started in a Slack channel (as a route names it, with its
``facilitator`` and ``participants``), its people who are not members of that channel told by
direct message to its facilitator, or, while nobody has taken the run, to the route's ``backup``
(whom :mod:`bot.notices` tells of a channel refusing the bot); nobody to tell: one log line.
So too the runs that reopen a decision weeks later in its channel, when people may have left it:
its review the scheduler starts at its date, and an action's handover (``give A12 @person``),
their people the decision's facilitator and participants and the owners they ask, told to the
run's facilitator (the decision's lead; a handover's asker), once its first message is delivered
(a review's in its channel; a handover's anywhere: its new owner is asked by direct message).

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
from bot.engine.state import RunState
from bot.engine.timers import backup_of
from bot.model import Actor, is_placeholder
from bot.outbox import Queued
from bot.store import runs
from bot.store.people import stored_kinds

log = logging.getLogger("decisionbot.slack")

#: The sources of the runs triggers start (``Trigger.source``): not a person's ``start`` in chat
#: (its platform's name: checked as it starts), nor a review (``schedule``), nor a handover.
TRIGGERED = frozenset({"alertmanager", "grafana", "generic", "check", "cli"})
#: How the check names what started a run it looks at: a trigger's, a review the scheduler started
#: (``source: schedule``, ``kind: review``; one started by hand is a person's start), a handover.
TRIGGER, REVIEW, HANDOVER = "trigger", "review", "handover"


def checked_as(conn: sqlite3.Connection, run_id: int) -> str | None:
    """What started run ``run_id``, as the check tells them apart (:data:`TRIGGER`, :data:`REVIEW`,
    :data:`HANDOVER`); None for any other run (a person's start) or a run not in the ledger."""
    row = conn.execute(
        "SELECT json_extract(context, '$.trigger.source'), json_extract(context, '$.trigger.kind') FROM runs WHERE id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    source, kind = row
    if source in TRIGGERED:
        return TRIGGER
    if source == "schedule" and kind == REVIEW:
        return REVIEW
    return HANDOVER if kind == HANDOVER else None


def delivered_before(conn: sqlite3.Connection, run_id: int, message_id: int, anywhere: bool = False) -> bool:
    """Whether a message of run ``run_id`` queued before ``message_id`` for its conversation (not
    for one person; ``anywhere``: to anyone) was delivered: the run was seen in its channel already."""
    aside = "" if anywhere else " AND private = 0"
    row = conn.execute(
        f"SELECT 1 FROM messages WHERE run_id = ? AND id < ? AND direction = 'out'{aside}"
        " AND delivered_at IS NOT NULL LIMIT 1",
        (run_id, message_id),
    ).fetchone()
    return row is not None


def owners(ctx: RunState) -> list[Actor]:
    """Whom a review or handover asks about the actions its trigger carries: each one's owner."""
    found = ctx.trigger.get("actions")
    items = found if isinstance(found, list) else []
    return [Actor.from_dict(a["owner"]) for a in items if isinstance(a, dict) and isinstance(a.get("owner"), dict)]


class RouteMembers:
    """The check of the people of each triggered run, review and handover, once, after its first message."""

    def __init__(self, db: Database, poster: Poster, bot_user: str | None):
        self.db = db
        self.poster = poster
        self.bot_user = bot_user
        self.seen: Bounded[int, None] = Bounded()  # runs a delivery of which in their channel this process looked at
        self.aside: Bounded[int, None] = Bounded()  # ... a delivery of which to one person (a handover's first)

    def delivered(self, item: Queued) -> None:
        """``item`` was posted (quick: the check, if any, runs in a task of its own)."""
        reply = item.reply
        if item.part:
            return
        public = not reply.private and not is_dm(reply.conversation.conversation)
        seen = self.seen if public else self.aside
        if reply.run_id in seen:
            return
        seen[reply.run_id] = None
        self.poster.spawn(self.check(reply.run_id, item.id, public))

    async def check(self, run_id: int, message_id: int, public: bool = True) -> None:
        """Run ``run_id``'s first message (``message_id``) delivered, in its channel (``public``; a
        handover's to anyone): those of its people not in the channel told to whom its troubles go."""
        conn = self.db.conn
        kind = checked_as(conn, run_id)  # (most runs: read no further)
        if kind is None or not (public or kind == HANDOVER):
            return
        row = runs.load_run(conn, run_id)
        if row is None or row.status not in runs.OPEN:
            return
        if is_dm(row.conversation.conversation) or delivered_before(conn, run_id, message_id, kind == HANDOVER):
            return
        lead = row.context.facilitator
        taken = not is_placeholder(lead.id) and slack_user(lead) is not None
        backup = backup_of(row.context.trigger.get("escalate_to")) if kind == TRIGGER else None
        told = lead if taken else backup if backup is not None and slack_user(backup) else None
        asked = owners(row.context) if kind != TRIGGER else []
        people = self._people(conn, [lead, *row.context.participants, *asked])
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
            log.info(texts.slack_members_nobody_told(run_id, channel, [p.platform_id for p in absent], kind == TRIGGER))
            return
        others = [blocks.mention(p.platform_id) for p in absent if p.id != told.id]
        text = self._words(row, kind, others, len(others) < len(absent), told is not lead)
        user = told.platform_id
        try:
            direct = await self.poster.dm_channel(user)
        except (RetryLater, DeliveryFailed) as exc:
            log.info(texts.slack_members_untold(run_id, user, str(exc)))
            return
        self.poster.say_later(direct, text)

    @staticmethod
    def _words(row: runs.RunRow, kind: str, others: list[str], you: bool, backup: bool) -> str:
        """What the one told is told: ``others`` (mentions) and ``you`` not in the run's channel."""
        trigger = row.context.trigger
        title = blocks.escape(str(trigger.get("title") or row.flow_id))
        where = blocks.channel_link(row.conversation.conversation)
        if kind == REVIEW:
            decision = int(trigger.get("decision_id") or 0)
            return texts.slack_review_people_not_in_channel(row.id, decision, title, others, you, where)
        if kind == HANDOVER:
            handover = trigger.get("handover") or {}
            what = blocks.escape(str(handover.get("what") or ""))
            action = int(handover.get("action_id") or 0)
            return texts.slack_handover_people_not_in_channel(row.id, action, what, title, others, you, where)
        return texts.slack_route_people_not_in_channel(row.id, title, others, you, where, backup)

    def _people(self, conn: sqlite3.Connection, named: list[Actor]) -> list[Actor]:
        """The Slack users of ``named``, each once: no placeholder, nobody of another platform, nor
        the bot, nor anyone the ledger knows nobody can ask (a deactivated account, an app)."""
        found: dict[str, Actor] = {}
        for person in named:
            user = slack_user(person)
            if user is not None and not is_placeholder(person.id) and user != self.bot_user:
                found.setdefault(user, person)
        gone = stored_kinds(conn, found.values())
        return [p for p in found.values() if p.id not in gone]
