"""Words typed in a thread an open run moved away from (``/decision move RUN #channel``; its root
deleted, :mod:`bot.channels.slack_deleted`): the thread no longer reaches the run, so they are no
answer, but nothing typed is lost. They are kept in the run's transcript as words not taken (an
inbound row of kind ``refused``, ``payload.moved_to`` naming where the run lives now), once per
delivery, and their writer alone is told in that thread where the run goes on, with a link to its
new thread once Slack gives one (``chat.getPermalink`` of its root; its root not out yet, or Slack
silent: none). Questions asked by direct message stay there and are answered there as before."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.bounded import Bounded
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels import slack_messages as messages
from bot.channels.slack_calls import call
from bot.channels.slack_dms import is_dm
from bot.channels.slack_messages import Said
from bot.command_result import run_id_of
from bot.command_words import command_words
from bot.model import Actor, ConversationKey
from bot.store import runs, transaction, widgets
from bot.store import slack_moves as moves
from bot.store.runs import RunRow

if TYPE_CHECKING:
    from bot.channels.slack_turns import Turns

NAME = "slack"
#: Seconds Slack is given to link the new thread (the writer is told without a link after).
LINK_WITHIN = 2.0


def moved_from(conn: sqlite3.Connection, channel: str, thread_ts: str) -> RunRow | None:
    """The open run whose latest move left thread ``channel``/``thread_ts``, if any."""
    run_id = moves.moved_from(conn, channel, thread_ts)
    return runs.load_run(conn, run_id) if run_id is not None else None


def named_behind(conn: sqlite3.Connection, said: Said, text: str) -> RunRow | None:
    """The run (open or ended) that moved away from the thread ``said`` was typed in, when ``text``,
    a command naming its run (``status N``, ``cancel N``), names it: read as typed in the run's
    channel (anyone in its old thread may learn of it, as before it moved). None when the run lives
    in that thread again (moved straight back before it left it)."""
    run_id = run_id_of(command_words(text)[1:2])
    if said.thread_ts is None or run_id is None or not moves.lived_in(conn, run_id, said.channel, said.thread_ts):
        return None
    run = runs.load_run(conn, run_id)
    if run is None or _lives_in(conn, run, said.channel, said.thread_ts):
        return None
    return run


def _lives_in(conn: sqlite3.Connection, run: RunRow, channel: str, thread_ts: str) -> bool:
    """Whether open or ended run ``run`` lives in thread ``channel``/``thread_ts`` now."""
    where = run.conversation
    return (where.conversation, moves.current_thread(conn, run.id, where)) == (channel, thread_ts)


def keep(
    conn: sqlite3.Connection,
    run: RunRow,
    actor: Actor,
    where: ConversationKey,
    text: str,
    platform_id: str,
    now: datetime,
) -> bool:
    """Keep ``text`` typed by ``actor`` in ``where``, a thread run ``run`` left: words not taken
    (``widgets.kept``) at the step of their question (else the run's), once per delivery: whether it
    was the first."""
    prompt = run.context.prompt_for(actor.id)
    step = prompt.step if prompt is not None else run.state
    moved_to = {"moved_to": str(run.conversation)}
    return widgets.kept(conn, run.id, step, actor, where, text, platform_id, moved_to, now)


async def typed_behind(turns: Turns, said: Said) -> bool:
    """``said``, typed in a thread an open run moved away from: kept, and its writer told where the
    run goes on. False when no open run left that thread (not this module's)."""
    if said.thread_ts is None or moves.moved_from(turns.services.db.conn, said.channel, said.thread_ts) is None:
        return False
    actor, mentions = await turns._people(said.user, said.text)
    text = messages.named(said.text, mentions)[0]
    where = ConversationKey(NAME, said.channel, said.thread_ts)
    with transaction(turns.services.db) as conn:
        run = moved_from(conn, said.channel, said.thread_ts)  # (read again under the write lock)
        if run is None or not keep(conn, run, actor, where, text, said.platform_id, turns.dispatcher.clock()):
            return run is not None
        root = moves.current_thread(conn, run.id, run.conversation)
    there = blocks.channel_link(run.conversation.conversation)
    turns.poster.spawn(_tell(turns, said, run, root, lambda link: [texts.slack_typed_behind(run.id, there, link)]))
    return True


def tell_where(turns: Turns, said: Said, run: RunRow, told: list[str]) -> None:
    """``told`` (the parts of a command's answer) to its writer in the thread ``run`` left, then
    where the run goes on, with a link to its new thread once Slack gives one."""
    root = moves.current_thread(turns.services.db.conn, run.id, run.conversation)
    where = blocks.channel_link(run.conversation.conversation)

    def parts(link: str | None) -> list[str]:
        return [*told[:-1], f"{told[-1]} {texts.slack_goes_on_there(where, link)}"]

    turns.poster.spawn(_tell(turns, said, run, root, parts))


async def _tell(
    turns: Turns, said: Said, run: RunRow, root: str | None, parts: Callable[[str | None], list[str]]
) -> None:
    """Its writer told, in the old thread, where run ``run`` goes on (``root``: its new thread's):
    ``parts``, given the new thread's link (None: none known)."""
    channel = run.conversation.conversation
    link = await turns.poster.links.link(turns.poster.client, channel, root) if not is_dm(channel) else None
    turns.poster.ephemeral_later(said.channel, said.user, parts(link), said.thread_ts)


class Links:
    """The new threads' links, as ``chat.getPermalink`` gave them, by (channel, root): asked once
    per thread however many write in the old one (a link does not change)."""

    def __init__(self) -> None:
        self.known: Bounded[tuple[str, str], str] = Bounded()

    async def link(self, client: Any, channel: str, root: str | None) -> str | None:
        """The link to the thread of ``root`` in ``channel``; None when it has no root yet, or
        Slack gives none in time (asked again next time)."""
        if root is None:
            return None
        if (channel, root) in self.known:
            return self.known[(channel, root)]
        try:
            found: Any = await call(client.chat_getPermalink(channel=channel, message_ts=root), LINK_WITHIN)
        except (RetryLater, DeliveryFailed):
            return None
        link = found.get("permalink")
        if not isinstance(link, str) or not link.startswith("https://"):
            return None
        self.known[(channel, root)] = link
        return link
