"""Quiet hours and quiet days: the part of each day, and the days of the week, a run's reminders,
escalations and expiries wait out, on the clock of the person each reaches (see ``bot.chase``):
``DECISIONBOT_QUIET_HOURS=20:00-08:00``, ``DECISIONBOT_QUIET_DAYS=sat,sun``. A chase timer falling
due then is put off to their end, and the rest of its chain with it: the quiet time does not count
as silence, so an alert at 19:30 reminded after an hour is reminded at 08:00, and escalated the
hours after that its flow says, not at the same moment; one on a Friday evening, on Monday at 08:00
(a quiet day ends with the quiet hours of the next working day's morning, else at its midnight)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class QuietHours:
    start: time | None  # None: no quiet hours (quiet days alone)
    end: time | None
    days: frozenset[int] = frozenset()  # weekdays, Monday 0

    @classmethod
    def parse(cls, text: str, days: str = "") -> QuietHours:
        """``HH:MM-HH:MM`` (the start, then the end, which may be the next day's; blank for none)
        and the quiet days (``sat,sun``: names or their first three letters); ValueError else."""
        start = end = None
        if text.strip():
            found = _SPAN.match(text)
            if not found:
                raise ValueError(text)
            h1, m1, h2, m2 = (int(g) for g in found.groups())
            start, end = time(h1, m1), time(h2, m2)  # ValueError for 25:00
            if start == end:
                raise ValueError(text)
        return cls(start, end, _days(days))

    def until(self, moment: datetime) -> datetime | None:
        """When the quiet time ``moment`` (aware, on a person's clock) falls in ends, on that
        clock; None when it falls in none."""
        woken = self._hours_end(moment)
        at = woken or moment
        if at.weekday() not in self.days:
            return woken
        day = at.date()
        while day.weekday() in self.days:
            day += timedelta(days=1)
        midnight = datetime.combine(day, time(0), tzinfo=moment.tzinfo)
        return self._hours_end(midnight) or midnight

    def day_off_until(self, moment: datetime) -> datetime | None:
        """When the quiet day ``moment`` falls on ends (as :meth:`until`); None on a working day,
        whatever the hour: what starts at a set hour (a review at 09:00) waits out days only."""
        return self.until(moment) if moment.weekday() in self.days else None

    def for_days(self, moment: datetime) -> bool:
        """Whether a quiet day keeps ``moment`` quiet past its quiet hours' end (if any): a Saturday
        noon, a Friday evening before a quiet Saturday; not a working day's evening."""
        until = self.until(moment)
        return until is not None and until != self._hours_end(moment)

    def _hours_end(self, moment: datetime) -> datetime | None:
        if self.start is None or self.end is None:
            return None
        now = moment.timetz().replace(tzinfo=None)
        if self.start < self.end:
            quiet = self.start <= now < self.end
        else:  # over midnight
            quiet = now >= self.start or now < self.end
        if not quiet:
            return None
        day = moment.date() if now < self.end else moment.date() + timedelta(days=1)
        end = datetime.combine(day, self.end, tzinfo=moment.tzinfo).replace(fold=moment.fold)
        if end.astimezone(UTC) <= moment.astimezone(UTC):  # ends in the hour an autumn change repeats:
            end = end.replace(fold=1)  # its second pass (the first is past: compared in UTC, not on the clock)
        return end if end.astimezone(UTC) > moment.astimezone(UTC) else None


def _days(text: str) -> frozenset[int]:
    found: set[int] = set()
    for word in (w.strip().lower() for w in text.split(",") if w.strip()):
        matches = [i for i, name in enumerate(DAY_NAMES) if len(word) >= 3 and name.startswith(word)]
        if len(matches) != 1:
            raise ValueError(text)
        found.add(matches[0])
    if len(found) == len(DAY_NAMES):  # no day left to wake on
        raise ValueError(text)
    return frozenset(found)
