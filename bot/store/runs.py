"""Runs, their events and their turns, written with prepared SQL on the hot path."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.engine.asking import Outcome
from bot.engine.model import Flow
from bot.engine.state import RunState
from bot.model import ConversationKey, Message, Reply, Trigger
from bot.store import iso


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


_RUN_COLUMNS = "id, flow_id, flow_version, conversation, state, status, context, event_id"


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


def insert_event(conn: sqlite3.Connection, trigger: Trigger, now: datetime) -> int:
    cur = conn.execute(
        "INSERT INTO events (source, kind, dedup_key, status, title, payload, first_seen_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            trigger.source,
            trigger.kind,
            trigger.dedup_key,
            trigger.status,
            trigger.title,
            json.dumps(trigger.data, default=str),
            iso(now),
            iso(now),
        ),
    )
    return int(cur.lastrowid or 0)


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
    row = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
    return RunRow.from_row(row) if row else None


def find_run(conn: sqlite3.Connection, conversation: ConversationKey, actor_id: str) -> RunRow | None:
    """The open run this message belongs to: the newest open run in the conversation, else the
    newest open run where someone is waiting for this person's answer (a direct message)."""
    row = conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE conversation = ? AND status IN ('active', 'stalled')"
        " ORDER BY id DESC LIMIT 1",
        (str(conversation),),
    ).fetchone()
    if row is None:
        row = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE status IN ('active', 'stalled') AND channel = ?"
            " AND instr(waiting_on, ?) > 0 ORDER BY id DESC LIMIT 1",
            (conversation.channel, f" {actor_id} "),
        ).fetchone()
    return RunRow.from_row(row) if row else None


def write_turn(
    conn: sqlite3.Connection,
    run: RunRow,
    outcome: Outcome,
    inbound: Message | None,
    now: datetime,
) -> list[int]:
    """Everything one turn decided, in the caller's transaction. Returns the outbox ids."""
    stamp = iso(now)
    if inbound is not None:
        conn.execute(
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
        )
    if outcome.answers:
        conn.executemany(
            "INSERT INTO answers (run_id, step, item, field, actor_id, value, raw, kind, revision, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    conn.execute(
        "UPDATE runs SET state = ?, status = ?, context = ?, waiting_on = ?, updated_at = ?,"
        " completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE id = ?",
        (outcome.state, outcome.status, run.context.dumps(), waiting_on(run.context), stamp, done, stamp, run.id),
    )
    return queue_replies(conn, outcome.replies, stamp)


def waiting_on(ctx: RunState) -> str:
    ids = dict.fromkeys(p.to["id"] for p in ctx.prompts if p.asked)
    return f" {' '.join(ids)} " if ids else ""


def queue_replies(conn: sqlite3.Connection, replies: list[Reply], stamp: str) -> list[int]:
    ids = []
    for reply in replies:
        cur = conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind,"
            " text, expects, private, created_at) VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                stamp,
            ),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids


def reset_chase_jobs(conn: sqlite3.Connection, run_id: int, due: datetime | None, now: datetime) -> None:
    """Restart the run's reminder chain at ``due`` (a reminder), or end it when ``due`` is None."""
    if due is None:
        conn.execute(
            "UPDATE jobs SET done_at = ?, outcome = 'superseded' WHERE run_id = ? AND done_at IS NULL"
            " AND kind IN ('remind', 'escalate', 'expire')",
            (iso(now), run_id),
        )
        return
    cur = conn.execute(
        "UPDATE jobs SET kind = 'remind', due_at = ?, created_at = ? WHERE run_id = ? AND done_at IS NULL"
        " AND kind IN ('remind', 'escalate', 'expire')",
        (iso(due), iso(now), run_id),
    )
    if cur.rowcount == 0:
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
