"""Runs and their turns, written with prepared SQL on the hot path (their events: ``events``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.engine.state import RunState
from bot.model import Actor, ConversationKey, Message, Reply
from bot.store import iso

if TYPE_CHECKING:
    from bot.engine.asking import Outcome
    from bot.engine.model import Flow


@dataclass
class RunRow:
    id: int
    flow_id: str
    flow_version: str
    conversation: ConversationKey
    state: str
    status: str
    context: RunState
    event_id: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple[Any, ...]) -> RunRow:
        rid, flow_id, version, conversation, state, status, context, event_id = row
        return cls(
            rid, flow_id, version, ConversationKey.parse(conversation), state, status, RunState.loads(context), event_id
        )


RUN_COLUMNS = "id, flow_id, flow_version, conversation, state, status, context, event_id"
#: The statuses of a run that takes no more answers.
ENDED = ("completed", "cancelled")
#: The statuses of a run still open (a stalled one picked up again by an answer).
OPEN = ("active", "stalled")


def open_in(conn: sqlite3.Connection, key: str) -> list[RunRow]:
    """The open runs living in conversation ``key`` (``slack:C1``) or its threads (``slack:C1/17.5``),
    by id: a prefix compared, not LIKE (no wildcard in an id to escape, no pattern length limit)."""
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE status IN ('active', 'stalled')"
        " AND (conversation = ? OR substr(conversation, 1, length(?) + 1) = ? || '/') ORDER BY id",
        (key, key, key),
    ).fetchall()
    return [RunRow.from_row(r) for r in rows]


def ensure_flow_version(conn: sqlite3.Connection, flow: Flow, now: datetime) -> None:
    """Store this flow version's text once, so a run can always be finished and read."""
    conn.execute(
        "INSERT OR IGNORE INTO flow_versions (flow_id, version, title, path, text, first_loaded_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (flow.id, flow.version, flow.title, flow.path, flow.text, iso(now)),
    )


def flow_text(conn: sqlite3.Connection, flow_id: str, version: str) -> tuple[str, str] | None:
    row = conn.execute(
        "SELECT text, path FROM flow_versions WHERE flow_id = ? AND version = ?", (flow_id, version)
    ).fetchone()
    return (row[0], row[1]) if row else None


def insert_run(
    conn: sqlite3.Connection,
    flow: Flow,
    event_id: int | None,
    conversation: ConversationKey,
    ctx: RunState,
    now: datetime,
) -> int:
    stamp = iso(now)
    cur = conn.execute(
        "INSERT INTO runs (flow_id, flow_version, event_id, channel, conversation, facilitator_id, state, status,"
        " context, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
        (
            flow.id,
            flow.version,
            event_id,
            conversation.channel,
            str(conversation),
            ctx.facilitator.id,
            flow.first.id,
            ctx.dumps(),
            stamp,
            stamp,
        ),
    )
    return int(cur.lastrowid or 0)


def load_run(conn: sqlite3.Connection, run_id: int) -> RunRow | None:
    row = conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
    return RunRow.from_row(row) if row else None


def run_rows(conn: sqlite3.Connection, run_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """The rows of runs ``run_ids`` as stored (RUN_COLUMNS; :meth:`RunRow.from_row` reads one), by
    id, in one query however many."""
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(run_ids)),)
    )
    return {int(row[0]): tuple(row) for row in rows}


def flow_texts(conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """:func:`flow_text` of each (flow, version) of ``keys`` the ledger keeps, in one query."""
    rows = conn.execute(
        "SELECT v.flow_id, v.version, v.text, v.path FROM flow_versions v JOIN json_each(?) k"
        " ON v.flow_id = json_extract(k.value, '$[0]') AND v.version = json_extract(k.value, '$[1]')",
        (json.dumps(sorted(set(keys))),),
    )
    return {(flow_id, version): (text, path) for flow_id, version, text, path in rows}


def write_turn(
    conn: sqlite3.Connection,
    run: RunRow,
    outcome: Outcome,
    inbound: Message | None,
    now: datetime,
    payload: str | None = None,
) -> list[int]:
    """Everything one turn decided, in the caller's transaction (``payload``: JSON kept with each
    reply, a chase's ``{"chase": stage}``). Returns the outbox ids."""
    stamp = iso(now)
    message_id = None
    if inbound is not None:
        message_id = conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, platform_id,"
            " step, kind, text, payload, created_at) VALUES (?, 'in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.id,
                inbound.conversation.channel,
                str(inbound.conversation),
                inbound.actor.id,
                inbound.actor.name,
                inbound.platform_id,
                outcome.inbound_step,
                outcome.inbound_kind,
                inbound.text,
                json.dumps(inbound.raw) if inbound.raw is not None else None,
                stamp,
            ),
        ).lastrowid
    if outcome.answers:
        conn.executemany(
            "INSERT INTO answers (run_id, step, item, field, actor_id, value, raw, kind, revision, at, message_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run.id,
                    a["step"],
                    a["item"],
                    a["field"],
                    a["actor"],
                    json.dumps(a["value"]),
                    a["raw"],
                    a["kind"],
                    a["revision"],
                    stamp,
                    message_id,
                )
                for a in outcome.answers
            ],
        )
    if outcome.transitions:
        conn.executemany(
            "INSERT INTO transitions (run_id, source, target, event, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)",
            [(run.id, t["from"], t["to"], t["event"], t["actor"], stamp) for t in outcome.transitions],
        )
    done = outcome.status in ("completed", "cancelled") and run.status not in ("completed", "cancelled")
    if done:
        withhold_moot(conn, run.id, outcome.status, now)
    conn.execute(
        "UPDATE runs SET state = ?, status = ?, context = ?, waiting_on = ?, updated_at = ?,"
        " completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE id = ?",
        (outcome.state, outcome.status, run.context.dumps(), waiting_on(run.context), stamp, done, stamp, run.id),
    )
    return queue_replies(conn, outcome.replies, stamp, payload)


