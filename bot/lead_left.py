"""A run whose facilitator can no longer be asked (they left the company: their account
deactivated; or they are an app's bot user), found as one of its jobs fires: as a review's job
starts it, or as a chase job (reminder, escalation, expiry) chases it. One path for both: the run
goes to the trigger's backup (a route's ``backup``), else to whoever answers first in its
conversation, as a triggered run that named nobody; its conversation is told, and the ledger
keeps it as transitions of the turn (``lead_left``, then ``take`` by whoever leads it).

An alert or a ``decisionbot trigger`` naming such a facilitator takes another path,
:func:`bot.triggers.naming.leave_out`: they are left out of the trigger before its run starts (with
participants, owners and a backup nobody can ask, and Teams' unreached), so they never led it and
the ledger has no ``lead_left`` of them; the event keeps them in ``left_out``. The notice is the same."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from bot import texts
from bot.engine import timers
from bot.engine.runtime import Turn
from bot.engine.state import RunState
from bot.model import Actor, is_placeholder, placeholder_facilitator


@dataclass(frozen=True)
class LeadLeft:
    """A run's facilitator who can no longer be asked (``kind``: ``deactivated``, ``app``), and
    who leads it now: the trigger's backup, else nobody yet (whoever answers first)."""

    lead: Actor
    kind: str
    backup: Actor | None
    moved: bool  # questions asked of them now wait on the new lead


def hand_over(ctx: RunState, nobody: Mapping[str, str]) -> LeadLeft | None:
    """When the run's facilitator is among ``nobody`` (looked up as its job fires), the run is
    theirs no more: it goes to the trigger's backup, else to whoever answers first in its
    conversation; the questions waiting on them wait on that lead. Changes ``ctx``; None when
    its facilitator can still be asked."""
    lead = ctx.facilitator
    if lead.id not in nobody or is_placeholder(lead.id):
        return None
    backup = timers.backup_of(ctx.trigger.get("escalate_to"))
    if backup is not None and (backup.id in nobody or backup.id == lead.id):
        backup = None
    new = backup or placeholder_facilitator(lead.channel)
    ctx.roles["facilitator"] = new.to_dict()
    ctx.roles["participants"] = [p for p in ctx.roles.get("participants", []) if p.get("id") != lead.id]
    if backup is None:
        ctx.trigger["claimable"] = True
        ctx.trigger["lead_left"] = lead.to_dict()  # the claim of the run is recorded as a take-over
    else:
        ctx.trigger["facilitator"] = backup.name
    moved = False
    for prompt in ctx.prompts:
        if prompt.to["id"] == lead.id:
            prompt.to = new.to_dict()
            moved = moved or prompt.asked
    return LeadLeft(lead, nobody[lead.id], backup, moved)


def tell(conn: sqlite3.Connection, turn: Turn, left: LeadLeft, starting: bool) -> None:
    """The run's conversation is told who leads it now (``starting``: as the run starts, named to
    lead it; else as it goes on, having led it); the ledger keeps it, as transitions of ``turn``
    at the run's step: ``lead_left`` by who left, and ``take`` by the backup who took over
    (whoever answers first takes it when they do: bot.store.placing.claim)."""
    state, backup = turn.state, left.backup.name if left.backup else None
    if starting:
        turn.say(texts.trigger_facilitator_unreachable(left.lead.name, left.kind, backup))
    else:
        turn.say(texts.lead_left_mid_run(left.lead.name, left.kind, backup))
    turn.out.transitions.append({"from": state, "to": state, "event": "lead_left", "actor": left.lead.id})
    if left.backup is not None:
        turn.out.transitions.append({"from": state, "to": state, "event": "take", "actor": left.backup.id})
    conn.execute("UPDATE runs SET facilitator_id = ? WHERE id = ?", (turn.ctx.facilitator.id, turn.run_id))
