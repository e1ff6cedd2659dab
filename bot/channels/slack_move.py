"""A run's Slack thread moved: by its facilitator to another channel (``/decision move RUN #channel``,
``@decisionbot move RUN #channel``), or to a new thread of its channel when its thread's root was
deleted (:mod:`bot.channels.slack_deleted`). Both are :func:`rehome`.

The command is for whoever may cancel the run (its facilitator). It is refused, saying how to go
on, for a run it does not know or may not see, one that has ended, one already living in that
channel, a channel the bot cannot post in (``conversations.info``, as :mod:`bot.channels.slack_postable`
reads it: not a member, archived, gone) and a channel of another workspace than the one it is typed
in. A run whose channel was lost (the bot removed, the channel archived) moves as any other: its
questions given up there are asked again in the new channel.

Moved, the run lives in the channel named: its next message there is the root of its new thread
("... goes on in this thread, moved from #old by @who ..."), followed, in this order, by the replies
still queued for the old thread (queued again: ``outbox_rows.requeue``) and the questions waiting in
the old thread, asked again. Questions asked by direct message stay there. A note in the old thread
points to the new one when the bot can still post there. The ledger keeps a ``thread_moved``
transition by whoever moved it, and ``slack_moves`` where from and to. The channels' names Slack
gave with what it said of them are kept for analysts (:mod:`bot.store.names`), whatever the move's
outcome.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from bot import outbox_rows, reask, texts
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.slack_dms import is_dm
from bot.channels.slack_postable import described
from bot.command_result import run_id_of
from bot.engine.state import Prompt
from bot.engine.timers import lead_refused, may_lead
from bot.model import Actor, ConversationKey, Reply, placeholder_facilitator
from bot.run_commands import may_see
from bot.store import group, iso, names, runs, transaction
from bot.store import slack as store
from bot.store import slack_moves as moves
from bot.store.runs import RunRow

if TYPE_CHECKING:
    from bot.channels.slack_turns import Turns
    from bot.dispatch import Dispatcher

NAME = "slack"
PLACEHOLDER = placeholder_facilitator(NAME)  # a triggered run's facilitator until someone claims it
#: A channel as Slack writes it in a command's or a message's text: ``<#C0123|general>``, ``<#C0123>``.
CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>")

#: Seconds Slack is given to describe the channels of a move typed in a message (an event, which
#: is answered within Slack's 3 s, beside the lookup of who typed it); a slash command's waits as
#: long as a call may (its outcome told at its response_url when late).
TYPED_WITHIN = 1.5

log = logging.getLogger("decisionbot.slack")


@dataclass(frozen=True)
class Move:
    """``move RUN #channel`` as typed: the run's number and the channel's id (None: not given)."""

    run_id: int | None
    channel: str | None
    name: str  # the channel as ``#name`` (its id when Slack wrote no name)


def move_words(raw: str, whole: bool = False) -> Move | None:
    """``move ...`` in ``raw`` (as Slack sent it, the bot's own mention taken out); None when it is no
    move. ``whole``: only one naming its run and a channel (where words may be an answer: a mention
    in a run's thread, a direct message)."""
    words = raw.split()
    if not words or words[0].lower() != "move":
        return None
    run_id = run_id_of(words[1:2])
    found = CHANNEL.fullmatch(words[2]) if len(words) == 3 else None
    if whole and (run_id is None or found is None):
        return None
    channel = found.group(1) if found else None
    return Move(run_id, channel, f"#{found.group(2) or found.group(1)}" if found else "")


class Rehomed(NamedTuple):
    """What :func:`rehome` did: the outbox ids it queued, and the questions it left behind in the old
    thread (superseded there; asked again in the new one), whose widgets are to be taken away."""

    queued: list[int]
    behind: list[store.PromptRow]


def leads(conn: sqlite3.Connection, run_id: int | None, user: str) -> bool:
    """Whether Slack user ``user`` may give a command that only run ``run_id``'s facilitator may
    (``move``, ``cancel``), typed plainly where words are answers (a run's thread): they lead it, or
    nobody has claimed it yet (then the command is refused, saying who may, rather than the text
    claiming the run as its first answer). Anyone else's words stay theirs: an answer."""
    row = runs.load_run(conn, run_id) if run_id is not None else None
    return row is not None and row.context.facilitator.id in (f"{NAME}:{user}", PLACEHOLDER.id)


