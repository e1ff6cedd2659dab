"""The direct message the bot has with each person: opened once (``conversations.open``), at
Slack's pace, and kept in the ledger (``slack_dms``), so that a restarted server writes to it
without opening it again.

Slack opens about 50 direct messages a minute (Tier 3, after a burst): one question to 150 people
would otherwise meet a 429 for each beyond the burst. Each direct message to open takes the next
slot of :func:`~bot.channels.slack_limits.dm_opens`; a reply from the outbox that must wait for its
slot is held back (``RetryLater``, no attempt counted) and goes at that slot, while the other
conversations go on; a click waits a moment at most. Several messages to one person at once (the
outbox sends conversations side by side) open their direct message once, in one slot. A direct
message Slack refuses later (``channel_not_found``, the person gone) is forgotten, in memory and in
the ledger: the next message to that person opens it again (as a restart did when they were kept
in memory)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial

from slack_sdk.web.async_client import AsyncWebClient
from sqlite_utils import Database

from bot import texts
from bot.bounded import CACHED_AT_MOST, Bounded
from bot.channels import DeliveryFailed, RetryLater
from bot.channels.slack_calls import CONVERSATION_REFUSED, PERSON_REFUSED, call
from bot.channels.slack_limits import DM_OPENS, dm_opens
from bot.store import group, kept_write
from bot.store import slack as store

log = logging.getLogger("decisionbot.slack")

#: How long a click (not the outbox) waits for its slot to open a direct message, at most.
CLICK_WAIT = 1.0
#: Refusals of a post that say the direct message itself is gone, or its person: forgotten.
DM_REFUSED = CONVERSATION_REFUSED | PERSON_REFUSED


def is_dm(channel: str) -> bool:
    return channel.startswith("D")


class DirectMessages:
    """Slack user id -> their direct message with the bot: kept in memory and in the ledger."""

    def __init__(self, db: Database, client: AsyncWebClient, clock: Callable[[], datetime], most: int = CACHED_AT_MOST):
        self.db = db
        self.client = client
        self.clock = clock
        self.opens = dm_opens()
        self._known: Bounded[str, str] = Bounded(most)  # the people written to lately; all are in slack_dms
        self._clicks = 0  # tickets of the opens a click waits for: negative, as outbox ids are positive
        self._opening: dict[str, tuple[asyncio.Lock, int]] = {}  # user -> one open at a time, and who waits for it
        self._booked: dict[str, int] = {}  # user -> the outbox message whose slot opens their direct message
        self._waiting: dict[int, str] = {}  # outbox message held for that slot -> its user

    async def channel(self, user: str, ticket: int | None = None) -> str:
        """The direct message with ``user``: kept, else opened in its turn. ``ticket``: the outbox
        message it is for (RetryLater until its slot comes); None: a click, which waits a moment.
        Opened once, whatever number of messages to them want it at once (the outbox sends its
        conversations side by side): the others wait for that open, and take no slot of their own."""
        found = self._known.get(user) or self._kept(user)
        if found is not None:
            if user in self._booked:  # opened meanwhile (by a click): the slot booked for it goes to the next
                self.opens.give_back(DM_OPENS, self._unbook(user))
            return found
        async with self._alone(user):
            found = self._known.get(user)
            if found is None:
                await self._slot(user, ticket)
                found = await self._open(user)
            return found

    @contextlib.asynccontextmanager
    async def _alone(self, user: str) -> AsyncIterator[None]:
        """One open of ``user``'s direct message at a time."""
        lock, waiting = self._opening.get(user) or (asyncio.Lock(), 0)
        self._opening[user] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._opening[user]
            if waiting > 1:
                self._opening[user] = (lock, waiting - 1)
            else:
                del self._opening[user]

    def _kept(self, user: str) -> str | None:
        try:
            found = store.dm_of(self.db.conn, user)
        except sqlite3.Error:  # unreadable for now: opened again
            return None
        if found is not None:
            self._known[user] = found
        return found

    async def _slot(self, user: str, ticket: int | None) -> None:
        """Wait for the next slot in the pace of opening direct messages: ``user``'s, when another
        message to them holds one already."""
        if ticket is None:
            self._clicks -= 1
            ticket = self._clicks
            wait = self.opens.wait(DM_OPENS, ticket)
            if wait > CLICK_WAIT:  # many direct messages being opened: it would go beyond Slack's pace
                self.opens.give_back(DM_OPENS, ticket)
                raise RetryLater(wait, texts.slack_dm_opens_paced_reason(), attempt=False, rate_limited=True)
            if wait > 0:
                await asyncio.sleep(wait)
                self.opens.forget(ticket)
            return
        wait = self.opens.wait(DM_OPENS, self._booked.setdefault(user, ticket))
        if wait > 0:
            self._waiting[ticket] = user
            if self.opens.tell(DM_OPENS):
                log.info(texts.slack_dm_opens_paced())
            raise RetryLater(wait, texts.slack_dm_opens_paced_reason(), attempt=False)
        self._unbook(user)

    def _unbook(self, user: str) -> int:
        """``user``'s booked slot, no longer waited on (taken, or given up): its ticket."""
        for ticket in [t for t, waiting in self._waiting.items() if waiting == user]:
            del self._waiting[ticket]
        return self._booked.pop(user)

    def release(self, ticket: int) -> None:
        """The outbox message ``ticket``, held back for its slot, was withheld (its run cancelled):
        the slot goes to the next direct message to open, unless another message to the same person
        still waits on it (the slot their direct message opens at is theirs, whoever booked it)."""
        user = self._waiting.pop(ticket, None)
        if user is None:
            return self.opens.release(ticket)
        if user in self._waiting.values():
            return
        self.opens.release(self._unbook(user))

    async def _open(self, user: str) -> str:
        try:
            opened = await call(self.client.conversations_open(users=user))
        except RetryLater as exc:
            if exc.rate_limited:  # (another app on the token, or a restart mid-burst): nobody opens meanwhile
                self.opens.hold(DM_OPENS, exc.seconds)
                if self.opens.tell(f"429 {DM_OPENS}"):
                    where = f"direct messages, {user} next"
                    log.warning(texts.slack_call_rate_limited("conversations.open", where, exc.seconds))
            raise
        found = self._known[user] = str(opened["channel"]["id"])
        await self._write(partial(store.keep_dm, user_id=user, channel=found, now=self.clock()))
        return found

    async def refused(self, channel: str, exc: DeliveryFailed) -> None:
        """Slack refused a post to ``channel``: a direct message it says is gone is forgotten."""
        if not is_dm(channel) or (exc.code or "") not in DM_REFUSED:
            return
        for user in [user for user, dm in self._known.items() if dm == channel]:
            del self._known[user]
        await self._write(partial(store.forget_dm, channel=channel))

    async def _write(self, write: Callable[[sqlite3.Connection], None]) -> None:
        """Keep what Slack said in the ledger; when it refuses, only this process knows (logged)."""
        try:
            await group.writable(self.db.conn)
            kept_write(self.db, write)
        except sqlite3.Error as exc:
            log.warning(texts.slack_dm_not_kept(f"{type(exc).__name__}: {exc}"))
