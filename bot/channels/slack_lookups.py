"""Slack's ``users.info`` within its rate limit (Tier 4: about 100 a minute, after a burst).

A trigger naming 150 people asks who they all are at once; beyond Slack's burst it answers 429
with ``Retry-After``. :class:`HeldLookups` keeps those people (they go by their user id for now),
asks Slack nothing more while it said to wait, then looks them up again in the background, one
at a time at Tier 4's pace, and hands each person found to the channel (cached, stored, named in
the open runs). The log says so once a minute, not once a person. Lookups are made
``AT_ONCE`` at most at a time, so that a burst meets a few 429s, not one a person; one that cannot
be made within its second is held back the same way (Slack slow: a turn never waits behind a burst).

A lookup Slack itself does not answer within its second (Slack slow, not a 429) is held back the
same way, Slack asked nothing more meanwhile for ``SLOW_FIRST`` seconds, then twice as long after
each lookup made again that it is still slow to answer (``SLOW_MOST`` at most), and the log says
so once a minute. A lookup made again that fails unexpectedly is logged, and the others go on;
the people found before it are handed on all the same."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot import texts
from bot.store.people import Person

log = logging.getLogger("decisionbot.slack")

#: Lookups in flight at most: Slack's burst for users.info is not published (10 at a time stay within it).
AT_ONCE = 10
#: Seconds between two lookups made again: Tier 4's 100 a minute.
PACE = 0.6
#: People found in the background named in the open runs together, at most (one write).
BATCH = 20
#: Seconds Slack is asked no lookup after it was slow to answer one (not a 429); twice as long each
#: time it is still slow, up to SLOW_MOST.
SLOW_FIRST = 2.0
SLOW_MOST = 60.0
#: Seconds lookups are held back after a 429 at least, whatever its ``Retry-After`` (``0``, or a
#: negative one: made again at once, each met the next 429 at once, with no pause between).
RATE_LIMITED_LEAST = 1.0

Fetch = Callable[[str], Awaitable["Person | None"]]


class HeldLookups:
    """People whose lookup Slack refused for now (by actor id, in the order refused), and when
    Slack said it takes lookups again. ``fetch`` is the channel's lookup (which calls :meth:`hold`
    on a 429); ``found`` takes the people it then names (a batch at a time)."""

    def __init__(
        self,
        fetch: Fetch,
        found: Callable[[list[Person]], None],
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        clock: Callable[[], float] = time.monotonic,
    ):
        self.fetch = fetch
        self.found = found
        self.spawn = spawn
        self.clock = clock
        self.gate = asyncio.Semaphore(AT_ONCE)
        self.waiting: dict[str, None] = {}
        self.until = -math.inf
        self.draining = False
        self._told = -math.inf
        self._again: set[str] = set()  # held back since the drain last asked about them
        self.slow_for = 0.0  # how long the last slow answer held lookups back (0: Slack answers in time)

    async def admit(self, actor_id: str, within: float) -> bool:
        """Whether ``actor_id`` may be looked up now, a slot taken (:meth:`done` gives it back):
        not while Slack said to wait, nor when ``AT_ONCE`` lookups are still in flight after
        ``within`` seconds. Otherwise they are held back: looked up again in the background."""
        if not self.holding():
            try:
                await asyncio.wait_for(self.gate.acquire(), within)
            except TimeoutError:
                self.hold(actor_id)
                return False
            if not self.holding():
                return True
            self.gate.release()
        self.hold(actor_id)
        return False

    def done(self) -> None:
        self.gate.release()

    def holding(self) -> bool:
        """Whether Slack said to wait before the next lookup."""
        return self.clock() < self.until

    def slow(self, actor_id: str) -> None:
        """Slack did not answer ``actor_id``'s lookup in time: held back, and Slack asked nothing
        for a while; for longer when it is still slow once that while has passed."""
        if not self.holding():  # asked again since it was last slow (or never was): wait longer
            self.slow_for = min(self.slow_for * 2, SLOW_MOST) if self.slow_for else SLOW_FIRST
        self.hold(actor_id, self.slow_for)

    def answered(self) -> None:
        """Slack answered a lookup in time: it is not slow (any more)."""
        self.slow_for = 0.0

    def limited(self, actor_id: str, seconds: float) -> None:
        """Slack answered ``actor_id``'s lookup 429, saying to wait ``seconds`` (made sane by
        ``bot.channels.retry_after``): held back that long, RATE_LIMITED_LEAST at least."""
        self.hold(actor_id, max(seconds, RATE_LIMITED_LEAST))

    def hold(self, actor_id: str, seconds: float = 0.0) -> None:
        """``actor_id``'s lookup waits: Slack answered 429 (``seconds``: its Retry-After), or was
        slow to answer, or said to wait earlier. They are looked up again once that has passed."""
        self.until = max(self.until, self.clock() + seconds)
        self.waiting[actor_id] = None
        self._again.add(actor_id)
        if not self.draining:
            self.draining = True
            self.spawn(self._drain())

    async def _drain(self) -> None:
        """Look the people waiting up again, one at a time at Slack's pace, each once Slack takes
        lookups again; those found handed on in batches (and whatever ends the drain)."""
        learnt: list[Person] = []
        try:
            while self.waiting:
                if self.holding():
                    learnt = self._hand_on(learnt)
                    await asyncio.sleep(self.until - self.clock())
                    self._tell()  # once Slack's wait is over: everyone the burst held back is counted
                actor_id = next(iter(self.waiting))
                self._again.discard(actor_id)
                person = await self._fetch(actor_id)
                if person is None and actor_id in self._again:
                    continue  # held back again: it stays first, and waits (a new Retry-After)
                self.waiting.pop(actor_id, None)  # found, or refused for good (logged): no more
                if person is not None:
                    learnt.append(person)
                if len(learnt) >= BATCH:
                    learnt = self._hand_on(learnt)
                await asyncio.sleep(PACE)
        except asyncio.CancelledError:  # the server stops: nothing more is written
            learnt = []
            raise
        finally:
            self.draining = False
            self._hand_on(learnt)

    async def _fetch(self, actor_id: str) -> Person | None:
        """``fetch``, whose unexpected failure is this person's alone (logged): None."""
        try:
            return await self.fetch(actor_id)
        except Exception:
            log.exception(texts.slack_lookup_crashed(actor_id))
            return None

    def _hand_on(self, learnt: list[Person]) -> list[Person]:
        if learnt:
            self.found(learnt)
        return []

    def _tell(self) -> None:
        """Say in the log that lookups are held back, and how many: once a minute at most."""
        now = self.clock()
        if now - self._told < 60.0:
            return
        self._told = now
        if self.slow_for:
            log.warning(texts.slack_lookups_slow(len(self.waiting), self.slow_for))
        else:
            log.warning(texts.slack_lookups_held(len(self.waiting), len(self.waiting) * PACE))