def rehome(
    bot: Dispatcher,
    conn: sqlite3.Connection,
    row: RunRow,
    to_channel: str,
    root: Callable[[bool], str],
    now: datetime,
    by: Actor | None = None,
    note: str | None = None,
    unposted: Unposted | None = None,
) -> Rehomed:
    """Open run ``row`` leaves its thread for channel ``to_channel``: its next message there, ``root``
    (told whether questions are asked again after it), roots its new thread; then what was still
    queued for the old thread, then the questions waiting there, asked again; ``note`` left in the
    old thread. ``by``: who moved it (None: its thread was deleted); ``unposted``: its last move's
    root not out yet (:func:`unposted_root`, read in this transaction). In the caller's
    transaction; returns the outbox ids of what was queued, and the questions left behind in the
    old thread (moved again before its last move's root was out: those that move left there too)."""
    old = row.conversation
    thread = moves.current_thread(conn, row.id, old)
    there = {p.to["id"]: reask.asked_out_there(conn, row.id, p.to["id"]) for p in row.context.prompts if p.asked}
    left = unposted.left if unposted is not None else ConversationKey(NAME, old.conversation, thread)
    back = unposted is not None and left.thread is not None and left.conversation == to_channel
    new = left if back else ConversationKey(NAME, to_channel)  # moved straight back: on in the thread it left
    if unposted is not None:  # moved again before its last move's root was out: from where it is seen
        _withdraw_unposted_root(conn, row.id, unposted, now)
    behind = moves.leave_thread(conn, row.id, old.conversation, thread, str(new), now)
    if unposted is not None and left.thread is not None:  # what its last move left there: this one's now
        behind += moves.still_behind(conn, row.id, left.conversation, unposted.at, now)
    if back and left.thread is not None:
        store.add_thread(conn, left.conversation, left.thread, row.id, now)
    first = Reply(row.id, new, root(any(there.values())), kind="info")
    queued = runs.queue_replies(conn, [first], iso(now))
    queued += outbox_rows.requeue(conn, row.id, str(old), str(new), queued[0], texts.slack_requeued(), now)
    if note is not None and not back and (left.thread is not None or is_dm(left.conversation)):
        queued += runs.queue_replies(conn, [Reply(row.id, left, note, kind="info")], iso(now))
    moved = replace(row, conversation=new)  # as leave_thread left it: no need to read it again
    who = by.id if by is not None else None

    def chosen(prompt: Prompt) -> bool:
        return there.get(prompt.to["id"], False)

    queued += reask.ask_again(bot, conn, moved, chosen, "thread_moved", now, actor=who)
    moves.record_move(conn, row.id, str(left), str(new), who, now)
    return Rehomed(queued, behind)


@dataclass(frozen=True)
class Unposted:
    """The root a run's latest move queued, not out yet: its message id, the move's time, and
    where the run is still seen (the thread it was moved from; its channel alone, when that thread
    was deleted: no note goes there)."""

    root: int
    at: str
    left: ConversationKey


def unposted_root(conn: sqlite3.Connection, row: RunRow) -> Unposted | None:
    """The root open run ``row``'s latest move (or its deleted thread) queued for the bare channel
    it went to, while it is not out (posted, its thread made); None when the run lives in a thread
    or a direct message, its latest move was not there, or its root went out."""
    where = row.conversation
    if where.thread is not None or is_dm(where.conversation):
        return None
    waiting = moves.root_waiting(conn, row.id, where)
    if waiting is None:
        return None
    left = ConversationKey.parse(waiting.left)
    if waiting.by is None:  # its thread deleted: nothing to leave a note in
        left = ConversationKey(NAME, left.conversation)
    return Unposted(waiting.root, waiting.at, left)


def shown_in(row: RunRow, unposted: Unposted | None) -> ConversationKey:
    """Where people see open run ``row``: its conversation, or, when its latest move's root there
    is not out yet (``unposted``: moved again at once; Slack slow or pacing), where it was moved from."""
    return unposted.left if unposted is not None else row.conversation


def _withdraw_unposted_root(conn: sqlite3.Connection, run_id: int, unposted: Unposted, now: datetime) -> None:
    """The root the run's last move queued and never posted is not posted at all now it moves on:
    the new move's root replaces it (one being posted meanwhile is taken back as a requeued reply
    is), and the new move's note the last one's, if it is not out either."""
    why = texts.slack_root_replaced()
    conn.execute("UPDATE messages SET failed_at = ?, last_error = ? WHERE id = ?", (iso(now), why, unposted.root))
    if unposted.left.thread is None:  # (no note was left: the thread it came from was deleted)
        return
    conn.execute(
        f"UPDATE messages SET failed_at = ?, last_error = ? WHERE {outbox_rows.UNSENT} AND run_id = ?"
        " AND conversation = ? AND created_at = ?",
        (iso(now), why, run_id, str(unposted.left), unposted.at),
    )


@dataclass(frozen=True)
class Typed:
    """Where and by whom a move was typed: its delivery id, the conversation (no thread), the workspace."""

    platform_id: str
    actor: Actor
    conversation: ConversationKey
    team: str | None


