"""Leases: a named piece of work only one process on the ledger does at a time (the delivery of a
channel's outbox: ``outbox:<channel>``). The holder is a random token of the process; a lease
not renewed by ``expires_at`` belongs to a process that died and is taken over. Taking, renewing
and checking are one statement, so two processes never both hold one lease."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.store import iso


def take(conn: sqlite3.Connection, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew ``name`` for ``holder`` until ``until``; False when another holder has it
    and it has not expired at ``now``. A lease that ends after ``until`` was set before the wall
    clock stepped back (no live holder could have set it): taken over, as expired."""
    row = conn.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
        " WHERE leases.holder = excluded.holder OR leases.expires_at <= ? OR leases.expires_at > ?"
        " RETURNING holder",
        (name, holder, iso(until), iso(now), iso(until)),
    ).fetchone()
    return row is not None


def release(conn: sqlite3.Connection, name: str, holder: str) -> None:
    """Give ``name`` up, if ``holder`` still has it: another process may take it at once."""
    conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


def holder(conn: sqlite3.Connection, name: str, now: datetime) -> str | None:
    """Who holds ``name`` at ``now`` (None: nobody, or a lease that expired)."""
    row = conn.execute("SELECT holder FROM leases WHERE name = ? AND expires_at > ?", (name, iso(now))).fetchone()
    return str(row[0]) if row else None
