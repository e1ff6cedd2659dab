"""A settable clock for the dispatcher and the scheduler: time moves when a test moves it, by
setting ``now`` or with ``at`` (a time after the moment it started at)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    def __init__(self, start: datetime) -> None:
        self.start = self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, **delta: float) -> datetime:
        """Move to ``delta`` (``timedelta``'s keywords) after the start; the moment moved to."""
        self.now = self.start + timedelta(**delta)
        return self.now
