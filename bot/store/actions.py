"""Action items after their decision: a person's open ones, and an owner reporting one done,
moving its due date, dropping it or handing it to someone else (each change kept in ``action_changes``).

Actions are written when their run completes (:mod:`bot.store.ledger`); from then on their owner
(or the decision's facilitator, in the owner's place) may report one done from chat, with
``done A12``, instead of waiting for the review to ask. A review that starts later asks only
about the actions still open; one under way still asks, keeps the first ``done_at``, leaves a
dropped action dropped and asks again with a due date moved since it began.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.engine.state import RunState
from bot.model import Actor, ConversationKey
from bot.store import iso


@dataclass(frozen=True)
class ActionRow:
    id: int
    what: str
    due: str | None  # a local date
    status: str  # open | done | dropped
    done_at: str | None
    title: str  # the decision's
    run_id: int  # the run that made the decision
    conversation: str  # that run's
    owner_id: str | None
    owner_name: str | None
    facilitator_id: str | None  # the decision's


_COLUMNS = (
    "a.id, a.what, a.due, a.status, a.done_at, d.title, d.run_id, r.conversation, a.owner_id, a.owner_name,"
    " d.decided_by"
)
_FROM = " FROM actions a JOIN decisions d ON d.id = a.decision_id JOIN runs r ON r.id = d.run_id"


def open_actions(conn: sqlite3.Connection, owner_id: str | None = None) -> list[ActionRow]:
    """Open actions with an owner (of ``owner_id`` only, when given): by owner, soonest due first,
    no due date last."""
    where = " WHERE a.status = 'open' AND a.owner_id IS NOT NULL" + (" AND a.owner_id = ?" if owner_id else "")
    rows = conn.execute(
        f"SELECT {_COLUMNS}{_FROM}{where} ORDER BY a.owner_id, a.due IS NULL, a.due, a.id",
        (owner_id,) if owner_id else (),
    ).fetchall()
    return [ActionRow(*row) for row in rows]


def led_by(conn: sqlite3.Connection, facilitator_id: str) -> list[ActionRow]:
    """The open actions of the decisions ``facilitator_id`` leads that others own."""
    rows = conn.execute(
        f"SELECT {_COLUMNS}{_FROM} WHERE d.decided_by = ? AND a.status = 'open' AND coalesce(a.owner_id, '') != ?"
        " ORDER BY a.due IS NULL, a.due, a.id",
        (facilitator_id, facilitator_id),
    ).fetchall()
    return [ActionRow(*row) for row in rows]


def may_change(conn: sqlite3.Connection, action_id: int, actor_id: str) -> bool:
    """Whether ``actor_id`` owns action ``action_id`` or leads its decision (whatever its status)."""
    row = conn.execute(
        "SELECT 1 FROM actions a JOIN decisions d ON d.id = a.decision_id WHERE a.id = ?"
        " AND (a.owner_id = ? OR d.decided_by = ?)",
        (action_id, actor_id, actor_id),
    ).fetchone()
    return row is not None


def handed_over_by(conn: sqlite3.Connection, action_id: int, actor_id: str) -> bool:
    """Whether ``actor_id`` owned action ``action_id`` once, before it changed hands."""
    row = conn.execute(
        "SELECT 1 FROM action_changes WHERE action_id = ? AND field = 'owner' AND old = ? LIMIT 1",
        (action_id, actor_id),
    ).fetchone()
    return row is not None


def load_action(conn: sqlite3.Connection, action_id: int) -> ActionRow | None:
    row = conn.execute(f"SELECT {_COLUMNS}{_FROM} WHERE a.id = ?", (action_id,)).fetchone()
    return ActionRow(*row) if row else None


def mark_done(
    conn: sqlite3.Connection,
    action: ActionRow,
    actor: Actor,
    conversation: ConversationKey,
    said: str,
    now: datetime,
) -> None:
    """``actor`` reports ``action`` done with ``said``, in the caller's transaction: the action's
    status and ``done_at`` (``done_confirmed_by`` when it is not the owner who says so), and what
    they typed in the transcript of the decision's run, as a command."""
    stamp = iso(now)
    by = None if actor.id == action.owner_id else actor.id
    conn.execute(
        "UPDATE actions SET status = 'done', done_at = ?, done_confirmed_by = ? WHERE id = ? AND status = 'open'",
        (stamp, by, action.id),
    )
    _typed(conn, action, actor, conversation, said, stamp)


def move_due(
    conn: sqlite3.Connection,
    action: ActionRow,
    actor: Actor,
    conversation: ConversationKey,
    said: str,
    due: str,
    now: datetime,
) -> None:
    """``actor`` moves ``action``'s due date to ``due`` (``due A12 DATE``): the action's ``due``, the
    change in ``action_changes`` (the date it replaced, who, when) and what they typed."""
    stamp = iso(now)
    conn.execute("UPDATE actions SET due = ? WHERE id = ? AND status = 'open'", (due, action.id))
    _changed(conn, action, "due", action.due, due, actor, "", stamp)
    _typed(conn, action, actor, conversation, said, stamp)
    _reviews_ask_with(conn, action.id, due)


