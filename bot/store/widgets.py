"""A widget used where it answers nothing (a Slack button or menu, a Teams card): someone else's
question, one answered or closed already, or one the run has asked anew since. The run is not
touched, but the transcript keeps the attempt, as it keeps a typed answer refused, so analysts see
who tried to answer what (a stall, an owner's colleague stepping in, a double click)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
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
    question = conn.execute("SELECT run_id, step FROM messages WHERE id = ?", (asked,)).fetchone()
    payload = {"widget": why, "question": asked}
    if question is None:  # (no such question: nothing to keep it with)
        return not (platform_id and runs.seen_delivery(conn, conversation.channel, platform_id, now))
    return kept(conn, question[0], question[1], actor, conversation, answer, platform_id, payload, now)


def kept(
    conn: sqlite3.Connection,
    run_id: int,
    step: str | None,
    actor: Actor,
    conversation: ConversationKey,
    text: str,
    platform_id: str | None,
    payload: Mapping[str, object],
    now: datetime,
) -> bool:
    """Keep words or a widget ``actor`` used in ``conversation`` that run ``run_id`` does not take: an
    inbound row of kind ``refused`` at ``step``, once per delivery (a platform's retry adds nothing):
    whether it was the first."""
    if platform_id and runs.seen_delivery(conn, conversation.channel, platform_id, now):
        return False
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, platform_id, step,"
        " kind, text, payload, created_at) VALUES (?, 'in', ?, ?, ?, ?, ?, ?, 'refused', ?, ?, ?)",
        (
            run_id,
            conversation.channel,
            str(conversation),
            actor.id,
            actor.name,
            platform_id,
            step,
            text,
            json.dumps(payload),
            iso(now),
        ),
    )
    return True
