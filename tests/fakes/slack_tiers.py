"""Slack's rate limits as the fake Web API keeps them: per method (per channel for
``chat.postMessage``), a generic cell rate with a burst, answered 429 with ``Retry-After``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Tier:
    """A method's rate limit as Slack keeps it: ``per_minute`` calls, ``burst`` of them at once,
    counted per channel (``chat.postMessage``: about one a second in each) or per workspace."""

    per_minute: float
    burst: int = 1
    per_channel: bool = False
    due: dict[str, float] = field(default_factory=dict)  # key -> theoretical arrival time (monotonic)

    def retry_after(self, channel: str, now: float) -> int:
        """0 when a call may go now (it is counted); else the whole seconds Slack's Retry-After says."""
        interval = 60.0 / self.per_minute
        key = channel if self.per_channel else ""
        tat = max(self.due.get(key, now), now)
        allowed_at = tat - interval * (self.burst - 1)
        if allowed_at > now:
            return max(1, math.ceil(allowed_at - now))
        self.due[key] = tat + interval
        return 0


#: Slack's published limits for the methods a burst leans on: ``chat.postMessage`` about one a second
#: per channel with short bursts, ``conversations.open`` Tier 3 (50+ a minute), ``users.info`` Tier 4
#: (100+ a minute). Slack does not publish its bursts: these are guesses on the strict side.
SLACK_TIERS = {
    "chat.postMessage": (60, 4, True),
    "conversations.open": (50, 10, False),
    "users.info": (100, 20, False),
}
