"""What an open run waits for, in words (``bob to accept 'Draft the plan'``), read from the ledger
alone (the run's row and the flow version it is on), for the operator's ``runs list`` and
``runs show``: as the chat's ``status N`` says it, never the id of the step it is at."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.engine import waiting as waiting_words
from bot.engine.runtime import Turn
from bot.errors import FlowError
from bot.store import runs, utc_now

if TYPE_CHECKING:
    from bot.engine.model import Flow

UTC = ZoneInfo("UTC")


def waiting(conn: sqlite3.Connection, run_id: int, flow: Flow | None) -> list[str] | None:
    """What run ``run_id`` waits for, one phrase per question; None when it has ended, or its
    flow version (``flow``) is not known or no longer reads (whom it waits for is then all)."""
    return waiting_of(conn, {run_id: flow})[run_id]


def waiting_of(conn: sqlite3.Connection, flows: Mapping[int, Flow | None]) -> dict[int, list[str] | None]:
    """:func:`waiting` of each run of ``flows`` (run id -> its flow version), their rows read in one
    query however many (``runs list``)."""
    asked = [run_id for run_id, flow in flows.items() if flow is not None]
    rows = runs.run_rows(conn, asked) if asked else {}
    now = utc_now()
    return {run_id: _words(rows.get(run_id), flow, now) for run_id, flow in flows.items()}


def _words(stored: tuple[Any, ...] | None, flow: Flow | None, now: datetime) -> list[str] | None:
    if flow is None or stored is None:
        return None
    try:  # as transcript.list_runs reads a row: one odd row (a context of another shape) fails no listing
        row = runs.RunRow.from_row(stored)
        if row.status not in runs.OPEN:
            return None
        turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, lambda _: UTC)
        return waiting_words.waiting_for(turn)
    except (FlowError, KeyError, TypeError, ValueError):  # nor a question the version on file cannot word
        return None
