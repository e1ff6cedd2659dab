"""A widget used where it answers nothing (a Slack button or menu, a Teams card): someone else's
question, one answered or closed already, or one the run has asked anew since. The run is not
touched, but the transcript keeps the attempt, as it keeps a typed answer refused, so analysts see
who tried to answer what (a stall, an owner's colleague stepping in, a double click)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import NamedTuple

from bot.model import Actor, ConversationKey
from bot.store import iso, runs

#: Why a widget was refused, as ``payload.widget`` says it.
WHY = ("not_theirs", "answered", "closed", "asked_since")


class Refusal(NamedTuple):
    """Why a widget answers nothing (one of WHY), what its user is told (in the platform's
    markup), and whether the question it belongs to is to be closed (the run asked its person
    something newer, or handed it on)."""

    why: str
    told: str
    stale: bool = False


def refused(
    conn: sqlite3.Connection,
    asked: int,
    actor: Actor,
    conversation: ConversationKey,
    answer: str,
    platform_id: str | None,
    why: str,
    now: datetime,
) -> bool:
    """Keep a widget of question ``asked`` (its outbox message) used by ``actor`` and refused for
    ``why``: an inbound row of kind ``refused`` with the question's run and step, what the widget
    stands for as ``text``, and ``payload`` ``{"widget": why, "question": asked}``. Once per
    delivery (a platform's retry adds nothing): whether it was the first."""
    assert why in WHY, why
    if platform_id and runs.seen_delivery(conn, conversation.channel, platform_id, now):
        return False
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, platform_id, step,"
        " kind, text, payload, created_at) SELECT run_id, 'in', ?, ?, ?, ?, ?, step, 'refused', ?, ?, ?"
        " FROM messages WHERE id = ?",
        (
            conversation.channel,
            str(conversation),
            actor.id,
            actor.name,
            platform_id,
            answer,
            json.dumps({"widget": why, "question": asked}),
            iso(now),
            asked,
        ),
    )
    return True
