"""Replies a channel delivered to one person alone, in their direct message or personal chat, noted
as they are posted until the outbox asks (``Channel.said_in``), whose mark then makes their
``messages`` rows name that conversation, private: an owner's question queued in the run's thread,
and every reply of a run that lives in such a conversation."""

from __future__ import annotations

from bot.outbox_rows import Queued


class SaidAlone:
    """Reply id -> the conversation key of the direct message or personal chat it was said in, from
    its post until the outbox asks."""

    def __init__(self) -> None:
        self._where: dict[int, str] = {}

    def note(self, item: Queued, where: str) -> None:
        """``item`` was posted in ``where`` (a person's direct message or personal chat, as a
        conversation key): noted once its last part is."""
        if item.last_part:
            self._where[item.id] = where

    def pop(self, item_id: int) -> str | None:
        """Where the reply ``item_id`` was said, or None: not to one person alone. Asked once."""
        return self._where.pop(item_id, None)
