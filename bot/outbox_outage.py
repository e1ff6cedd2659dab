"""What the log and ``/healthz`` say of a channel none of whose replies goes through: an outage
(replies refused for now, by 429s, 5xx or the network) is told once when it has lasted
OUTAGE_TOLD_AFTER, and once more when a reply goes through again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import texts
from bot.store import iso

log = logging.getLogger("bot.outbox")

#: How long a channel's replies are refused for now (5xx, 429, the network), none delivered, before
#: the log says so: longer than a passing hiccup, soon enough for an operator to look.
OUTAGE_TOLD_AFTER = timedelta(minutes=1)


class Outage:
    """One channel's replies refused for now, none delivered: since when, why, and whether told."""

    def __init__(self, channel: str, clock: Callable[[], datetime]):
        self.channel = channel
        self.clock = clock
        self.since: datetime | None = None  # replies refused for now, none delivered, since (wall clock)
        self.told = False  # the log said so (once an outage; once more when one goes through)
        self.why = ""  # the last refusal's reason

    def refused_for_now(self, reason: str) -> None:
        """A reply refused for now: retried quietly, but a channel none of whose replies has gone
        through for OUTAGE_TOLD_AFTER is logged, once (its replies wait in the outbox)."""
        now = self.clock()
        self.why = reason
        if self.since is None:
            self.since = now
        elif not self.told and now - self.since >= OUTAGE_TOLD_AFTER:
            self.told = True
            log.warning(texts.delivery_outage(self.channel, reason, iso(self.since)))

    def health(self) -> str | None:
        """For ``/healthz``: what the log told of an outage still under way; None while replies go through."""
        if not self.told or self.since is None:
            return None
        return texts.delivery_outage_health(iso(self.since), self.why)

    def over(self) -> None:
        """A reply went through: an outage the log told of is said to be over."""
        if self.told:
            log.info(texts.delivery_outage_over(self.channel, iso(self.since or self.clock())))
        self.since, self.told = None, False
