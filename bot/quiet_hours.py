"""Quiet hours: the part of each day a run's reminders, escalations and expiries wait out, on the
clock of the person each reaches (see ``bot.chase``): ``DECISIONBOT_QUIET_HOURS=20:00-08:00``. A chase timer
falling due then is put off to the end of the quiet hours, and the rest of its chain with it: the
quiet hours do not count as silence, so an alert at 19:30 reminded after an hour is reminded at
08:00, and escalated the hours after that its flow says, not at the same moment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``HH:MM-HH:MM`` (the start, then the end, which may be the next day's); ValueError else."""
        found = _SPAN.match(text)
        if not found:
            raise ValueError(text)
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = time(h1, m1), time(h2, m2)  # ValueError for 25:00
        if start == end:
            raise ValueError(text)
        return cls(start, end)

    def until(self, moment: datetime) -> datetime | None:
        """When the quiet hours ``moment`` (aware, on a person's clock) falls in end, on that
        clock; None when it falls in none."""
        now = moment.timetz().replace(tzinfo=None)
        if self.start < self.end:
            quiet = self.start <= now < self.end
        else:  # over midnight
            quiet = now >= self.start or now < self.end
        if not quiet:
            return None
        day = moment.date() if now < self.end else moment.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=moment.tzinfo)