def drop(
    conn: sqlite3.Connection,
    action: ActionRow,
    actor: Actor,
    conversation: ConversationKey,
    said: str,
    why: str,
    now: datetime,
) -> None:
    """``actor`` drops ``action`` (``drop A12 [why]``): status ``dropped``, the change with its
    reason in ``action_changes``, and what they typed."""
    stamp = iso(now)
    conn.execute("UPDATE actions SET status = 'dropped' WHERE id = ? AND status = 'open'", (action.id,))
    _changed(conn, action, "status", action.status, "dropped", actor, why, stamp)
    _typed(conn, action, actor, conversation, said, stamp)


def handover_pending(conn: sqlite3.Connection, action_id: int) -> tuple[int, str] | None:
    """The open handover of action ``action_id`` (``give A12 @person``, not yet answered, or
    stalled for want of an answer): its run and the name of whom it asks."""
    row = conn.execute(
        "SELECT id, json_extract(context, '$.trigger.handover.to.name') FROM runs WHERE status IN ('active', 'stalled')"
        " AND json_extract(context, '$.trigger.handover.action_id') = ? ORDER BY id LIMIT 1",
        (action_id,),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def give_asked(
    conn: sqlite3.Connection, action: ActionRow, actor: Actor, conversation: ConversationKey, said: str, now: datetime
) -> None:
    """``actor`` asked someone to take ``action`` over (``give A12 @person``): what they typed, in the
    transcript of the decision's run; nothing changes until the new owner says yes."""
    _typed(conn, action, actor, conversation, said, iso(now))


def hand_over(conn: sqlite3.Connection, action: ActionRow, new: Actor, asker: Actor, why: str, now: datetime) -> bool:
    """``new`` said yes to taking ``action`` over, as ``asker`` asked: the action's owner (accepted
    by them now, as an owner's yes to a new action is) and the change in ``action_changes`` (old
    and new owner ids, why, who asked, when it changed hands, and the old owner's acceptance it
    replaces). False, changing nothing, when the action is no longer open or no longer its old owner's."""
    stamp = iso(now)
    kept = conn.execute(
        "SELECT accepted_at, confirmed_by, confirmed_at FROM actions WHERE id = ?", (action.id,)
    ).fetchone()
    changed = conn.execute(
        "UPDATE actions SET owner_id = ?, owner_name = ?, accepted_at = ?, confirmed_by = NULL, confirmed_at = NULL"
        " WHERE id = ? AND status = 'open' AND owner_id IS ?",
        (new.id, new.name, stamp, action.id, action.owner_id),
    ).rowcount
    if changed:
        _changed(conn, action, "owner", action.owner_id, new.id, asker, why, stamp, old_acceptance=tuple(kept))
    return bool(changed)


def _changed(
    conn: sqlite3.Connection,
    action: ActionRow,
    what: str,
    old: str | None,
    new: str,
    actor: Actor,
    why: str,
    stamp: str,
    old_acceptance: tuple[str | None, ...] = (None, None, None),
) -> None:
    """One row of ``action_changes``; an owner change also keeps the old owner's acceptance
    (``accepted_at``, ``confirmed_by``, ``confirmed_at``), which the new owner's replaces."""
    conn.execute(
        "INSERT INTO action_changes (action_id, field, old, new, reason, actor_id, actor_name, at, old_accepted_at,"
        " old_confirmed_by, old_confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (action.id, what, old, new, why or None, actor.id, actor.name, stamp, *old_acceptance),
    )


def asked_about(conn: sqlite3.Connection, action_id: int, handovers: bool = True) -> list[tuple[int, str, int]]:
    """The runs under way that carry action ``action_id`` in their ``trigger.actions`` (a review
    asking its owner; a pending handover, unless ``handovers`` is False), stalled ones too (a late
    answer still resumes them): each run's id, stored context and the action's index there."""
    sql = (
        "SELECT r.id, r.context, a.key FROM runs r, json_each(r.context, '$.trigger.actions') a"
        " WHERE r.status IN ('active', 'stalled') AND json_extract(a.value, '$.id') = ?"
    )
    if not handovers:
        sql += " AND json_extract(r.context, '$.trigger.handover') IS NULL"
    return conn.execute(sql + " ORDER BY r.id", (action_id,)).fetchall()


def _reviews_ask_with(conn: sqlite3.Connection, action_id: int, due: str) -> None:
    """A review under way asks about ``action_id`` with the due date now in force: its run's copy of
    the action (``trigger.actions``, taken when the review started) follows the move, so that a
    question asked again (a reminder, 'help', the facilitator's after an escalation) names it."""
    for run_id, context, item in asked_about(conn, action_id):
        state = RunState.loads(context)
        state.trigger["actions"][item]["due"] = due
        conn.execute("UPDATE runs SET context = ? WHERE id = ?", (state.dumps(), run_id))


def _typed(
    conn: sqlite3.Connection, action: ActionRow, actor: Actor, conversation: ConversationKey, said: str, stamp: str
) -> None:
    """What ``actor`` typed about ``action``, in the transcript of the run that made its decision."""
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, kind, text,"
        " created_at) VALUES (?, 'in', ?, ?, ?, ?, 'command', ?, ?)",
        (action.run_id, conversation.channel, str(conversation), actor.id, actor.name, said, stamp),
    )


def listed(rows: list[ActionRow], today: str) -> list[tuple[int, str, str, str | None, bool]]:
    """What a list of actions shows of each: number, what, decision, due date, and whether it is
    overdue on ``today`` (the owner's own calendar date)."""
    return [(a.id, a.what, a.title, a.due, bool(a.due and a.due < today)) for a in rows]
