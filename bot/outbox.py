"""The outbox: replies a committed turn queued, delivered after the commit and marked sent.

A crash between commit and delivery re-sends rather than loses: whatever is still undelivered
is delivered again, in order, per conversation. A refusal for now (429, 5xx, a network error)
is retried with backoff for a day from its first refusal, so an outage loses nothing; a refusal for good
(a channel that is gone, a message the platform will not take) gives the reply up at once. A
reply given up is marked ``failed_at``, with its last error, logged with its run, and the
conversation's next reply goes on. A refusal of the channel itself (:class:`ChannelDown`, a token
revoked) gives nothing up: the channel waits, trying one reply every few minutes (DOWN_FIRST).

A reply too long for its platform is sent in parts (``Channel.parts``), each a message that fits,
in order; ``parts_sent`` counts those delivered, so a retry goes on from the next part.

Several processes on one ledger (two servers during a rolling restart) take turns by channel:
only the process holding a channel's lease (:class:`~bot.outbox_lease.OutboxLease`, the ``leases`` table) sends
its replies, so none is sent twice; the others' replies wait in the outbox for the holder, and
when the holder stops (or dies, and its lease expires) another process takes over.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlite_utils import Database

from bot import notices, texts
from bot.channels import ChannelDown, DeliveryFailed, RetryLater
from bot.outbox_outage import Outage
from bot.outbox_paced import Paced
from bot.outbox_rows import (
    QUEUED_COLUMNS,
    Delivered,
    Queued,
    backoff,
    doubling,
    given_up,
    last_id,
    latest_prompts,
    mark_channel_down,
    mark_failed,
    mark_part,
    mark_sent,
    pending,
    queued_from_row,
)
from bot.store import group, iso, kept_write, one_statement

if TYPE_CHECKING:
    from bot.channels import Channel
    from bot.outbox_lease import OutboxLease

log = logging.getLogger(__name__)

#: The outbox's rows (bot.outbox_rows), read from here by the channels and commands.
__all__ = [
    "QUEUED_COLUMNS",
    "Queued",
    "last_id",
    "latest_prompts",
    "mark_channel_down",
    "mark_failed",
    "mark_part",
    "mark_sent",
    "pending",
    "queued_from_row",
    "Sender",
    "RETRY_FOR",
    "DEFECT_TRIES",
    "DOWN_FIRST",
    "DOWN_MOST",
    "backoff",
    "doubling",
]


#: How long a reply refused for now (429, 5xx, network) is retried before it is given up: far
#: beyond any platform outage people would still want the question after.
RETRY_FOR = timedelta(days=1)
#: How many times a reply whose delivery fails unexpectedly (a defect, not a refusal) is tried.
DEFECT_TRIES = 5
#: Seconds a channel whose credentials the platform refuses (ChannelDown) waits before one reply
#: is tried again, doubling up to DOWN_MOST: the operator's fix is a restart with a working token,
#: and a platform hiccup answered "invalid_auth" heals by itself within minutes.
DOWN_FIRST = 60.0
DOWN_MOST = 600.0


class Sender:
    """Delivers one channel's outbox after each commit: in order per conversation, retrying
    refusals for now with backoff (``Retry-After`` on 429) for up to RETRY_FOR, giving up at once
    on a refusal for good."""

    def __init__(self, db: Database, channel: Channel, clock: Callable[[], datetime]):
        self.db = db
        self.channel = channel
        self.clock = clock
        self.wake = asyncio.Event()
        self.blocked_until: dict[str, float] = {}  # conversation -> monotonic time
        self.unmarked: dict[int, Delivered] = {}  # delivered replies the ledger has not marked yet
        self.parts_done: dict[int, int] = {}  # parts delivered of replies sent in parts, as the ledger may not say
        self.delivered = 0
        self.given_up = 0  # replies given up since the start (for /metrics)
        self.lease: OutboxLease | None = None  # in the server: sends only while this process holds it
        self.in_flight = 0  # sends awaiting the platform
        self.down_until = 0.0  # the channel refused (ChannelDown): nothing tried before then (monotonic)
        self.down_tries = 0  # refusals of the channel in a row: 0 while it works
        self.down_first, self.down_most = DOWN_FIRST, DOWN_MOST
        self.down_why: str | None = None  # what the channel said failed when it was refused
        self.probes = 0  # probes of a refused channel: each tries the next held conversation
        self.outage_seen = Outage(channel.name, clock)  # replies refused for now, none delivered: told once
        self._sending: set[str] = set()  # conversations a pass is sending: the other passes leave them
        self._missed: set[str] = set()  # ... and read again once it ends
        self._passes: set[asyncio.Task[None]] = set()
        self.paced = Paced()  # replies held back by the channel's pacing: slots released when withheld

    def may_send(self) -> bool:
        return self.lease is None or self.lease.holds(self.channel.name)

    def notify(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        self.wake.set()  # replies left from before a restart go first
        try:
            while True:  # a pass each wake, beside the passes under way: see drain
                await self.wake.wait()
                self.wake.clear()
                self._passes.add(sending := asyncio.create_task(self._pass()))
                sending.add_done_callback(self._passes.discard)
        finally:  # the server stops: the passes under way stop with it
            for sending in self._passes:
                sending.cancel()
            await asyncio.gather(*self._passes, return_exceptions=True)

    async def _pass(self) -> None:
        try:
            delay = await self.drain()
        except Exception:  # the ledger unreadable for a moment: the sender must outlive it
            log.exception(texts.delivery_loop_failed(self.channel.name))
            delay = backoff(3)
        if delay is not None:
            asyncio.get_running_loop().call_later(delay, self.wake.set)

    async def drain(self) -> float | None:
        """Deliver what is pending, but in conversations another pass is sending or held back (one
        waiting on its platform, or a backlog waiting for its pace, holds up no other); return when to
        look again for held-back conversations."""
        if not self.may_send():  # another process delivers this channel: woken again when it is ours
            return None
        loop = asyncio.get_running_loop()
        if self.down_until > loop.time() and self._still_down():  # refused: its replies wait, none is tried
            return self.down_until - loop.time()
        now = loop.time()
        withheld, look_again = self.paced.withheld(self.db.conn, now)
        for item_id, key in withheld:  # its slot to the next reply; its conversation free again
            self.channel.withheld(item_id)
            self.blocked_until.pop(key, None)
        for key in [k for k, until in self.blocked_until.items() if until <= now]:
            del self.blocked_until[key]  # one entry per held conversation, not one per conversation ever held
        upto = group.horizon(self.db.conn)
        # not read: the conversations held back (woken by the pass that held them) and those another
        # pass is sending, however many replies they hold (a storm's backlog hides no other reply)
        items = pending(self.db, self.channel.name, upto=upto, skip=[*self.blocked_until, *self._sending])
        self._missed.update(self._sending)  # read again once their pass ends
        grouped = group.installed(self.db.conn)
        if upto is not None and grouped is not None:  # the rest is sent once its group commits
            grouped.after_commit(self.wake.set)
        by_conversation: dict[str, list[Queued]] = {}
        for item in items:
            by_conversation.setdefault(str(item.reply.conversation), []).append(item)
        keys = list(by_conversation)
        probing = self.down_tries > 0 and len(keys) > 1
        if probing:  # the channel was refused: one conversation tries, the rest follow if it works;
            keys = [keys[self.probes % len(keys)]]  # each probe the next, so no one conversation stands for all
            self.probes += 1
        self._sending.update(keys)
        results = await asyncio.gather(*(self._sent(k, by_conversation[k], now) for k in keys))
        waits = [result for result in results if result is not None]
        end = loop.time()  # the conversations held back, unread: looked at again when their holds end
        waits += [until - end for until in self.blocked_until.values() if until > end]
        if probing and not self.down_tries:  # the channel works again: the others now
            waits.append(0.0)
        if look_again is not None:
            waits.append(look_again)
        return min(waits) if waits else None

    def _still_down(self) -> bool:
        """Whether the hold stands: not once the channel, which said why it failed, says it works
        (a call outside the outbox went through; the channel wakes its sender: ``Services.notify``)."""
        if self.down_why is not None and self.channel.failing() is None:
            self.down_until, self.down_why = 0.0, None
            return False
        return True

    def _down(self) -> float:
        """The platform refused the channel: hold all of it, longer each time in a row (once a pass)."""
        self.down_why = self.channel.failing()
        now = asyncio.get_running_loop().time()
        if self.down_until <= now:
            self.down_tries += 1
            wait = doubling(self.down_tries, self.down_first, self.down_most)
            self.down_until = now + wait
        return self.down_until - now

    def outage(self) -> str | None:
        """For ``/healthz``: an outage the log told of, still under way (no reply delivered)."""
        return self.outage_seen.health()

    def _hold(self, key: str, wait: float) -> float:
        self.blocked_until[key] = asyncio.get_running_loop().time() + wait
        return wait

    async def _sent(self, key: str, items: list[Queued], now: float) -> float | None:
        """:meth:`_conversation`, then ``key`` is free for the next pass at once (not when the
        slowest conversation of this pass is done); read again if a pass left it meanwhile."""
        try:
            return await self._conversation(key, items, now)
        except Exception as exc:  # the ledger refused a write: that conversation held (before it is free)
            log.error(texts.delivery_loop_failed(self.channel.name), exc_info=exc)
            return self._hold(key, backoff(3))
        finally:
            self._sending.discard(key)
            if key in self._missed:  # replies queued meanwhile in this conversation: the next pass
                self._missed.discard(key)
                self.wake.set()

    async def _conversation(self, key: str, items: list[Queued], now: float) -> float | None:
        held = self.blocked_until.get(key, 0.0) - now
        if held > 0:
            return held
        for item in items:
            if self.down_until > asyncio.get_running_loop().time():  # refused meanwhile, in another conversation
                return self.down_until - asyncio.get_running_loop().time()
            if item.id in self.unmarked:  # delivered, but the ledger would not say so: say it now
                delivered = self.unmarked[item.id]
                await group.writable(self.db.conn, math.inf)
            elif not self.may_send():  # the lease lapsed during this pass: the holder sends the rest
                return None
            elif self._given_up_since(item):  # withheld since this pass read it (its run cancelled meanwhile)
                continue
            else:
                self.paced.tried(item.id)
                self.in_flight += 1  # a stopping server waits for it (see bot.server)
                try:
                    # what the post or its refusal teaches is written next, the write lock taken
                    # first: the loop serves the others while another process holds it
                    try:
                        platform_id = await self._deliver(item)
                    except Exception:
                        await group.writable(self.db.conn, math.inf)
                        raise
                    delivered = Delivered(platform_id, self.channel.said_in(item.id))
                    self.down_tries = 0  # the channel works (again)
                    self.outage_seen.over()
                    self.unmarked[item.id] = delivered  # sent: until the mark is committed, never sent again
                    try:
                        await group.writable(self.db.conn, math.inf)
                    except sqlite3.Error:  # sent, not marked: marked on a later pass (of this process)
                        log.exception(texts.delivery_unmarked(self.channel.name, item.id))
                        return self._hold(key, backoff(3))
                except ChannelDown as exc:  # not this reply's fault: kept, whatever its age
                    kept_write(
                        self.db, partial(mark_channel_down, channel=self.channel.name, error=f"retry: {exc.reason}")
                    )
                    return self._down()
                except RetryLater as exc:
                    if not exc.attempt:  # held back by our own pacing: nothing was refused
                        self.paced.hold(item.id, key)
                        return self._hold(key, exc.seconds)
                    self.outage_seen.refused_for_now(exc.reason)
                    if self._expired(item):
                        why = texts.delivery_reason_expired(exc.reason)
                        self._give_up(item, f"gave up after {RETRY_FOR}: {exc.reason}", plain=why)
                        continue
                    failed = partial(mark_failed, message_id=item.id, error=f"retry: {exc.reason}")
                    kept_write(self.db, partial(failed, now=self.clock()))
                    # the wait a rate limit named (Retry-After) is what to wait: a storm of 429s is no outage to back
                    # off from; a 429 naming none (or 0) backs off as any refusal for now does
                    named = exc.rate_limited and exc.seconds > 0
                    wait = exc.seconds if named else max(exc.seconds, backoff(item.attempts))
                    return self._hold(key, wait)
                except DeliveryFailed as exc:
                    self._give_up(item, f"failed: {exc}", exc)
                    continue
                except Exception as exc:  # a defect in a channel: retried a few times, then given up
                    # (the platform may have taken it: a repeat is better than a question never asked)
                    log.exception(texts.delivery_crashed(self.channel.name, item.id))
                    error = f"{type(exc).__name__}: {exc}"
                    if self._expired(item) or item.attempts + 1 >= DEFECT_TRIES:
                        self._give_up(item, f"failed: {error}", plain=texts.delivery_reason_defect())
                        continue
                    kept_write(
                        self.db, partial(mark_failed, message_id=item.id, error=f"retry: {error}", now=self.clock())
                    )
                    return self._hold(key, backoff(item.attempts))
                finally:
                    self.in_flight -= 1  # the mark below is written before the next await
            try:  # its row names where it was said from its mark on: until then, the conversation this pass holds
                with one_statement(self.db):  # one UPDATE: no savepoint of its own in the group
                    mark_sent(self.db, [item.id], self.clock(), *delivered.marks(item.id))
            except sqlite3.Error:  # sent, not marked: marked on a later pass (of this process)
                log.exception(texts.delivery_unmarked(self.channel.name, item.id))
                return self._hold(key, backoff(3))
            grouped = group.installed(self.db.conn)  # in the server the mark is a savepoint of a group
            if grouped is None:
                del self.unmarked[item.id]
            else:
                grouped.after_commit_told(partial(self._settled, item.id))
            self.delivered += 1
        return None

    def _given_up_since(self, item: Queued) -> bool:
        """Read again at the last moment: a turn handled while an earlier reply was being posted
        may have withheld this one (a cancelled run's question or reminder); unreadable: sent."""
        try:
            return given_up(self.db.conn, item.id)
        except sqlite3.Error:
            return False

    async def _deliver(self, item: Queued) -> str | None:
        """Deliver ``item``: in one message, or in the parts its channel cuts it into (a reply too
        long for the platform), from the first not yet delivered; the last part's id."""
        parts = self.channel.parts(item.reply)
        if len(parts) == 1:
            return await self.channel.deliver(item)
        platform_id: str | None = None
        for n in range(max(item.parts_sent, self.parts_done.get(item.id, 0)), len(parts)):
            platform_id = await self.channel.deliver(replace(item, reply=parts[n], part=n, parts=len(parts)))
            self.parts_done[item.id] = n + 1  # the last too: parts_sent counts every part delivered
            try:
                await group.writable(self.db.conn, math.inf)
                kept_write(self.db, partial(mark_part, message_id=item.id, parts_sent=n + 1))
            except sqlite3.Error:  # this process still knows: the part is not sent again by it
                log.exception(texts.delivery_unmarked(self.channel.name, item.id))
        self.parts_done.pop(item.id, None)
        return platform_id

    def _settled(self, message_id: int, committed: bool) -> None:
        """The group holding a reply's mark has committed (the mark with it), or was lost: then
        the reply is pending again, and the next pass marks it without sending it again."""
        if committed:
            self.unmarked.pop(message_id, None)
            return
        try:
            row = self.db.conn.execute("SELECT delivered_at FROM messages WHERE id = ?", (message_id,)).fetchone()
        except sqlite3.Error:
            row = None  # unreadable now: the next pass looks again
        if row is not None and row[0] is not None:
            self.unmarked.pop(message_id, None)
        else:
            self.wake.set()

    def _expired(self, item: Queued) -> bool:
        """Refused for now for longer than ``RETRY_FOR`` since its first refusal (not counting a
        time its channel was refused as a whole, nor the time it waited before its first try)."""
        return item.retry_since is not None and item.retry_since < iso(self.clock() - RETRY_FOR)

    def _give_up(
        self, item: Queued, error: str, failure: DeliveryFailed | None = None, plain: str | None = None
    ) -> None:
        """Stop trying ``item``: marked failed, logged, and its run's facilitator told (see
        :mod:`bot.notices`) in the same write, unless it was a notice itself."""
        self.parts_done.pop(item.id, None)
        self.given_up += 1
        reply, name, now = item.reply, self.channel.name, self.clock()
        notice: notices.Notice | None = None
        try:
            notice = notices.plan(self.db.conn, item.id, reply, error, failure, self.channel.reaches_directly, plain)
        except sqlite3.Error as exc:  # the mark goes on: a notice is worth less than the outbox moving
            log.error(texts.notice_failed(name, reply.run_id, item.id, str(exc)))

        def write(conn: sqlite3.Connection) -> int | None:
            mark_failed(conn, item.id, error, now)
            return notices.write(conn, notice, now) if notice is not None else None

        queued = kept_write(self.db, write)
        log.warning(texts.delivery_given_up(name, item.id, reply.run_id, reply.kind, error))
        if reply.kind == notices.NOTICE:
            log.warning(texts.notice_not_noticed(name, reply.run_id, item.id))
        elif notice is not None and notice.reply is None:
            log.warning(notices.logged(name, reply.run_id, item.id, notice))
        elif notice is not None and queued is None:
            log.info(notices.logged(name, reply.run_id, item.id, notice, queued=False))
        elif notice is not None and notice.reply is not None:
            log.info(notices.logged(name, reply.run_id, item.id, notice))
            self.wake.set()  # the notice goes out on the next pass (once its group, if any, commits)
        self.channel.given_up(item)
