"""The outbox lease: which process delivers a channel's replies when several serve one ledger.

Two servers during a rolling restart (or a server and another process) take turns by channel:
only the process holding a channel's lease (``outbox:<channel>`` in the ``leases`` table) sends
its replies (:class:`bot.outbox.Sender` asks :meth:`OutboxLease.holds`), so none is sent twice;
when the holder stops (or dies, and its lease expires) another process takes over.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from bot import texts
from bot.store import group, leases, transaction, utc_now

log = logging.getLogger("bot.outbox")  # the senders' logger: one name to follow for delivery

#: How long a process's lease on a channel's outbox lasts unless renewed (the server renews it
#: every second): how soon another process on the ledger takes over from one that died.
LEASE_FOR = timedelta(seconds=5)
#: This process stops sending this long before its lease expires in the ledger (a send begun just
#: before its end still finishes before another process may take over).
LEASE_MARGIN = 1.5
#: Seconds a stopping server waits for the write lock to give its leases up.
RELEASE_WAIT = 1.0


class OutboxLease:
    """Which channels' outboxes this process delivers: each channel's lease (``outbox:<channel>``
    in the ``leases`` table), taken at start-up and renewed every second by the server's
    housekeeping, released at shutdown. Kept in memory as a deadline, so the senders check it
    without a query; the ledger's times are the wall clock's, whatever clock runs the turns."""

    def __init__(self, db: Database, channels: list[str], now: Callable[[], datetime] = utc_now):
        self.db = db
        self.channels = channels
        self.now = now
        self.holder = secrets.token_hex(8)
        self.until: dict[str, float] = {}  # channel -> time.monotonic() it may send until
        self.wall_until = datetime.min.replace(tzinfo=UTC)  # the same, by the wall clock
        self.stopping = False  # the server is stopping: no new send, the leases kept until released
        self.told: dict[str, bool] = {}  # what the log last said of each channel

    def holds(self, channel: str) -> bool:
        """Held by the monotonic clock and by the wall clock the other processes go by (a step
        of the wall clock forward makes the lease another's: never two senders)."""
        if self.stopping:
            return False
        return self.until.get(channel, 0.0) > time.monotonic() and self.now() < self.wall_until

    async def renew(self) -> list[str]:
        """Take or renew the lease of every channel; return the channels this process delivers now
        and did not before (their senders are to be woken). Held only once committed."""
        if not self.channels:
            return []
        await group.writable(self.db.conn)  # the lock first: the lease runs from when it is written
        started, now = time.monotonic(), self.now()
        with transaction(self.db) as conn:
            held = [c for c in self.channels if leases.take(conn, f"outbox:{c}", self.holder, now, now + LEASE_FOR)]
        await group.settled(self.db.conn)
        gained = [c for c in held if not self.holds(c)]
        deadline = started + LEASE_FOR.total_seconds() - LEASE_MARGIN
        self.until = {c: deadline for c in held}
        self.wall_until = now + LEASE_FOR - timedelta(seconds=LEASE_MARGIN)
        for channel in self.channels:
            if self.told.get(channel) != (channel in held):
                self.told[channel] = channel in held
                told = texts.outbox_lease_taken if channel in held else texts.outbox_lease_elsewhere
                log.info(told(channel))
        return gained

    async def release(self) -> None:
        """Give every lease up (at shutdown, once the senders have stopped): another process
        takes over at its next renewal instead of when the leases expire (which they do within
        seconds all the same: the write lock is waited for RELEASE_WAIT at most)."""
        held, self.until = list(self.until), {}
        if held:
            await group.writable(self.db.conn, RELEASE_WAIT)
            with transaction(self.db) as conn:
                for channel in held:
                    leases.release(conn, f"outbox:{channel}", self.holder)