async def carry_out(turns: Turns, typed: Typed, move: Move, within: float | None = None) -> str | None:
    """Move the run as ``move`` says, or say why not; None for Slack's retry of a move carried out.
    ``within``: seconds Slack is given to describe the channels (None: a call's own timeout)."""
    if move.run_id is None or move.channel is None:
        return texts.slack_move_usage()
    refused, row = _refused(turns.dispatcher, typed, move.run_id, move)
    if refused is not None or row is None:
        return refused
    shown = shown_in(row, unposted_root(turns.dispatcher.db.conn, row))
    try:
        (closed, info), (old_closed, old_info) = await asyncio.gather(
            described(turns.poster.client, move.channel, within), _old_channel(turns, shown, within)
        )
    except (RetryLater, DeliveryFailed) as exc:
        late = isinstance(exc.__cause__, TimeoutError)
        return texts.slack_move_unchecked(row.id, move.name, texts.slack_post_timed_out() if late else str(exc))
    given = [(move.channel, info.get("name")), (shown.conversation, old_info.get("name"))]
    await names.kept_if_free(turns.services.db, NAME, given, turns.dispatcher.clock)  # (for analysts)
    if move.name == f"#{move.channel}" and isinstance(info.get("name"), str) and info["name"]:
        move = replace(move, name=f"#{info['name']}")  # <#C0123> as Slack wrote it: named as Slack names it
    if closed is not None:
        return texts.slack_move_closed(row.id, move.name, closed.plain or str(closed), closed.remedy)
    team = info.get("context_team_id")
    if typed.team and isinstance(team, str) and team and team != typed.team:
        return texts.slack_move_other_team(row.id, move.name)
    old_name = f"#{old_info['name']}" if old_info.get("name") else shown.conversation
    known_open = bool(old_info) and old_closed is None  # (not described in time: not known closed either)
    return await _moved(turns, typed, move, old_name, note=known_open, withdraw=old_closed is None)


async def _old_channel(
    turns: Turns, shown: ConversationKey, within: float | None
) -> tuple[DeliveryFailed | None, dict[str, Any]]:
    """The run's channel (where people see it: ``shown_in``) as Slack describes it (its name), and
    whether it refuses the bot's posts (then no note is left in it); nothing for a direct message,
    or when Slack does not say (then no note either, and its id names it)."""
    channel = shown.conversation
    if is_dm(channel):
        return None, {}
    try:
        return await described(turns.poster.client, channel, within)
    except (RetryLater, DeliveryFailed):
        return None, {}


def _refused(bot: Dispatcher, typed: Typed, run_id: int, move: Move) -> tuple[str | None, RunRow | None]:
    """Why the ledger refuses the move, read as it stands now; else the run."""
    conn = bot.db.conn
    row = runs.load_run(conn, run_id)
    if row is None or not may_see(conn, run_id, typed.actor, typed.conversation):
        return texts.chat_unknown_run(run_id), None  # as if there were no such run
    if row.conversation.channel != NAME:
        return texts.slack_move_not_slack(run_id), None
    if row.status not in runs.OPEN:
        return texts.slack_move_ended(run_id, row.status), None
    if not may_lead(row.context, typed.actor.id):  # as for 'cancel'
        return lead_refused(row.context, "move the run"), None
    if row.conversation.conversation == move.channel:
        return texts.slack_move_same(run_id, move.name), None
    return None, row


async def _moved(turns: Turns, typed: Typed, move: Move, old_name: str, note: bool, withdraw: bool) -> str | None:
    """The move kept in the ledger, once (Slack's retry finds its delivery id), the run read again
    under the write lock (a turn may have ended it, or another move taken it there, meanwhile).
    ``note``: a note is left in the old thread (Slack said in time the bot can post there);
    ``withdraw``: its questions lose their widgets (the old channel not known closed to the bot)."""
    assert move.run_id is not None and move.channel is not None
    bot = turns.dispatcher
    await group.writable(turns.services.db.conn)
    with transaction(turns.services.db) as conn:
        now = bot.clock()
        if runs.seen_delivery(conn, NAME, typed.platform_id, now):
            return None
        refused, row = _refused(bot, typed, move.run_id, move)
        if refused is not None or row is None:
            return refused
        flow = bot.catalog.version(row.flow_id, row.flow_version)
        title = str(row.context.trigger.get("title") or "")
        by = typed.actor.name
        unposted = unposted_root(conn, row)  # (read again under the write lock)
        shown = shown_in(row, unposted)  # its last move's root not out: moved straight back, it stays there
        back = shown.thread is not None and shown.conversation == move.channel

        def root(asks: bool) -> str:
            if back:
                return texts.slack_run_moved_back(row.id, by, asks)
            return texts.slack_run_moved(row.id, flow.title, title, old_name, by, asks)

        said = texts.slack_run_moved_note(row.id, move.name, by) if note and not back else None
        done = rehome(bot, conn, row, move.channel, root, now, typed.actor, said, unposted)
    log.info(texts.slack_run_moved_log(row.id, str(row.conversation), move.channel, typed.actor.id))
    turns.count_replies(len(done.queued))  # once committed
    turns.services.notify(NAME)
    if withdraw:  # the bot may still update its messages there: no widget left to answer where nothing is read
        if back:
            pointer = texts.slack_prompt_asked_again_below(row.id)
        else:
            pointer = texts.slack_prompt_moved_away(row.id, blocks.channel_link(move.channel))
        for left in done.behind:
            turns.poster.update_later(left.channel, left.ts, blocks.withdrawn(left.text, pointer))
    return texts.slack_run_moved_back_told(row.id, move.name) if back else texts.slack_run_moved_told(row.id, move.name)
