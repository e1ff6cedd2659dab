"""A run's questions asked again because the messages that asked them were lost: a Slack thread
deleted with its questions, or one question's own message deleted (see
:mod:`bot.channels.slack_deleted`), or left behind as the run moved to another channel
(:mod:`bot.channels.slack_move`). Channel-neutral: the prompts still waiting on the people
chosen are put again as they stand (their words, their widgets, the answer they would change),
in the caller's transaction. When each was first
asked stays as it was (the answer-time measures count from then), and the run keeps a transition
at its step saying why (``event``), which moves nothing: the stall measures skip it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.engine.runtime import Turn
from bot.engine.state import Prompt
from bot.store import runs
from bot.store.runs import RunRow

if TYPE_CHECKING:
    from bot.dispatch import Dispatcher

#: The transitions this module writes: the run's thread deleted, or the run moved to another channel by
#: its facilitator, and the run gone on in a new thread (``thread_moved``); a question's message
#: deleted, and the question asked again (``asked_again``).
EVENTS = ("thread_moved", "asked_again")


def ask_again(
    bot: Dispatcher,
    conn: sqlite3.Connection,
    row: RunRow,
    chosen: Callable[[Prompt], bool],
    event: str,
    now: datetime,
    lead: str | None = None,
    actor: str | None = None,
) -> list[int]:
    """Ask again the questions of open run ``row`` put to people so far that ``chosen`` picks
    (``lead``: words before each, on its line); keep the ``event`` transition
    (``actor``: who caused it, when someone did). Returns the outbox ids of what was queued."""
    flow = bot.catalog.version(row.flow_id, row.flow_version)
    turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, bot.tz_for)
    for prompt in [p for p in row.context.prompts if p.asked and chosen(p)]:
        turn.ask(prompt, current=turn.current_value(prompt), lead=lead)
    turn.out.transitions.append({"from": row.state, "to": row.state, "event": event, "actor": actor})
    return runs.write_turn(conn, row, turn.out, None, now)
