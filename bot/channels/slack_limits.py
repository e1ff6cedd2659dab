"""What keeps the bot within Slack's limits: about one message a second per channel
(:class:`Pacer`), about 50 direct messages opened a minute (:func:`dm_opens`), and a bounded number of replies committed but not yet sent (:class:`Backlog`),
so that a slow Slack holds new turns back briefly instead of letting the queue grow."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time
from collections.abc import Callable

from bot.bounded import CACHED_AT_MOST

#: How long past its slot a message's reserved slot is kept for it, once there are many.
RESERVED_FOR = 60.0


class Pacer:
    """Slack takes about one message per second per channel, with short bursts: a generic cell
    rate per channel, ``burst`` messages at once, then one per ``interval`` seconds. A message
    that has to wait gets a reserved slot, so its retry goes out without waiting again. With a
    ``margin``, each goes that much later than the rate allows (against the jitter of the calls'
    way to Slack, when the pace is Slack's own limit). A slot whose message is withheld before it
    comes (its run cancelled) is released: the channel's next message takes it. Past ``most``
    channels, or slots, those long past are forgotten: a server up for months keeps no entry per
    channel it ever wrote to, nor the slot of each message that never came back for it (its run
    ended, it was given up)."""

    def __init__(
        self,
        interval: float = 1.0,
        burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        margin: float = 0.0,
        most: int = CACHED_AT_MOST,
    ):
        self.interval = interval
        self.tolerance = interval * burst - margin
        self.clock = clock
        self.most = most
        self._tat: dict[str, float] = {}
        self._reserved: dict[int, tuple[str, float]] = {}  # ticket -> (channel, its slot)
        self._freed: dict[str, list[float]] = {}  # channel -> slots released between others, the next to take
        self._told: dict[str, float] = {}  # what the log said of a channel held back, and when

    def wait(self, channel: str, ticket: int) -> float:
        """Seconds ``ticket`` must wait before posting in ``channel``; 0 to go now."""
        if self.interval <= 0:
            return 0.0
        now = self.clock()
        if ticket in self._reserved:
            at = self._reserved[ticket][1]
            if at <= now:
                del self._reserved[ticket]
                return 0.0
            return at - now
        if (freed := self._freed_slot(channel, now)) is not None:
            self._reserved[ticket] = (channel, freed)
            return freed - now
        tat = max(self._tat.get(channel, now), now)
        send_at = tat - self.tolerance
        self._tat[channel] = tat + self.interval
        if len(self._tat) > self.most:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        if send_at <= now:
            return 0.0
        self._reserved[ticket] = (channel, send_at)
        if len(self._reserved) > self.most:  # a slot a minute past: its message is not coming (or waits again)
            self._reserved = {k: v for k, v in self._reserved.items() if v[1] > now - RESERVED_FOR}
        return send_at - now

    def _freed_slot(self, channel: str, now: float) -> float | None:
        """The next slot released in ``channel`` still to come, taken; None: none."""
        freed = self._freed.get(channel)
        while freed and freed[0] <= now:
            freed.pop(0)
        if not freed:
            self._freed.pop(channel, None)
            return None
        return freed.pop(0)

    def give_back(self, channel: str, ticket: int) -> None:
        """``ticket`` will not post after all: its slot goes to the next message (if none came after it)."""
        found = self._reserved.pop(ticket, None)
        if found is not None and self._last(channel, found[1]):
            self._tat[channel] -= self.interval

    def release(self, ticket: int) -> None:
        """``ticket``'s message was withheld while it waited for its slot (its run cancelled): the
        slot goes to the channel's next message (the last one reserved: given back; one between
        others: kept for the next message that asks)."""
        found = self._reserved.pop(ticket, None)
        if found is None or found[1] <= self.clock():
            return
        channel, at = found
        if self._last(channel, at):
            self._tat[channel] -= self.interval
        else:
            bisect.insort(self._freed.setdefault(channel, []), at)

    def _last(self, channel: str, at: float) -> bool:
        """Whether the slot at ``at`` is the last ``channel`` gave."""
        return math.isclose(self._tat.get(channel, math.nan), at + self.tolerance + self.interval)

    def forget(self, ticket: int) -> None:
        """``ticket`` went out before its reserved slot (it could wait no longer)."""
        self._reserved.pop(ticket, None)

    def tell(self, about: str, every: float = 60.0) -> bool:
        """Whether the log should say ``about`` is held back now: once every ``every`` seconds."""
        now = self.clock()
        if now - self._told.get(about, -math.inf) < every:
            return False
        if len(self._told) > self.most:
            self._told = {k: v for k, v in self._told.items() if now - v < every}
        self._told[about] = now
        return True

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said 429 for ``channel``: nothing more goes there for ``seconds``. The slots reserved
        there before that ends are not kept (Slack would refuse them too): their messages take the
        first slots after it, in their order."""
        now = self.clock()
        self._tat[channel] = max(self._tat.get(channel, now), now + seconds + self.tolerance)
        self._freed.pop(channel, None)  # slots released before the hold ends: Slack would refuse them
        self._reslot(channel, now + seconds)

    def _reslot(self, channel: str, free_at: float) -> None:
        """The slots reserved in ``channel``, in their order, each at ``free_at`` or later and
        ``interval`` apart from the one before; the next message's slot after them all."""
        reserved = sorted((at, ticket) for ticket, (where, at) in self._reserved.items() if where == channel)
        for at, ticket in reserved:
            slot = max(at, free_at)
            self._reserved[ticket] = (channel, slot)
            free_at = slot + self.interval
        if reserved:
            self._tat[channel] = max(self._tat[channel], free_at + self.tolerance)


