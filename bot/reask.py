"""A run's questions asked again because the messages that asked them were lost: a Slack thread
deleted with its questions, or one question's own message deleted (see
:mod:`bot.channels.slack_deleted`), or left behind as the run moved to another channel
(:mod:`bot.channels.slack_move`); a Teams thread whose root was deleted (:func:`thread_lost`). Channel-neutral: the prompts still waiting on the people
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
from bot.store import runs, transaction
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


def thread_lost(bot: Dispatcher, run_id: int) -> list[int]:
    """Run ``run_id``'s thread is gone and the run goes on in a new one (Teams: its root deleted,
    a reply there refused 404): the questions the thread asked and still waits on asked again in
    the run's conversation, which is the new thread now (those asked to people alone stay where
    they are; one not out yet goes there on its own), a ``thread_moved`` transition. In a
    transaction of its own; the outbox ids queued (none for a run that ended)."""
    now = bot.clock()
    with transaction(bot.db) as conn:
        row = runs.load_run(conn, run_id)
        if row is None or row.status not in runs.OPEN:
            return []
        there = {p.to["id"] for p in row.context.prompts if p.asked and asked_out_there(conn, run_id, p.to["id"])}
        return ask_again(bot, conn, row, lambda p: p.to["id"] in there, "thread_moved", now)


def asked_out_there(conn: sqlite3.Connection, run_id: int, actor_id: str) -> bool:
    """Whether the latest question ``run_id`` put to ``actor_id`` went to the run's conversation
    (not to them alone) and is out of the outbox (posted, or given up): one still waiting there
    follows the run wherever it lives by the time it goes."""
    row = conn.execute(
        "SELECT private, delivered_at IS NULL AND failed_at IS NULL FROM messages"
        " WHERE run_id = ? AND direction = 'out' AND kind = 'prompt' AND actor_id = ? ORDER BY id DESC LIMIT 1",
        (run_id, actor_id),
    ).fetchone()
    return bool(row) and not row[0] and not row[1]
