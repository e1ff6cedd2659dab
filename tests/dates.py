"""Dates typed where a test (or a bench) only needs "a date in the future": a due date, a review
date, a new due date. The product reads the wall clock and refuses a date already past, so a fixed
year expires (2030-01-10 as a due date is refused from that day on). Each is derived once from
today, three years ahead, on the month and day the test chose: far enough that no test's run
reaches it, near enough that every reader takes it; their order is the calendar's. ISO, as typed,
stored and shown. Tests on a settable clock (tests/clock.py) set a fixed moment instead."""

from __future__ import annotations

from datetime import date

YEAR = date.today().year + 3


def ahead(month: int, day: int) -> str:
    """``month``/``day`` in :data:`YEAR`, ISO (``YYYY-MM-DD``)."""
    return date(YEAR, month, day).isoformat()


JAN10 = ahead(1, 10)
JAN12 = ahead(1, 12)
JAN15 = ahead(1, 15)
JAN16 = ahead(1, 16)
JAN20 = ahead(1, 20)
FEB1 = ahead(2, 1)
FEB15 = ahead(2, 15)
MAR1 = ahead(3, 1)
APR1 = ahead(4, 1)
JUN1 = ahead(6, 1)
