"""The Slack channels runs live in that nothing named, named in the background.

A run started by a mention or a message in a channel where no slash command was typed and that no
route names would show its channel's id forever (``slack:C0OPS``): no turn there gives its name.
:class:`ChannelNaming` asks Slack about such channels off the turns' path: the server's
housekeeping calls :meth:`ChannelNaming.tick` once a second, which reads the runs started since
(a batch at a time, by id: cheap however big the ledger), notes their channels that have no name
kept, and, every ``EVERY`` seconds at most (the first ``EVERY`` after the start), starts one ``conversations.info`` about one of them in
a task of its own (Slack's Tier 3 allows 50 a minute and more; this makes four at most, beside the
move's and the routes' check's). The name Slack gives is kept (:func:`bot.store.names.learnt`),
the write lock taken only once Slack answered, for that one write: a turn never waits behind a
call to Slack.

A channel Slack refuses to describe (``channel_not_found``: the bot not in a private channel, or
it is gone; ``missing_scope``: ``channels:read`` or ``groups:read`` not granted) is not asked about
again for ``REFUSED_FOR``; one it could not describe for now (slow, out of reach) for
``AGAIN_AFTER``; a 429 holds all the naming for its ``Retry-After``, the channel asked about again
then. What is remembered is bounded (:class:`bot.bounded.Bounded`): a channel forgotten is asked
about again after the next restart, which reads the runs again from the first.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlite_utils import Database

from bot import texts
from bot.bounded import Bounded
from bot.channels import ChannelDown, DeliveryFailed, RetryLater
from bot.channels.slack_postable import described
from bot.store import group, names
from bot.store.write_lock import LedgerBusy

log = logging.getLogger("decisionbot.slack")

NAME = "slack"
#: Seconds between two channels asked about, at least: four a minute, far under Tier 3's 50.
EVERY = 15.0
#: Seconds Slack is given to describe a channel (asked again later after them).
WITHIN = 10.0
#: Seconds a channel Slack refused to describe is not asked about again: six hours.
REFUSED_FOR = 6 * 3600.0
#: Seconds a channel Slack could not describe for now (slow, out of reach, the token refused) waits.
AGAIN_AFTER = 600.0
#: Runs read at a time, once a second, until every run is read (then those started since).
BATCH = 2000
#: The channels a run lives in (a thread's key without its thread), not a direct message.
_CHANNELS = """SELECT id, CASE WHEN instr(conversation, '/') THEN substr(conversation, 7, instr(conversation, '/') - 7)
    ELSE substr(conversation, 7) END FROM runs WHERE id > ? AND channel = 'slack' ORDER BY id LIMIT ?"""


class ChannelNaming:
    """Channels to name (``waiting``, in the order found), those not asked about before a time
    (``later``: channel -> monotonic time), and the next time one may be asked about."""

    def __init__(
        self,
        db: Database,
        client: Callable[[], AsyncWebClient | None],
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        now: Callable[[], datetime],
        clock: Callable[[], float] = time.monotonic,
    ):
        self.db = db
        self.now = now  # the dispatcher's: when a name was given
        self.client = client  # (the side client, once the channel started)
        self.spawn = spawn
        self.clock = clock
        self.every = EVERY
        self.read_up_to = 0  # the last run id read
        self.waiting: Bounded[str, None] = Bounded()
        self.later: Bounded[str, float] = Bounded()
        self.next_at = clock() + self.every  # not at once: the start's own calls (the routes' check) first
        self.asking = False

    def tick(self) -> None:
        """From the housekeeping, once a second: the runs started since read, and, when its time has
        come and none is under way, one channel asked about (in a task of its own)."""
        self._read_runs()
        now = self.clock()
        client = self.client()
        if self.asking or now < self.next_at or client is None:
            return
        channel = self._next(now)
        if channel is None:
            return
        self.asking, self.next_at = True, now + self.every
        self.spawn(self._ask(client, channel))

    def _read_runs(self) -> None:
        """The channels of the next runs (by id) noted, when no name is kept for them."""
        rows = self.db.conn.execute(_CHANNELS, (self.read_up_to, BATCH)).fetchall()
        if not rows:
            return
        self.read_up_to = rows[-1][0]
        for channel in dict.fromkeys(channel for _, channel in rows):
            if channel[:1] in ("C", "G") and channel not in self.waiting and not self._named(channel):
                self.waiting[channel] = None

    def _named(self, channel: str) -> bool:
        return names.name_of(self.db.conn, f"{NAME}:{channel}") is not None

    def _next(self, now: float) -> str | None:
        """The channel to ask about now: one whose wait is over first, else the first waiting, unless
        named meanwhile (a command typed there)."""
        due = [channel for channel, until in self.later.items() if until <= now]
        for channel in due:
            del self.later[channel]
            self.waiting[channel] = None
        while self.waiting:
            channel = next(iter(self.waiting))
            del self.waiting[channel]
            if not self._named(channel):
                return channel
        return None

    async def _ask(self, client: AsyncWebClient, channel: str) -> None:
        try:
            await self._described(client, channel)
        except Exception:  # never the housekeeping's end: asked again later
            log.exception(texts.slack_naming_crashed(channel, int(AGAIN_AFTER // 60)))
            self.later[channel] = self.clock() + AGAIN_AFTER
        finally:
            self.asking = False

    async def _described(self, client: AsyncWebClient, channel: str) -> None:
        """``channel`` asked of Slack, its name kept; or not asked about again for a while."""
        try:
            _, info = await described(client, channel, WITHIN)
        except ChannelDown:
            self.later[channel] = self.clock() + AGAIN_AFTER
            return
        except RetryLater as exc:
            if exc.rate_limited:  # everything waits; this one first again
                self.next_at = max(self.next_at, self.clock() + exc.seconds)
                self.later[channel] = self.next_at
            else:
                self.later[channel] = self.clock() + AGAIN_AFTER
            return
        except DeliveryFailed:  # missing_scope and the like
            info = {}
        name = info.get("name")
        if not isinstance(name, str) or not name:  # refused: channel_not_found, not_in_channel ...
            self.later[channel] = self.clock() + REFUSED_FOR
            return
        await self._keep(channel, name)

    async def _keep(self, channel: str, name: str) -> None:
        """The name kept, the write lock taken now that Slack answered (another process's waited
        for off the loop; held too long: asked again later)."""
        try:
            await group.writable(self.db.conn)
            names.learnt(self.db, NAME, [(channel, name)], self.now())
        except (LedgerBusy, sqlite3.Error):
            self.later[channel] = self.clock() + AGAIN_AFTER
