"""Triggers on their way in: what a routed trigger is (``Admission``), what became of it
(``Admitted``), and how a trigger relates to the last event of its dedup key (joins it,
starts a new incident, or only repeats a notification of an incident that has resolved; a
resolution of an older incident changes nothing); a repeat
that asks a run's unseen question again (:func:`ask_again`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.model import ConversationKey, Trigger
from bot.store.events import KeyedEvent


@dataclass
class Admission:
    """A routed trigger on its way in. ``trigger.conversation`` None (or a ``problem``): it has
    nowhere to go and is only recorded. ``no_channel``: the problem is where to post (no channel
    given, or one that is not a channel), not its flow or route. ``alert_keys``: for an alert
    group (``dedup: group``), the keys its alerts have on their own (``alertmanager:<fingerprint>``),
    whose unrouted events its run takes over."""

    trigger: Trigger
    route: str | None = None
    cooldown: timedelta = timedelta(0)
    problem: str | None = None
    no_channel: bool = False
    alert_keys: tuple[str, ...] = ()
    left_out: tuple[tuple[str, str], ...] = ()  # (id, what they are) of those nobody can ask (naming.leave_out)
    notice: str | None = None  # posted in the run's thread as it starts (bot.triggers.naming.leave_out)


@dataclass
class Admitted:
    """What became of a trigger: started, repeat, resolved, recorded (a resolution with no run),
    stale (a resolution of an older incident than the one on record: nothing changed) or unrouted."""

    event_id: int
    outcome: str
    run_id: int | None = None
    outbox: list[int] = field(default_factory=list)
    channel: str | None = None  # where the outbox messages go


#: Sources whose triggers resolve (the same key comes with status resolved when it is over). A key
#: from any other (``decisionbot trigger --dedup-key``) has no end but its run's.
RESOLVING_SOURCES = frozenset({"alertmanager", "grafana", "generic", "check"})

#: Sources whose alerts say when they started (``startsAt``): a new start is a new incident.
STARTING_SOURCES = frozenset({"alertmanager", "grafana"})


def joins(last: KeyedEvent, trigger: Trigger, cooldown: timedelta, now: datetime) -> bool:
    """Whether a firing trigger joins the key's last event instead of opening a run: its run
    is open; or, for a trigger that resolves, the incident never resolved (an alert still firing
    after its decision was made is the same incident), or it resolved less than ``cooldown``
    ago. An alert that fires from a new start (``startsAt``) while its last incident never
    resolved (``send_resolved: false``) is a new incident, unless it was last seen less than
    ``cooldown`` ago. A key that cannot resolve starts a new run once the old one is closed."""
    if last.run_id is None:
        return False
    if last.run_open:
        return True
    if trigger.source not in RESOLVING_SOURCES:
        return False
    if last.status == "firing":
        return not new_start(last, trigger) or now - datetime.fromisoformat(last.last_seen_at) < cooldown
    return last.resolved_at is not None and now - datetime.fromisoformat(last.resolved_at) < cooldown


def new_start(last: KeyedEvent, trigger: Trigger) -> bool:
    """Whether an alert says it started at another moment than the incident on record (an alert
    of Alertmanager or Grafana that ended and fired again), compared as instants (:func:`same_start`).
    Not for a whole alert group, whose alerts each have their own start."""
    if trigger.grouped:
        return False
    was, started = last.payload.get("starts_at"), trigger.data.get("starts_at")
    return bool(was and started and not same_start(was, started))


def stale(last: KeyedEvent, trigger: Trigger) -> bool:
    """Whether a firing alert only repeats the incident that has resolved: an Alertmanager or
    Grafana alert (per fingerprint) with the very start (``startsAt``) of that incident. An
    Alertmanager peer that has not yet heard of the resolution, or a late retry of an older
    notification, sends it; an alert that really fires again has a new start. Starts are compared
    as instants (:func:`same_start`)."""
    if last.status != "resolved" or trigger.source not in STARTING_SOURCES:
        return False
    if trigger.grouped:
        return False
    was, started = last.payload.get("starts_at"), trigger.data.get("starts_at")
    return bool(was and started and same_start(was, started))


def same_start(was: object, started: object) -> bool:
    """Whether two starts (``startsAt``) are the same moment: ``2026-12-01T10:00:00+01:00`` is
    ``2026-12-01T09:00:00.000000000Z``. Compared as instants when both are RFC 3339 times, as
    text otherwise (a sender's own format is compared as it wrote it)."""
    at, then = instant(was), instant(started)
    if at is not None and then is not None:
        return at == then
    return was == started


def stale_resolution(last: KeyedEvent, trigger: Trigger) -> bool:
    """Whether a resolution is of an older incident than the one on record: an Alertmanager or
    Grafana alert (per fingerprint) resolved with a start (``startsAt``) before that incident's.
    Alertmanager sends a group's notifications in order, so only a peer of an HA pair retrying an
    old one for long (503s) sends it; it must not resolve the incident firing now. Starts are
    compared as instants (an offset, nanoseconds); one that is missing or unreadable is not older."""
    if trigger.source not in STARTING_SOURCES or trigger.grouped:
        return False
    was, started = instant(last.payload.get("starts_at")), instant(trigger.data.get("starts_at"))
    return was is not None and started is not None and started < was


def instant(value: object) -> datetime | None:
    """An RFC 3339 time (``startsAt``: ``2026-11-26T14:52:00.123456789Z``) as an aware datetime;
    None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def ask_again(conn: sqlite3.Connection, run_id: int, conversation: ConversationKey, stamp: str) -> list[int]:
    """A repeat of the alert of open run ``run_id`` whose conversation has seen nothing of it (every
    message of the run there given up: the bot not in the channel, the channel archived, Slack
    down for a day): its messages given up there are queued again, so the run's first question
    reaches the channel as soon as the bot may post there (invited, unarchived) rather than at the
    run's next reminder, an hour or more later: those the run's start queued (its question), not
    the reminders or escalations refused since. Nothing when one of them got through, or is already
    waiting in the outbox, or when someone has answered the run (its facilitator, told directly,
    answered there: its old questions are not asked again). Their ids."""
    where = str(conversation)
    seen = conn.execute(  # delivered or waiting there; or someone answered (told directly): the run went on
        "SELECT 1 FROM messages WHERE run_id = ? AND (direction = 'in' OR (conversation = ? AND private = 0"
        " AND failed_at IS NULL)) LIMIT 1",
        (run_id, where),
    ).fetchone()
    if seen is not None:  # delivered, or waiting to be
        return []
    given_up = conn.execute(  # those its start queued: not the reminders and escalations refused since
        "SELECT id, channel, actor_id, actor_name, step, kind, text, expects, payload FROM messages"
        " WHERE run_id = ?1 AND direction = 'out' AND conversation = ?2 AND private = 0 AND kind != 'notice'"
        " AND created_at = (SELECT min(created_at) FROM messages WHERE run_id = ?1 AND direction = 'out')"
        " ORDER BY id",
        (run_id, where),
    ).fetchall()
    ids = []
    for _id, channel, actor_id, actor_name, step, kind, text, expects, payload in given_up:
        cur = conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind,"
            " text, expects, private, payload, created_at) VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (run_id, channel, where, actor_id, actor_name, step, kind, text, expects, payload, stamp),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids
