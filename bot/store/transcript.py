"""Reading runs back: the list of runs, and one run's transcript, answers and decision record."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, NamedTuple

from bot import texts
from bot.store import dicts, group, iso, starts
from bot.store.placing import tagged
from bot.texts._common import _one_line


def asked_privately(conn: sqlite3.Connection, run_id: int, actor_id: str) -> bool:
    """Whether the latest question ``run_id`` put to ``actor_id`` went to them alone (a direct
    message: an owner's), not to the run's conversation; stored before it is sent, so known at once."""
    row = conn.execute(
        "SELECT private FROM messages WHERE run_id = ? AND direction = 'out' AND kind = 'prompt' AND actor_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (run_id, actor_id),
    ).fetchone()
    return bool(row and row[0])


def answer_after(
    conn: sqlite3.Connection, run_id: int, step: str | None, actor_id: str, message_id: int
) -> tuple[str, str] | None:
    """(who, what they typed) of the first committed answer to ``step`` by ``actor_id`` after the
    outbox message ``message_id`` was queued: the question was answered before it got out (typed
    while it waited in the outbox). Channels then send it answered, without its widgets. An answer
    in a group commit still open does not count: it could yet be rolled back."""
    upto = group.horizon(conn)
    row = conn.execute(
        "SELECT actor_name, text FROM messages WHERE run_id = ? AND id > ? AND id <= ? AND direction = 'in'"
        " AND step = ? AND actor_id = ? AND kind = 'answer' ORDER BY id LIMIT 1",
        (run_id, message_id, upto if upto is not None else 1 << 62, step, actor_id),
    ).fetchone()
    if row is None:
        return None
    named = tagged(str(row[1]))  # '#2 yes' kept as typed: its answer is 'yes'
    return str(row[0] or actor_id), named[1] if named else str(row[1])


def asked_since(conn: sqlite3.Connection, run_id: int, message_id: int, *actor_ids: str | None) -> bool:
    """Whether the run asked any of ``actor_ids`` a question after the outbox message
    ``message_id`` (queued, sent or not): the run moved on (one question at a time per person),
    so a widget or card of that message must not answer what is asked now."""
    people = [a for a in actor_ids if a]
    if not people:
        return False
    row = conn.execute(
        "SELECT 1 FROM messages WHERE run_id = ? AND id > ? AND direction = 'out' AND kind = 'prompt'"
        f" AND actor_id IN ({', '.join('?' * len(people))}) LIMIT 1",
        (run_id, message_id, *people),
    ).fetchone()
    return row is not None


def flow_ids(conn: sqlite3.Connection) -> set[str]:
    """Every flow a run in the ledger started on."""
    return {flow for (flow,) in conn.execute("SELECT DISTINCT flow_id FROM runs")}


def list_runs(
    conn: sqlite3.Connection, status: str | None = None, flow: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    sql = (
        "SELECT r.id, r.flow_id AS flow, r.flow_version AS version, r.status, r.state, r.channel,"
        " r.facilitator_id AS facilitator, e.title, r.started_at, r.updated_at, r.completed_at, r.context,"
        " e.source, e.kind, e.route, e.payload FROM runs r LEFT JOIN events e ON e.id = r.event_id WHERE 1 = 1"
    )
    args: list[Any] = []
    if status:
        sql += " AND r.status = ?"
        args.append(status)
    if flow:
        sql += " AND r.flow_id = ?"
        args.append(flow)
    sql += " ORDER BY r.id DESC LIMIT ?"
    args.append(limit)
    found = dicts(conn.execute(sql, args))
    for run in found:
        context = run.pop("context")
        run["waiting_for"], run["untaken"] = _waits(context, run["status"])
        run["trigger"] = _trigger(run.pop("source"), run.pop("kind"), run.pop("route"), run.pop("payload"))
    return found


def _trigger(source: str | None, kind: str | None, route: str | None, payload: str | None) -> str:
    """What started a run (``texts.run_trigger``), from its event; an odd payload fails no listing."""
    try:
        data = json.loads(payload or "{}")
    except ValueError:
        data = {}
    return texts.run_trigger(source, kind, route, data if isinstance(data, dict) else {})


def _waits(context: str, status: str) -> tuple[list[str], bool]:
    """Whom an open run waits for, by name (a question in front of them; nobody once it ended), and
    whether it waits for someone to take it (an alert's that named nobody: its first answer leads it;
    ``trigger.claimable``): the context read once, one odd row failing no listing."""
    if status not in ("active", "stalled"):
        return [], False
    try:
        ctx = json.loads(context or "{}")
        untaken = bool((ctx.get("trigger") or {}).get("claimable"))
    except (ValueError, AttributeError):
        return [], False
    # as RunState.addressees() reads them, from whatever the context holds
    prompts = ctx.get("prompts") or []
    return list(dict.fromkeys(p["to"]["name"] for p in prompts if p.get("asked"))), untaken


def run_detail(conn: sqlite3.Connection, run_id: int) -> dict[str, Any] | None:
    runs = dicts(
        conn.execute(
            "SELECT r.id, r.flow_id AS flow, r.flow_version AS version, r.status, r.state, r.channel, r.conversation,"
            " r.facilitator_id AS facilitator, r.started_at, r.updated_at, r.completed_at, e.title, e.source,"
            " e.payload AS trigger, r.context, CASE WHEN e.id IS NOT NULL THEN json_object('id', e.id, 'source',"
            " e.source, 'dedup_key', e.dedup_key, 'route', e.route, 'status', e.status, 'first_seen_at',"
            " e.first_seen_at, 'last_seen_at', e.last_seen_at, 'notifications', e.repeat_count + 1,"
            " 'resolved_at', e.resolved_at) END AS event FROM runs r LEFT JOIN events e ON e.id = r.event_id"
            " WHERE r.id = ?",
            (run_id,),
        )
    )
    if not runs:
        return None
    run = runs[0]
    run["trigger"] = json.loads(run["trigger"] or "{}")
    run["event"] = json.loads(run["event"]) if run["event"] else None  # the trigger's event: what started it
    context = run.pop("context")
    run["waiting_for"], run["untaken"] = _waits(context, run["status"])
    detail: dict[str, Any] = {"run": run}
    detail["messages"] = dicts(
        conn.execute(
            "SELECT id, direction, actor_id, actor_name, step, kind, text, created_at, delivered_at, failed_at,"
            " CASE WHEN failed_at IS NOT NULL THEN last_error END AS failed_because,"
            " CASE WHEN kind = 'refused' AND json_valid(payload) THEN json_extract(payload, '$.widget') END"
            " AS refused_widget FROM messages WHERE run_id = ?"
            " ORDER BY id",
            (run_id,),
        )
    )
    answers = dicts(
        conn.execute(
            "SELECT step, item, field, actor_id, value, raw, kind, revision, at FROM answers WHERE run_id = ?"
            " ORDER BY at, id",  # as given: a transcript's order, not the steps' ids
            (run_id,),
        )
    )
    for a in answers:
        a["value"] = json.loads(a["value"]) if a["value"] is not None else None
    detail["answers"] = answers
    detail["transitions"] = dicts(
        conn.execute(
            "SELECT source, target, event, actor_id, at FROM transitions WHERE run_id = ? ORDER BY id", (run_id,)
        )
    )
    decisions = dicts(conn.execute("SELECT * FROM decisions WHERE run_id = ? ORDER BY id", (run_id,)))
    for d in decisions:
        d["actions"] = dicts(conn.execute("SELECT * FROM actions WHERE decision_id = ? ORDER BY item", (d["id"],)))
        d["reviews"] = dicts(conn.execute("SELECT * FROM reviews WHERE decision_id = ? ORDER BY due_at", (d["id"],)))
    detail["decisions"] = decisions
    return detail


HELD_MESSAGE = (
    "SELECT id, kind, text, run_id FROM messages WHERE direction = 'in' AND channel = ? AND platform_id = ?"
    " ORDER BY id LIMIT 1"
)


def held_message(conn: sqlite3.Connection, channel: str, platform_id: str) -> tuple[int, str, str, int | None] | None:
    """(id, kind, text, run id) of the first inbound row of ``channel``'s message ``platform_id``
    (Slack's ``msg:CHANNEL:TS``, Teams' ``<conversation>|<activity id>``), through the partial
    index ``messages_inbound_platform``: every edit of any message is looked up."""
    row = conn.execute(HELD_MESSAGE, (channel, platform_id)).fetchone()
    return (int(row[0]), str(row[1]), str(row[2] or ""), row[3]) if row else None


def record_change(conn: sqlite3.Connection, original: int, deleted: bool, text: str, now: datetime) -> None:
    """An edit (``text``: as edited) or a deletion of inbound message ``original``, in the
    transcript: a row of kind ``edited`` or ``deleted`` with the original's run, conversation,
    writer, step and platform id, and ``payload`` ``{"original": its id}``. The original stays."""
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, platform_id, step,"
        " kind, text, payload, created_at) SELECT run_id, 'in', channel, conversation, actor_id, actor_name,"
        " platform_id, step, ?, ?, json_object('original', id), ? FROM messages WHERE id = ?",
        ("deleted" if deleted else "edited", text, iso(now), original),
    )


def record_told(conn: sqlite3.Connection, told: Told, now: datetime) -> None:
    """What a person was told privately outside the outbox (Slack's ``response_url``: a slash
    command's or a click's outcome known after Slack's 3 s), kept as the outbox keeps a private
    reply: an outbound row, ``private`` 1, to the person (named as the people cache names them),
    delivered when the platform took it, else given up
    (``failed_at``, ``last_error``) so the outbox never sends it; ``payload`` says how it went; the
    run it is about (a command's: the run its start began, if any)."""
    stamp = iso(now)
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, kind, text, private,"
        " payload, created_at, delivered_at, failed_at, attempts, last_error) VALUES (?, 'out', ?, ?, ?,"
        " (SELECT name FROM people WHERE id = ?), ?, ?, 1, ?, ?, ?, ?, ?, ?)",
        (
            told.run_id if told.run_id is not None else starts.run_of(conn, told.channel, told.started),
            told.channel,
            told.conversation,
            told.actor_id,
            told.actor_id,
            told.kind,
            told.text,
            json.dumps(told.payload),
            stamp,
            stamp if not told.problem else None,
            stamp if told.problem else None,
            told.attempts,
            told.problem or None,
        ),
    )


class Told(NamedTuple):
    """One private message told outside the outbox (see :func:`record_told`)."""

    run_id: int | None
    channel: str
    conversation: str
    actor_id: str
    kind: str  # info, or error: what was asked was not done
    text: str
    payload: dict[str, Any]
    attempts: int
    problem: str  # "" when the platform took it
    started: str = ""  # the delivery id of the command told about: the run it started, if any, is its run


#: How much of a changed message's first text the note to its writer quotes.
QUOTED = 160


def change_note(
    kind: str, first_text: str, run_id: int | None, deleted: bool, leader: str | None = None, status: str = "active"
) -> str | None:
    """What the writer of inbound message (``kind``, ``first_text``, ``run_id``: as
    :func:`held_message` has it) is told of its edit or deletion (Slack, Teams): that the run keeps
    it as first sent, and how to change an answer (``leader``: :func:`leader_for`); that its record
    stands, when the run (``status``: :func:`run_status`) has completed. None when no run took it
    as their answer nor, for an edit, asked again after it, or the run was cancelled: then nobody
    believes it changed anything."""
    if run_id is None or kind not in (("answer",) if deleted else ("answer", "invalid")):
        return None
    first = _one_line(first_text, QUOTED)
    if status == "completed":
        return texts.edit_after_end(first, run_id, deleted) if kind == "answer" else None
    if status == "cancelled":
        return None
    return texts.delete_not_read(first, leader) if deleted else texts.edit_not_read(first, kind == "answer", leader)


def run_status(conn: sqlite3.Connection, run_id: int | None) -> str:
    """The status of run ``run_id`` (active, stalled, completed, cancelled); '' when it has none."""
    row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone() if run_id else None
    return str(row[0]) if row else ""


def leader_for(conn: sqlite3.Connection, original: int) -> str | None:
    """The name of the facilitator of inbound message ``original``'s run when someone else wrote it
    (an owner confirming their action): they cannot take the run back to their answer, nor correct
    it, and are told to ask the facilitator. None for the facilitator's own messages."""
    row = conn.execute(
        "SELECT json_extract(r.context, '$.roles.facilitator.name') FROM messages m JOIN runs r ON r.id = m.run_id"
        " WHERE m.id = ? AND m.actor_id IS NOT r.facilitator_id",
        (original,),
    ).fetchone()
    return str(row[0]) if row and row[0] else None
