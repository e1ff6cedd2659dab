"""A year said where a day is asked (a review or due date): its start, middle or end said outright
is read ("early 2027", "mid next year", "end of 2027"; "this year" is its end, as "this week"
is); a year alone ("in 2027", "2027", "next year") is refused (:class:`YearAlone`): it names no
day to hold anyone to, and any day picked for it (its 1st, its 31 December, or today's date a
year on, as dateparser read "next year") would be a guess the chase then keeps."""

from __future__ import annotations

import re
from datetime import date


class YearAlone(ValueError):
    """The text names a whole year and no day in it; ``year``: which."""

    def __init__(self, year: int) -> None:
        super().__init__(f"the year {year} names no day")
        self.year = year


_YEAR = r"(?:(?P<number>[1-9]\d{3})|(?P<which>this|next) year)"
# "end of 2027", "by the end of next year" (its lead word gone), "late 2027": 31 December;
# "early 2027", "start of next year": 1 January; "mid 2027", "mid-next year": 1 July
_PART = re.compile(
    r"(?:(?P<end>(?:the )?end of (?:the )?|late )|(?P<start>(?:the )?(?:beginning|start) of (?:the )?|early )"
    rf"|(?P<mid>mid-? ?|(?:the )?middle of (?:the )?)){_YEAR}"
)
# "2027", "in 2027", "sometime next year", "in the next year", "during 2027"
_ALONE = re.compile(rf"(?:(?:some ?time|in|during|within|for|the) )*{_YEAR}")


def year_day(phrase: str, today: date) -> date | None:
    """The day a year's part names (``phrase`` lower-case, its lead word gone); None when it
    names no year. YearAlone for a year alone; "this year" is its last day."""
    if match := _PART.fullmatch(phrase):
        year = _year(match, today)
        return date(year, 12, 31) if match["end"] else date(year, 1, 1) if match["start"] else date(year, 7, 1)
    if match := _ALONE.fullmatch(phrase):
        if match["which"] == "this":
            return date(today.year, 12, 31)
        raise YearAlone(_year(match, today))
    return None


def _year(match: re.Match[str], today: date) -> int:
    return int(match["number"]) if match["number"] else today.year + (match["which"] == "next")