#: ``conversations.open``: Slack's Tier 3, 50 a minute, after a burst it does not publish (10 at once
#: stay within it). The bot opens them at that pace, each ``DM_OPENS_MARGIN`` seconds later than it
#: allows (one call's way to Slack may be quicker than the one before it): 9 at once, the tenth a
#: quarter of a second later, then one every 1.2 s.
DM_OPENS_PER_MINUTE = 50
DM_OPENS_AT_ONCE = 10
DM_OPENS_MARGIN = 0.25
#: The one key direct messages are opened under: Slack counts them per workspace, not per channel.
DM_OPENS = "conversations.open"


def dm_opens() -> Pacer:
    """The pace direct messages are opened at (``conversations.open``, keyed :data:`DM_OPENS`):
    ``DM_OPENS_AT_ONCE`` at once, then ``DM_OPENS_PER_MINUTE`` a minute. Each direct message to
    open takes the next slot (reserved: it goes then without waiting again), so a question to 150
    people meets no 429 a person; a direct message already open takes none."""
    return Pacer(interval=60.0 / DM_OPENS_PER_MINUTE, burst=DM_OPENS_AT_ONCE - 1, margin=DM_OPENS_MARGIN)


class Backlog:
    """Replies committed but not yet delivered, bounded. When the outbox falls behind (Slack slow,
    or more turns than replies can go out), new turns wait for room, at most ``patience`` seconds
    (well inside Slack's 3 s), so the queue of unsent replies stays short instead of growing.
    ``recount``: the replies the ledger still holds to send, asked when the count reaches
    ``limit`` (a reply withheld unsent, its run cancelled, was counted and is never delivered: the
    count kept only growing, and once at ``limit`` every request waited ``patience``)."""

    def __init__(self, limit: int = 256, patience: float = 1.0, recount: Callable[[], int] | None = None):
        self.limit = limit
        self.patience = patience
        self.recount = recount
        self.count = 0
        self._room = asyncio.Event()
        self._room.set()

    def add(self, n: int) -> None:
        self.count += n
        if self.count >= self.limit and self.recount is not None:
            self.count = self.recount()
        if self.count >= self.limit:
            self._room.clear()

    def done(self) -> None:
        self.count = max(0, self.count - 1)
        if self.count <= self.limit // 2:
            self._room.set()

    async def room(self) -> None:
        if not self._room.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), self.patience)