#: A reply queued by a chase (a reminder, an escalation, an expiry notice): ``payload.chase``.
CHASED = "json_extract(payload, '$.chase') IS NOT NULL"


def withhold_moot(conn: sqlite3.Connection, run_id: int, status: str, now: datetime) -> None:
    """The run ends (``status``): what it still had in the outbox that its end made meaningless is
    never sent, marked given up as superseded: what a chase queued (a reminder, an escalation, an
    expiry notice), and, when it was cancelled, its questions. A completed run's questions still go
    (each was answered, typed ahead of it: the thread shows it answered), as does anything else
    (an acknowledgement, a notice)."""
    moot = f"(kind = 'prompt' OR {CHASED})" if status == "cancelled" else CHASED
    conn.execute(
        "UPDATE messages SET failed_at = ?, last_error = ? WHERE run_id = ? AND direction = 'out'"
        f" AND delivered_at IS NULL AND failed_at IS NULL AND {moot}",
        (iso(now), texts.superseded_by_end(status), run_id),
    )


def waiting_on(ctx: RunState) -> str:
    ids = dict.fromkeys(p.to["id"] for p in ctx.prompts if p.asked)
    return f" {' '.join(ids)} " if ids else ""


def queue_replies(conn: sqlite3.Connection, replies: list[Reply], stamp: str, payload: str | None = None) -> list[int]:
    """Queue ``replies`` in the outbox (``payload``: JSON kept with each, e.g. what a notice is about)."""
    ids = []
    for reply in replies:
        cur = conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind,"
            " text, expects, private, payload, created_at) VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reply.run_id,
                reply.conversation.channel,
                str(reply.conversation),
                reply.to.id if reply.to else None,
                reply.to.name if reply.to else None,
                reply.step,
                reply.kind,
                reply.text,
                json.dumps(reply.expects) if reply.expects is not None else None,
                int(reply.private),
                payload,
                stamp,
            ),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids


#: A reminder put off for some people's quiet hours (``payload.to``, see :mod:`bot.chase`).
_PUT_OFF = "json_extract(payload, '$.to') IS NOT NULL"


def reset_chase_jobs(conn: sqlite3.Connection, run_id: int, due: datetime | None, now: datetime) -> None:
    """Restart the run's reminder chain at ``due`` (a reminder), or end it when ``due`` is None.

    ``created_at`` is the last activity: the chain (remind, escalate, expire) is timed from it.
    A reminder put off for some people's quiet hours is dropped: the new chain reminds them in its
    turn. One statement on a turn's path (the chain's job moved and those put off dropped at once),
    and an INSERT when the run had no chain job."""
    if due is None:
        conn.execute(
            "UPDATE jobs SET done_at = ?, outcome = 'superseded' WHERE run_id = ? AND done_at IS NULL"
            " AND kind IN ('remind', 'escalate', 'expire')",
            (iso(now), run_id),
        )
        return
    moved = conn.execute(
        f"UPDATE jobs SET done_at = CASE WHEN {_PUT_OFF} THEN :now END,"
        f" outcome = CASE WHEN {_PUT_OFF} THEN 'superseded' END, kind = 'remind',"
        f" due_at = CASE WHEN {_PUT_OFF} THEN due_at ELSE :due END,"
        f" created_at = CASE WHEN {_PUT_OFF} THEN created_at ELSE :now END,"
        f" payload = CASE WHEN {_PUT_OFF} THEN payload ELSE '{{}}' END,"
        f" claimed_at = CASE WHEN {_PUT_OFF} THEN claimed_at END"
        " WHERE run_id = :run AND done_at IS NULL AND kind IN ('remind', 'escalate', 'expire')"
        " RETURNING done_at IS NULL",
        {"now": iso(now), "due": iso(due), "run": run_id},
    ).fetchall()
    if not any(chain for (chain,) in moved):
        conn.execute(
            "INSERT INTO jobs (run_id, kind, due_at, created_at) VALUES (?, 'remind', ?, ?)",
            (run_id, iso(due), iso(now)),
        )


