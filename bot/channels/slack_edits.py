"""Edits and deletions of messages a run has (Slack's ``message_changed`` and
``message_deleted``, delivered under the subscriptions that bring the messages themselves).

A run keeps what was first sent: an edited answer changes no answer, and a deleted one is not
taken back. So that nobody believes otherwise (Slack shows the edited text; the record keeps the
first), the writer is told, privately, once per edit, and how to change an answer. The transcript
keeps the change, so analysts see people correct themselves: a row of its own (kind ``edited`` with
the new text, or ``deleted``) after the message it changes, which stays as first sent.
Changes of other messages (outside run threads, the bot's own, a link preview arriving or a
thread's reply count, which leave the text as it was) are not the bot's business.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.channels import slack_blocks as blocks
from bot.channels.slack_events import as_dict
from bot.channels.slack_messages import message_id, typed
from bot.channels.slack_send import Poster, is_dm
from bot.store import group, runs, transaction, transcript

#: Seconds an edit waits for the turn of its message, still under way, inside Slack's 3 s.
UNDERWAY_WAIT = 2.5


class Underway:
    """The typed messages whose turns are under way (the people they name asked of Slack, the
    ledger's lock waited for): an edit of one, sent a moment after it, waits for that turn rather
    than finding nothing in the ledger and being dropped."""

    def __init__(self) -> None:
        self._turns: dict[str, tuple[asyncio.Event, int]] = {}  # message id -> (done, turns under way)

    @contextlib.contextmanager
    def turn(self, message_id: str) -> Iterator[None]:
        done, count = self._turns.get(message_id, (asyncio.Event(), 0))
        self._turns[message_id] = (done, count + 1)  # a message and its app_mention twin: one id
        try:
            yield
        finally:
            done, count = self._turns[message_id]
            if count > 1:
                self._turns[message_id] = (done, count - 1)
            else:
                del self._turns[message_id]
                done.set()

    async def finished(self, message_id: str) -> None:
        found = self._turns.get(message_id)
        if found is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(found[0].wait(), UNDERWAY_WAIT)


@dataclass(frozen=True)
class Changed:
    """Someone's message edited or deleted."""

    deleted: bool
    channel: str
    user: str  # who wrote it
    ts: str  # the message's
    thread_ts: str | None
    change_ts: str  # the edit's or the deletion's own
    text: str  # as edited, as typed (Slack's markup read); '' when deleted

    @property
    def message_id(self) -> str:
        """The message's platform id, as its turn stored it."""
        return message_id(self.channel, self.ts)

    @property
    def delivery_id(self) -> str:
        return f"{'deleted' if self.deleted else 'edited'}:{self.channel}:{self.change_ts}"


def changed(event: Mapping[str, Any], bot_user: str | None) -> Changed | None:
    """The edit or deletion ``event`` is, of a message someone typed; None for anything else."""
    subtype = event.get("subtype")
    if subtype not in ("message_changed", "message_deleted"):
        return None
    before, after = as_dict(event.get("previous_message")), as_dict(event.get("message"))
    # a message with replies deleted: Slack keeps its tombstone ("This message was deleted.")
    deleted = subtype == "message_deleted" or after.get("subtype") == "tombstone"
    if not deleted and typed(str(before.get("text") or "")) == typed(str(after.get("text") or "")):
        return None  # a preview unfurled, a reply counted: nothing typed changed
    user, ts, channel = before.get("user"), before.get("ts"), event.get("channel")
    change_ts = event.get("ts") or event.get("event_ts")
    fields = (user, ts, channel, change_ts)
    if before.get("bot_id") or user == bot_user or not all(isinstance(f, str) and f for f in fields):
        return None
    thread = after.get("thread_ts") or before.get("thread_ts")
    thread = thread if isinstance(thread, str) and thread != ts else None
    text = "" if deleted else typed(str(after.get("text") or ""))
    return Changed(deleted, str(channel), str(user), str(ts), thread, str(change_ts), text)


async def tell(
    db: Database,
    poster: Poster,
    now: Callable[[], datetime],
    change: Changed,
    named: Callable[[str, str], Awaitable[str]] | None = None,
    underway: Underway | None = None,
) -> None:
    """Keep the change in the transcript, and tell the writer that the run keeps their message as
    first sent (once: Slack's retry of the event is dropped by its id). Nothing to keep of a
    message the ledger does not have; nothing to tell of one no run took or asked again. ``named``:
    the edited text with the people it mentions as ``@Name``, as answers are kept; ``underway``:
    the messages whose turns are under way, one of which the edit waits for."""
    held = transcript.held_message(db.conn, "slack", change.message_id)
    if held is None and underway is not None:  # its message's turn may be under way: wait for it
        await underway.finished(change.message_id)
        held = transcript.held_message(db.conn, "slack", change.message_id)
    if held is None:
        return
    if named is not None and change.text:
        change = replace(change, text=await named(change.user, change.text))
    original, kind, first_text, run_id = held
    await group.writable(db.conn)  # the lock is waited for here, not on the loop
    with transaction(db) as conn:
        if runs.seen_delivery(conn, "slack", change.delivery_id, now()):
            return
        transcript.record_change(conn, original, change.deleted, change.text, now())
    leader = transcript.leader_for(db.conn, original)
    status = transcript.run_status(db.conn, run_id)
    if (note := transcript.change_note(kind, first_text, run_id, change.deleted, leader, status)) is not None:
        _tell(poster, change, note)


def _tell(poster: Poster, change: Changed, note: str) -> None:
    if is_dm(change.channel):
        poster.say_later(change.channel, blocks.escape(note))
    else:
        poster.ephemeral_later(change.channel, change.user, blocks.escape(note), change.thread_ts)
