"""Jobs: durable timers in the ``jobs`` table, claimed atomically so that two processes (the
server and ``decisionbot jobs run-due`` from cron) never run the same one."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store import iso


@dataclass
class Job:
    id: int
    run_id: int | None
    kind: str
    due_at: str
    payload: dict[str, Any]
    created_at: str
    done_at: str | None = None


_JOB_COLUMNS = "id, run_id, kind, due_at, payload, created_at, done_at"


def _job(row: tuple[Any, ...]) -> Job:
    jid, run_id, kind, due_at, payload, created_at, done_at = row
    return Job(jid, run_id, kind, due_at, json.loads(payload or "{}"), created_at, done_at)


def _due(kinds: tuple[str, ...]) -> str:
    only = f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
    return f"SELECT id FROM jobs WHERE done_at IS NULL AND due_at <= ? AND (claimed_at IS NULL OR claimed_at < ?){only}"


def any_due(conn: sqlite3.Connection, now: datetime, stale_before: datetime, kinds: tuple[str, ...] = ()) -> bool:
    """Whether a job is there to claim (read without the write lock: the claim decides)."""
    return conn.execute(f"{_due(kinds)} LIMIT 1", (iso(now), iso(stale_before), *kinds)).fetchone() is not None


def claim_due(
    conn: sqlite3.Connection, now: datetime, limit: int, stale_before: datetime, kinds: tuple[str, ...] = ()
) -> list[Job]:
    """Claim up to ``limit`` due jobs (of ``kinds``, or any) atomically: another process never
    gets the same one. A claim older than ``stale_before`` is a dead process's and is taken over."""
    rows = conn.execute(
        f"UPDATE jobs SET claimed_at = ? WHERE id IN ({_due(kinds)} ORDER BY due_at, id LIMIT ?) RETURNING {_JOB_COLUMNS}",
        (iso(now), iso(now), iso(stale_before), *kinds, limit),
    ).fetchall()
    return sorted((_job(r) for r in rows), key=lambda j: (j.due_at, j.id))


def load_job(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def finish_job(conn: sqlite3.Connection, job_id: int, outcome: str, now: datetime) -> bool:
    """Mark the job done; False when it was done already (another process ran it after its claim
    went stale): its outcome stands."""
    cur = conn.execute(
        "UPDATE jobs SET done_at = ?, outcome = ? WHERE id = ? AND done_at IS NULL", (iso(now), outcome[:500], job_id)
    )
    return cur.rowcount > 0


def release_job(conn: sqlite3.Connection, job_id: int) -> None:
    """Give a claimed job back (it was moved by a turn, or failed for a passing reason)."""
    conn.execute("UPDATE jobs SET claimed_at = NULL WHERE id = ?", (job_id,))


def bring_forward(conn: sqlite3.Connection, job_id: int, due: datetime) -> None:
    """Pending job ``job_id`` made due at ``due``, earlier than planned (a clock put back: the host's
    corrected, or ``jobs run-due --now`` run ahead), unless a process has claimed it meanwhile."""
    conn.execute(
        "UPDATE jobs SET due_at = ? WHERE id = ? AND claimed_at IS NULL AND due_at > ?", (iso(due), job_id, iso(due))
    )


def add_job(
    conn: sqlite3.Connection,
    run_id: int | None,
    kind: str,
    due: datetime,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    cur = conn.execute(
        "INSERT INTO jobs (run_id, kind, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        (run_id, kind, iso(due), json.dumps(payload, sort_keys=True), iso(now)),
    )
    return int(cur.lastrowid or 0)


def pending_jobs(conn: sqlite3.Connection, kind: str) -> list[Job]:
    rows = conn.execute(
        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE kind = ? AND done_at IS NULL ORDER BY due_at, id", (kind,)
    ).fetchall()
    return [_job(r) for r in rows]
