"""Requests refused at the server's edge, told in the log at most once a minute per kind: a
Slack request whose signature does not verify, a Teams request whose token does not, a hook's
request without its token or with a bad body. Anyone who can reach the server can send them, and
a line each let one client write thousands of lines a second: journald then drops the service's
lines for the rest of its interval, the real errors among them. The line a kind gets after its
quiet minute counts the ones left out."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

#: Seconds between two log lines of one kind of refusal.
TOLD_EVERY = 60.0


@dataclass
class RefusalLog:
    logger: logging.Logger
    level: int = logging.WARNING
    told: dict[Hashable, float] = field(default_factory=dict)  # kind -> when last logged
    untold: dict[Hashable, int] = field(default_factory=dict)  # kind -> refusals since, not logged

    def tell(self, kind: Hashable, line: Callable[..., str], *args: Any) -> None:
        """Log ``line(*args, left_out)`` unless a refusal of ``kind`` was logged less than
        TOLD_EVERY seconds ago (then it is only counted); ``left_out``: those counted since the
        last line."""
        now = time.monotonic()
        if now - self.told.get(kind, -math.inf) < TOLD_EVERY:
            self.untold[kind] = self.untold.get(kind, 0) + 1
            return
        self.told[kind] = now
        self.logger.log(self.level, line(*args, self.untold.pop(kind, 0)))

    def forget(self) -> None:
        """Start afresh: the next line of any kind is logged at once, counting none left out before it."""
        self.told.clear()
        self.untold.clear()
