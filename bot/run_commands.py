"""The commands on runs, on every chat platform: ``list`` (the open runs of a conversation, each
with what it waits for), ``status N`` and ``cancel N``, and who may learn of a run (``may_see``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from bot import outbox_rows, texts
from bot.command_result import CommandResult, run_id_of
from bot.dispatch import Dispatcher, TurnResult
from bot.engine import waiting
from bot.engine.runtime import Turn
from bot.errors import FlowError, FlowNotFound
from bot.model import Actor, ConversationKey
from bot.run_ended import ended_status
from bot.store import runs, transcript
from bot.store.runs import RUN_COLUMNS


def list_runs(dispatcher: Dispatcher, conversation: ConversationKey, reader: str | None = None) -> CommandResult:
    """``list``: the open runs of ``conversation``, each with what it waits for (``reader``, the
    actor id of who asked: their own part as "you")."""
    rows = open_runs(dispatcher, conversation, reader=reader)
    return CommandResult(texts.run_list(rows), runs=rows, about=tuple(int(str(r["id"])) for r in rows))


def status_or_cancel(
    dispatcher: Dispatcher, actor: Actor, conversation: ConversationKey, verb: str, args: list[str]
) -> CommandResult:
    """``status N`` or ``cancel N``: a run ``actor`` may not learn of is answered as one there is not."""
    run_id = run_id_of(args)
    if run_id is None:
        return CommandResult(texts.command_needs_run(verb), ok=False)
    if not may_see(dispatcher.db.conn, run_id, actor, conversation):
        return CommandResult(texts.chat_unknown_run(run_id), ok=False)  # as if there were no such run
    if verb == "status":
        return _status(dispatcher, run_id, actor, conversation)
    result = dispatcher.cancel(run_id, actor)
    if result is None:
        return CommandResult(texts.chat_unknown_run(run_id), ok=False)
    return _cancelled(dispatcher, result, actor)


def _cancelled(dispatcher: Dispatcher, result: TurnResult, actor: Actor) -> CommandResult:
    """A cancel's answer. Refused (not the facilitator, a run that ended), the refusal is the
    command's own answer, given where it was typed as other refusals are; the turn's copy of it
    stays in the run's transcript, marked said, so the outbox does not say it a second time."""
    error = next((r.text for r in result.outcome.replies if r.kind == "error"), None)
    title = run_title(dispatcher.db.conn, result.run_id)
    if error is None:
        return CommandResult(texts.cancelled_run(result.run_id, title, actor.name), cancelled=result)
    outbox_rows.mark_sent(dispatcher.db, result.outbox, dispatcher.clock())
    named = re.search(rf"#{result.run_id}\b", error)  # "Run #1 ('Sync') was cancelled; ...": named already
    return CommandResult(
        error if named else texts.about_run(result.run_id, title, error), ok=False, refused_writer=True
    )


def run_title(conn: sqlite3.Connection, run_id: int) -> str:
    """A run's title, as ``list`` and ``status`` name it."""
    found = conn.execute("SELECT e.title FROM runs r JOIN events e ON e.id = r.event_id WHERE r.id = ?", (run_id,))
    row = found.fetchone()
    return str(row[0]) if row and row[0] else ""


def open_runs(
    dispatcher: Dispatcher,
    conversation: ConversationKey | str,
    only: Callable[[int], bool] | None = None,
    reader: str | None = None,
) -> list[dict[str, object]]:
    """The open runs of ``conversation`` (its threads too), or of a whole channel named alone
    (``"console"``: every terminal session's), each with what it waits for in words (to
    ``reader``, an actor id, their own part as "you"); with ``only``, those whose id it takes (a
    Rasa sender's: those they :func:`may_see`)."""
    conn = dispatcher.db.conn
    channel = conversation if isinstance(conversation, str) else conversation.channel
    base = None if isinstance(conversation, str) else f"{conversation.channel}:{conversation.conversation}"
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS}, (SELECT title FROM events e WHERE e.id = runs.event_id) FROM runs WHERE channel = ?"
        " AND (? IS NULL OR conversation = ? OR substr(conversation, 1, length(?) + 1) = ? || '/')"
        " AND status IN ('active', 'stalled') ORDER BY id",  # a prefix, not LIKE: no wildcard, no length limit
        (channel, base, base, base, base),
    ).fetchall()
    found = []
    for r in rows:
        row = runs.RunRow.from_row(r[:-1])
        if only is not None and not only(row.id):
            continue
        found.append(
            {
                "id": row.id,
                "flow": row.flow_id,
                "state": row.state,
                "status": row.status,
                "waiting_on": row.context.addressees(),
                "waiting_for": waiting_for(dispatcher, row, reader),
                "title": r[-1],
            }
        )
    return found


