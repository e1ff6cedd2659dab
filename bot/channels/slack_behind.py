"""Words typed in a thread an open run moved away from (``/decision move RUN #channel``; its root
deleted, :mod:`bot.channels.slack_deleted`): the thread no longer reaches the run, so they are no
answer, but nothing typed is lost. They are kept in the run's transcript as words not taken (an
inbound row of kind ``refused``, ``payload.moved_to`` naming where the run lives now), once per
delivery, and their writer alone is told in that thread where the run goes on, with a link to its
new thread once Slack gives one (``chat.getPermalink`` of its root; its root not out yet, or Slack
silent: none). Questions asked by direct message stay there and are answered there as before."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels import slack_messages as messages
from bot.channels.slack_calls import call
from bot.channels.slack_dms import is_dm
from bot.channels.slack_messages import Said
from bot.model import Actor, ConversationKey
from bot.store import runs, transaction, widgets
from bot.store import slack as store
from bot.store.runs import RunRow

if TYPE_CHECKING:
    from bot.channels.slack_turns import Turns

NAME = "slack"
#: Seconds Slack is given to link the new thread (the writer is told without a link after).
LINK_WITHIN = 2.0


def moved_from(conn: sqlite3.Connection, channel: str, thread_ts: str) -> RunRow | None:
    """The open run whose latest move left thread ``channel``/``thread_ts``, if any."""
    row = conn.execute(
        "SELECT m.run_id FROM slack_moves m JOIN runs r ON r.id = m.run_id WHERE m.from_conversation = ?"
        f" AND r.status IN {runs.OPEN} ORDER BY m.transition_id DESC LIMIT 1",
        (str(ConversationKey(NAME, channel, thread_ts)),),
    ).fetchone()
    return runs.load_run(conn, int(row[0])) if row else None


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
    if said.thread_ts is None or moved_from(turns.services.db.conn, said.channel, said.thread_ts) is None:
        return False
    actor, mentions = await turns._people(said.user, said.text)
    text = messages.named(said.text, mentions)[0]
    where = ConversationKey(NAME, said.channel, said.thread_ts)
    with transaction(turns.services.db) as conn:
        run = moved_from(conn, said.channel, said.thread_ts)  # (read again under the write lock)
        if run is None or not keep(conn, run, actor, where, text, said.platform_id, turns.dispatcher.clock()):
            return run is not None
        root = store.run_thread(conn, run.id, run.conversation.conversation)
    turns.poster.spawn(_tell(turns, said, run, root))
    return True


async def _tell(turns: Turns, said: Said, run: RunRow, root: str | None) -> None:
    """Its writer told, in the old thread, where run ``run`` goes on (``root``: its new thread's)."""
    channel = run.conversation.conversation
    link = await _link(turns, channel, run.conversation.thread or root) if not is_dm(channel) else None
    told = texts.slack_typed_behind(run.id, blocks.channel_link(channel), link)
    turns.poster.ephemeral_later(said.channel, said.user, told, said.thread_ts)


async def _link(turns: Turns, channel: str, root: str | None) -> str | None:
    """The new thread's link, as Slack gives it; None when it has no root yet, or Slack gives none."""
    if root is None:
        return None
    try:
        found: Any = await call(turns.poster.client.chat_getPermalink(channel=channel, message_ts=root), LINK_WITHIN)
    except (RetryLater, DeliveryFailed):
        return None
    link = found.get("permalink")
    return link if isinstance(link, str) and link.startswith("https://") else None