def seen_delivery(conn: sqlite3.Connection, platform: str, delivery_id: str, now: datetime) -> bool:
    """Record a platform delivery id; True when it was seen before (a retry to drop)."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO deliveries (platform, delivery_id, received_at) VALUES (?, ?, ?)",
        (platform, delivery_id, iso(now)),
    )
    return cur.rowcount == 0


#: How long a delivery id is remembered to drop retries. Platforms retry within minutes (Slack
#: three times within about five); a week is far beyond any retry, and keeps the table small.
DELIVERY_MEMORY = timedelta(days=7)


def forget_deliveries(conn: sqlite3.Connection, now: datetime, batch: int = 1000) -> int:
    """Delete up to ``batch`` of the oldest delivery ids older than DELIVERY_MEMORY; how many.
    Ids are appended in time order, so this reads only the table's first rows."""
    cur = conn.execute(
        "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries ORDER BY rowid LIMIT ?)"
        " AND received_at < ?",
        (batch, iso(now - DELIVERY_MEMORY)),
    )
    return cur.rowcount


#: The Teams cards of a run ended longer ago than this are forgotten (``teams_cards``): a late click
#: on one is told the run has ended all the same (``teams_stale``, by the run its submit names).
CARD_MEMORY = timedelta(days=30)


def forget_cards(conn: sqlite3.Connection, now: datetime, batch: int = 1000) -> int:
    """Delete up to ``batch`` of the oldest Teams cards of runs ended longer ago than CARD_MEMORY;
    how many. The transcript keeps each question (``messages``); a card only answers clicks."""
    cut = iso(now - CARD_MEMORY)
    cur = conn.execute(
        "DELETE FROM teams_cards WHERE message_id IN (SELECT c.message_id FROM teams_cards c"
        " JOIN runs r ON r.id = c.run_id WHERE c.posted_at < ? AND r.status IN (?, ?) AND r.completed_at < ?"
        " ORDER BY c.message_id LIMIT ?)",
        (cut, *ENDED, cut, batch),
    )
    return cur.rowcount


def attach_to_message(conn: sqlite3.Connection, message_id: int, payload: dict[str, Any]) -> None:
    """Extra content delivered with an outbound message (for example an .ics attachment)."""
    conn.execute("UPDATE messages SET payload = ? WHERE id = ?", (json.dumps(payload), message_id))


# --- decisions: where a review starts ----------------------------------------------------------


#: The decision bound to ``?`` and those it revises, older and older (``chain``: id, revises, depth;
#: depth 0 is the decision itself). A changed decision carries on the one it replaced.
DECISION_CHAIN = (
    "WITH RECURSIVE chain(id, revises, depth) AS (SELECT id, revises, 0 FROM decisions WHERE id = ?"
    " UNION ALL SELECT d.id, d.revises, depth + 1 FROM decisions d JOIN chain c ON d.id = c.revises"
    " WHERE depth < 50)"
)


def decision_origin(conn: sqlite3.Connection, decision_id: int) -> tuple[ConversationKey, str, list[int]] | None:
    """The conversation of the decision's run, its status, and the events along the decisions it
    revises (newest first): where the metric behind it, if any, was seen."""
    row = conn.execute(
        "SELECT r.conversation, d.status FROM decisions d JOIN runs r ON r.id = d.run_id WHERE d.id = ?",
        (decision_id,),
    ).fetchone()
    if row is None:
        return None
    events = [
        e
        for (e,) in conn.execute(
            f"{DECISION_CHAIN} SELECT r.event_id FROM chain c JOIN decisions d ON d.id = c.id"
            " JOIN runs r ON r.id = d.run_id ORDER BY c.depth",
            (decision_id,),
        )
        if e is not None
    ]
    return ConversationKey.parse(row[0]), row[1], events


def review_started(conn: sqlite3.Connection, decision_id: int, run_id: int) -> None:
    conn.execute(
        "UPDATE reviews SET run_id = ? WHERE id = (SELECT id FROM reviews WHERE decision_id = ? AND held_at IS NULL"
        " AND run_id IS NULL ORDER BY due_at LIMIT 1)",
        (run_id, decision_id),
    )


def name_in_open_runs(conn: sqlite3.Connection, people: list[Actor]) -> list[int]:
    """``people`` named (:meth:`RunState.learn`) in the open runs that know them only by their
    platform ids (a trigger named them before their platform said who they are), in the caller's
    transaction: those runs' later prompts, reminders and decision record name them. Returns the runs changed."""
    named = [p for p in people if not p.named_by_id]
    if not named:
        return []
    mentions = " OR ".join("instr(context, ?) > 0" for _ in named)
    rows = conn.execute(
        f"SELECT id, context FROM runs WHERE status IN ('active', 'stalled') AND ({mentions})",
        [json.dumps(p.id) for p in named],
    ).fetchall()
    changed: list[int] = []
    for run_id, context in rows:
        state = RunState.loads(context)
        if [p for p in named if state.learn(p)]:
            conn.execute("UPDATE runs SET context = ? WHERE id = ?", (state.dumps(), run_id))
            changed.append(int(run_id))
    return changed