def waiting_for(dispatcher: Dispatcher, row: runs.RunRow, reader: str | None = None) -> list[str]:
    """What ``row`` waits for, in words ("bob to accept 'Draft the plan'"; to ``reader``, an actor
    id, their own as "you to accept ..."); by name alone when the run's flow version cannot be read."""
    turn = turn_of(dispatcher, row)
    return row.context.addressees(reader) if turn is None else waiting.waiting_for(turn, reader)


def turn_of(dispatcher: Dispatcher, row: runs.RunRow) -> Turn | None:
    """``row`` as a turn reads it (to say what it waits for); None when the run's flow version
    cannot be read (a version the ledger lacks, or no longer reads)."""
    try:
        flow = dispatcher.catalog.version(row.flow_id, row.flow_version)
    except (FlowError, FlowNotFound):
        return None
    return Turn(
        flow, row.id, row.state, row.status, row.context, row.conversation, dispatcher.clock(), dispatcher.tz_for
    )


def may_see(conn: sqlite3.Connection, run_id: int, actor: Actor, conversation: ConversationKey) -> bool:
    """Whether ``actor`` may learn of run ``run_id`` (its title, step, whom it waits for): its
    facilitator, a participant, someone its answers named (an owner), someone it asks or has
    asked or heard from, or anyone speaking in the run's own conversation (as ``list`` shows); in
    the terminal, anyone at it (its ``list`` shows every terminal session's runs)."""
    row = runs.load_run(conn, run_id)
    if row is None:
        return False
    ctx = row.context
    here = row.conversation
    if here.channel == conversation.channel and here.conversation == conversation.conversation:
        return True
    if here.channel == conversation.channel == "console":
        return True
    if actor.id in {p.id for p in ctx.known_people()} or any(p.to["id"] == actor.id for p in ctx.prompts):
        return True
    spoken = conn.execute("SELECT 1 FROM messages WHERE run_id = ? AND actor_id = ? LIMIT 1", (run_id, actor.id))
    return spoken.fetchone() is not None


def _status(dispatcher: Dispatcher, run_id: int, actor: Actor, asked_in: ConversationKey) -> CommandResult:
    """A run's status for ``actor``: what an open one waits for and since when (on their clock);
    how a finished one ended (:func:`bot.run_ended.ended_status`). Asked where the run does not live
    (``asked_in``: a Teams channel), it is for the asker alone (``private``)."""
    conn = dispatcher.db.conn
    detail = transcript.run_detail(conn, run_id)
    row = runs.load_run(conn, run_id)
    if detail is None or row is None:
        return CommandResult(texts.chat_unknown_run(run_id), ok=False)
    here = (row.conversation.channel, row.conversation.conversation) == (asked_in.channel, asked_in.conversation)
    run, tz, now = detail["run"], dispatcher.tz_for(actor), dispatcher.clock()
    if row.status not in runs.OPEN:
        return CommandResult(ended_status(conn, detail, tz, now), about=(run_id,), private=not here)
    turn = turn_of(dispatcher, row)
    waited = (
        [(w, None) for w in row.context.addressees(actor.id)] if turn is None else waiting.waited_for(turn, actor.id)
    )
    said = [texts.waited(phrase, at, now, tz) for phrase, at in waited]
    told = texts.run_status(run_id, run["flow"], run["title"], run["status"], said)
    if row.status == "stalled":  # what goes on from here
        told += " " + texts.status_stalled(run_id)
    return CommandResult(told, about=(run_id,), private=not here)
