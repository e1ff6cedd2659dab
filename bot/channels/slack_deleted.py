"""A message of an open run deleted in Slack (a channel admin, the facilitator cleaning up), from
the ``message`` events of the channel (``message.channels``, ``message.groups``).

- The root of a run's thread deleted with nothing under it (``message_deleted``): the thread is
  gone, and Slack refuses every post into it (``thread_not_found``). At once, the run goes on in a
  new thread of the same channel: its first message says so and roots it; the replies still queued
  for the old thread follow, then the questions still waiting on people there, asked again (those
  asked by direct message go on there): :func:`bot.channels.slack_move.rehome`. The ledger keeps a
  ``thread_moved`` transition at the run's step. Slack does not say who deleted it.
- A root with replies under it deleted: Slack keeps it as a tombstone ("This message was deleted.",
  a ``message_changed`` whose message is of subtype ``tombstone``) and the thread goes on; nothing
  moves. When that root was itself the question waiting (an alert's first question), it is asked
  again in the thread, as below.
- A question the run waits on deleted (its latest to that person): asked again in the run's thread,
  its words saying why; an ``asked_again`` transition.

- The deletion's event missed (the server down past Slack's retries): the run's next post into the
  thread is refused ``thread_not_found``, and the run moves then (:func:`thread_refused`, called
  by the poster), the refused post made again where the run lives now, rooting its new thread.

Anything else deleted (an answer: :mod:`bot.channels.slack_edits`; a message of a finished run, a
question asked again since) is not this module's business. Each event is carried out once: Slack's
retry (its event id) adds nothing, and a twin of it finds the thread moved or the question asked
again already.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from bot import reask, texts
from bot.channels.slack_dms import is_dm
from bot.channels.slack_events import as_dict
from bot.channels.slack_move import rehome
from bot.engine.state import Prompt
from bot.store import group, runs, transaction, transcript
from bot.store import slack as store

if TYPE_CHECKING:
    from bot.channels.slack_turns import Turns
    from bot.dispatch import Dispatcher

NAME = "slack"

log = logging.getLogger("decisionbot.slack")


@dataclass(frozen=True)
class Deleted:
    """The message ``channel``/``ts`` deleted; ``tombstone``: a thread's root with replies, which Slack keeps."""

    channel: str
    ts: str
    tombstone: bool


def deleted(event: Mapping[str, Any]) -> Deleted | None:
    """The message of a channel ``event`` says was deleted; None for anything else (a direct
    message: only the bot can delete its own there)."""
    subtype, channel = event.get("subtype"), event.get("channel")
    if not isinstance(channel, str) or not channel or is_dm(channel):
        return None
    before, after = as_dict(event.get("previous_message")), as_dict(event.get("message"))
    if subtype == "message_deleted":
        ts, tombstone = event.get("deleted_ts") or before.get("ts"), False
    elif subtype == "message_changed" and after.get("subtype") == "tombstone":
        ts, tombstone = after.get("ts") or before.get("ts"), True
    else:
        return None
    return Deleted(channel, ts, tombstone) if isinstance(ts, str) and ts else None


async def on_deleted(turns: Turns, gone: Deleted, event_id: str) -> bool:
    """Carry out the deletion once; False when it was of no open run's root or waiting question
    (the caller reads it as an answer's deletion, perhaps)."""
    db = turns.services.db
    if _which(db.conn, gone) is None:  # read first: most deletions in a channel are none of the bot's
        return False
    await group.writable(db.conn)
    with transaction(db) as conn:
        now = turns.dispatcher.clock()
        which = _which(conn, gone)  # again, under the lock: a turn may have moved it meanwhile
        if which is None or runs.seen_delivery(conn, NAME, f"event:{event_id}", now):
            return which is not None
        roots, question = which
        queued = [i for run_id in roots for i in move(turns.dispatcher, conn, gone, run_id, now)]
        if question is not None:
            queued += ask_again(turns.dispatcher, conn, gone, *question, now)
    turns.count_replies(len(queued))  # once committed
    turns.services.notify(NAME)
    return True


def _which(conn: sqlite3.Connection, gone: Deleted) -> tuple[list[int], tuple[int, str] | None] | None:
    """What the deletion takes: the open runs whose thread's root it is (a tombstone keeps the
    thread), else the (run, person) of the waiting question it is; None for anything else."""
    roots = [] if gone.tombstone else _living_in(conn, gone.channel, gone.ts)
    question = None if roots else store.question_at(conn, gone.channel, gone.ts)
    return (roots, question) if roots or question else None


def _living_in(conn: sqlite3.Connection, channel: str, thread_ts: str) -> list[int]:
    """The open runs living in thread ``channel``/``thread_ts``: the one it was started for, and
    those of a route naming that thread (``slack:C0123/<thread>``), which share it."""
    held = store.thread_run(conn, channel, thread_ts)
    found = {row.id for row in runs.open_in(conn, f"slack:{channel}/{thread_ts}")}
    if held is not None and transcript.run_status(conn, held) in runs.OPEN:
        found.add(held)
    return sorted(found)


def move(bot: Dispatcher, conn: sqlite3.Connection, gone: Deleted, run_id: int, now: datetime) -> list[int]:
    """Run ``run_id``'s thread is gone: the run lives in the channel again, its next message (the
    one saying so) the root of its new thread, what was queued for the old one and the questions
    waiting there following it (:func:`bot.channels.slack_move.rehome`)."""
    row = runs.load_run(conn, run_id)
    assert row is not None
    flow = bot.catalog.version(row.flow_id, row.flow_version)
    title = str(row.context.trigger.get("title") or "")
    log.info(texts.slack_thread_moved_log(row.id, gone.channel, gone.ts))

    def root(asks: bool) -> str:
        return texts.slack_thread_moved(row.id, flow.title, title, asks)

    return rehome(bot, conn, row, gone.channel, root, now).queued


async def thread_refused(bot: Dispatcher, db: Database, run_id: int, channel: str, thread_ts: str) -> list[int] | None:
    """A post of run ``run_id`` into its thread ``channel``/``thread_ts`` refused ``thread_not_found``:
    the deletion's event never came (the server was down past Slack's retries), so the run moves
    now, as it would have then. None when it is no open run's thread (the refusal stands); else
    what was queued, maybe nothing (it moved already): the post is to be made again, where the run
    lives now."""
    await group.writable(db.conn, math.inf)
    with transaction(db) as conn:
        if transcript.run_status(conn, run_id) not in runs.OPEN:
            return None
        row = runs.load_run(conn, run_id)
        thread = row.conversation.thread if row is not None else None
        if thread is None:
            thread = store.run_thread(conn, run_id, channel)
        if thread != thread_ts:
            return []
        return move(bot, conn, Deleted(channel, thread_ts, tombstone=False), run_id, bot.clock())


def ask_again(
    bot: Dispatcher, conn: sqlite3.Connection, gone: Deleted, run_id: int, actor_id: str, now: datetime
) -> list[int]:
    """The question run ``run_id`` waits on ``actor_id`` for, its message deleted: asked again."""
    row = runs.load_run(conn, run_id)
    assert row is not None
    log.info(texts.slack_question_deleted_log(run_id, gone.channel, gone.ts, actor_id))

    def chosen(prompt: Prompt) -> bool:
        return prompt.to["id"] == actor_id

    lead = texts.slack_question_deleted()
    return reask.ask_again(bot, conn, row, chosen, "asked_again", now, lead=lead)
