"""Replies a channel delivered somewhere else than the conversation they were queued in (a person's
direct message or personal chat), noted as they are posted until the outbox asks (``Channel.said_in``),
whose mark then makes their ``messages`` rows name that conversation."""

from __future__ import annotations

from bot.outbox_rows import Queued


class SaidElsewhere:
    """Reply id -> the conversation key it was said in, from its post until the outbox asks."""

    def __init__(self) -> None:
        self._where: dict[int, str] = {}

    def note(self, item: Queued, where: str) -> None:
        """``item`` was posted in ``where`` (a conversation key): noted once its last part is, unless
        that is the conversation it was queued in."""
        if item.last_part and where != str(item.reply.conversation):
            self._where[item.id] = where

    def pop(self, item_id: int) -> str | None:
        """Where the reply ``item_id`` was said, or None for its own conversation. Asked once."""
        return self._where.pop(item_id, None)
