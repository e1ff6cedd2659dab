"""An action handed over (``give A12 @person [why]``), written when its run completes: the new
owner's yes gives them the action; a no changes nothing. Everyone concerned is told, each where
owners are told things: the asker, the old and the new owner by direct message (the platform's
own), the decision's conversation in it. Only the new owner's own answer counts: one given in their
place (their question handed to the asker after their misses) hands nothing over.

The run's trigger carries ``handover``: ``action_id``, ``by`` (the asker), ``from`` (the owner
when asked), ``to`` (the new owner), ``why``; the record adds ``accepted`` (the answer) and ``answered_by`` (who gave it in the
new owner's place, if anyone).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from bot import texts
from bot.model import Actor, ConversationKey, Reply
from bot.store import actions, iso, runs
from bot.store.runs import RunRow


def write(conn: sqlite3.Connection, run: RunRow, handover: dict[str, Any], now: datetime) -> None:
    """The outcome of handover run ``run``, in its completing turn's transaction."""
    action_id = handover.get("action_id")
    if action_id is None or handover.get("accepted") is None:  # started by hand, with no action to give
        return
    asker, old, new = (Actor.from_dict(handover[k]) for k in ("by", "from", "to"))
    action = actions.load_action(conn, int(action_id))
    what = action.what if action else str(handover.get("what") or "")
    stamp = iso(now)
    if handover.get("answered_by"):  # their question went to the asker (their misses): owners confirm what they own
        for person in dict.fromkeys((asker, new)):
            _tell(conn, run, person, texts.handover_not_theirs(new.name, what, int(action_id)), stamp)
        return
    if not handover["accepted"]:
        _tell(conn, run, asker, texts.handover_declined(new.name, what, old.name), stamp)
        return
    still_theirs = action is not None and action.status == "open" and action.owner_id == old.id
    if action is None or not still_theirs or not actions.hand_over(conn, action, new, asker, handover["why"], now):
        for person in dict.fromkeys((asker, new)):
            _tell(conn, run, person, texts.handover_void(what), stamp)
        return
    notice = texts.handover_taken_notice(new.name, old.name, what, action.title, asker.name, handover["why"])
    home = ConversationKey.parse(action.conversation)
    runs.queue_replies(conn, [Reply(action.run_id, home, notice, kind="info")], stamp)
    _tell(conn, run, old, texts.handover_taken_by(new.name, what, action.title), stamp)
    _tell(conn, run, new, texts.handover_yours(action.id, what, action.title, action.due), stamp)


def taken(conn: sqlite3.Connection, record: dict[str, Any]) -> tuple[int, Actor, Actor, list[int]] | None:
    """When completed run's ``record`` handed its action over (a yes, and the action is now the new
    owner's): the action, its old and new owner, and the runs under way that ask about it (a
    review: its ``trigger.actions``), for them to ask the new owner instead."""
    handed = record.get("handover") or {}
    if not handed.get("accepted") or handed.get("action_id") is None:
        return None
    action = actions.load_action(conn, int(handed["action_id"]))
    new = Actor.from_dict(handed["to"])
    if action is None or action.status != "open" or action.owner_id != new.id:
        return None
    asking = dict.fromkeys(run_id for run_id, _, _ in actions.asked_about(conn, action.id, handovers=False))
    return action.id, Actor.from_dict(handed["from"]), new, list(asking)


def _tell(conn: sqlite3.Connection, run: RunRow, person: Actor, text: str, stamp: str) -> None:
    """``text`` for ``person`` alone (a direct message where the platform has them)."""
    runs.queue_replies(conn, [Reply(run.id, run.conversation, text, to=person, kind="info", private=True)], stamp)
