"""What an open run waits for, in words (``bob to accept 'Draft the plan'``), read from the ledger
alone (the run's row and the flow version it is on), for the operator's ``runs list`` and
``runs show``: as the chat's ``status N`` says it, never the id of the step it is at."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING
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
    if flow is None:
        return None
    try:  # as transcript.list_runs reads a row: one odd row (a context of another shape) fails no listing
        row = runs.load_run(conn, run_id)
        if row is None or row.status not in runs.OPEN:
            return None
        turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, utc_now(), lambda _: UTC)
        return waiting_words.waiting_for(turn)
    except (FlowError, KeyError, TypeError, ValueError):  # nor a question the version on file cannot word
        return None
