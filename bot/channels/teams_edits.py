"""Edits and deletions of messages a run has, as Teams sends them: ``messageUpdate`` with
``channelData.eventType`` ``editMessage``, ``messageDelete`` with ``softDeleteMessage`` (what
botbuilder's ``TeamsActivityHandler`` tells apart as a message edited or soft-deleted); the
activity's ``id`` is the message's own. Others (``undeleteMessage``) are not the bot's business.

As on Slack (:mod:`bot.channels.slack_edits`), a run keeps what was first sent: an edited answer
changes no answer, and a deleted one is not taken back. So that nobody believes otherwise (Teams
shows the edited text; the record keeps the first), the transcript keeps the change as a row of its
own (kind ``edited`` with the new text, or ``deleted``) and the writer is told once, with how to
change an answer, where they changed it (Teams has no message for one person alone in a chat).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.channels import teams_activities as acts
from bot.model import Actor
from bot.store import runs, transaction, transcript

#: (activity type, channelData.eventType) of the changes read.
_CHANGES = {("messageUpdate", "editMessage"): False, ("messageDelete", "softDeleteMessage"): True}


@dataclass(frozen=True)
class Changed:
    """A message edited or deleted."""

    deleted: bool
    platform_id: str  # the message's, as its turn stored it (``<conversation>|<activity id>``)
    delivery_id: str  # the change's own: a retry of it is dropped, each later edit told
    text: str  # as edited, read as a message is; '' when deleted


def changed(body: Mapping[str, Any], inbound: acts.Inbound) -> Changed | None:
    """The edit or deletion ``body`` is; None for any other activity."""
    data = body.get("channelData")
    event = data.get("eventType") if isinstance(data, Mapping) else None
    deleted = _CHANGES.get((str(body.get("type")), str(event)))
    if deleted is None or not inbound.activity_id:
        return None
    platform_id = f"{inbound.base_id}|{inbound.activity_id}"
    stamp = body.get("timestamp") if isinstance(body.get("timestamp"), str) else ""
    delivery = f"{'deleted' if deleted else 'edited'}:{platform_id}|{stamp}"
    return Changed(deleted, platform_id, delivery, "" if deleted else _typed(body, inbound))


def _typed(body: Mapping[str, Any], inbound: acts.Inbound) -> str:
    """The edited text as the bot reads a message: its mention of the bot stripped, as typed."""
    entities = [e for e in body.get("entities") or [] if isinstance(e, Mapping)]
    here = inbound.base_id if inbound.conversation_type == "groupChat" else ""
    personal = inbound.conversation_type == "personal"
    return acts.clean_text(str(body.get("text") or ""), entities, inbound.bot, here, personal).text


def kept(db: Database, body: Mapping[str, Any], inbound: acts.Inbound, now: datetime) -> str | None:
    """Keep the change ``body`` is in the transcript; what to tell its writer (once: a retry of the
    change is dropped by its id), or None: nothing of another activity or of a message the ledger
    does not have, nothing to tell of one no run took or asked again, nor of an edit that leaves
    the text as it was."""
    change = changed(body, inbound)
    if change is None:
        return None
    held = transcript.held_message(db.conn, acts.CHANNEL, change.platform_id)
    if held is None:
        return None
    original, kind, first_text, run_id = held
    if not change.deleted and change.text == first_text:
        return None
    with transaction(db) as conn:
        if runs.seen_delivery(conn, acts.CHANNEL, change.delivery_id, now):
            return None
        transcript.record_change(conn, original, change.deleted, change.text, now)
    leader, status = transcript.leader_for(db.conn, original), transcript.run_status(db.conn, run_id)
    return transcript.change_note(kind, first_text, run_id, change.deleted, leader, status)


def mentioned(body: Mapping[str, Any], inbound: acts.Inbound) -> Actor | None:
    """Whom the note about a change @mentions: its writer (``from``), in a channel or a group
    chat, where others read it too; nobody in their personal chat."""
    sender = body.get("from")
    if inbound.conversation_type == "personal" or not isinstance(sender, Mapping) or not sender.get("id"):
        return None
    return acts.actor(sender)
