"""Read a day from what people type: common phrases (ISO dates, "15.06.", "the 4th",
"tomorrow", "in 2 weeks", "next friday", "end of month", ...) take fast paths that cost
microseconds; anything else goes to :mod:`dateparser`, imported on first use because loading it
takes about 100 ms. Days are read in the speaker's time zone (the ``now`` given)."""

from __future__ import annotations

import calendar
import contextlib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine.dates_years import YearAlone as YearAlone  # raised by read()
from bot.engine.dates_years import year_day

_DAY_NAMES = (
    ("monday", "mon"),
    ("tuesday", "tue", "tues"),
    ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
_WEEKDAYS = {name: day for day, names in enumerate(_DAY_NAMES) for name in names}
_DAY_OFFSETS = {
    "today": 0,
    "eod": 0,
    "end of day": 0,
    "end of the day": 0,
    "cob": 0,
    "close of business": 0,
    "tonight": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "next week": 7,
}
# "tomorrow" as people type it in a hurry: read as the word (dateparser knows none of them)
_TOMORROW_TYPED = re.compile(r"\b(?:tmrw|tmr|2morrow|tomm?orr?r?ow)\b")
# The end of a day said beside the day ("tomorrow eod", "friday cob", "by end of day monday"): the day
_DAY_END_WORDS = r"(?:eod|cob|end of (?:the )?day|close of business)"
_BESIDE_DAY_END = re.compile(rf"^(?:by )?{_DAY_END_WORDS},? (?=\S)|(?<=\S),? (?:by |at )?{_DAY_END_WORDS}$")
# "by friday", "on the 4th", "due tomorrow": the day itself
_LEAD = re.compile(r"(?:due (?:by |on )?|by |on |until |till )")
# A day of the month: "the 4th", "21st", "the 31st of the month" (dateparser reads "the 4th" as April)
_ORDINAL = re.compile(r"(?:the )?(\d{1,2})(?:st|nd|rd|th)(?: of (?:the |this )?month)?")
_END_ABBR = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_RELATIVE = re.compile(r"(?:in )?(\d{1,4}|an?|one) (day|week|month|year)s?(?: from (?:now|today))?")
_END = re.compile(r"(?:the )?end of (?:the |this )?(next )?(week|month|quarter|year)")
_BARE_NUMBER = re.compile(r"[+-]?\d+")
# Short forms: "2w", "3d", "in 2 wks", "1m" (a month: a due date is no minute away), "1y"
_SHORT = re.compile(r"(?:in )?(\d{1,4}) ?(d|days?|w|wks?|m|mos?|y|yrs?)")
_SHORT_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
# A weekday of next week: "friday next week", "next week friday", "friday of next week", "friday week"
_IN_NEXT_WEEK = re.compile(r"(?:(\w+)(?: of)? next week|next week(?: on)? (\w+)|(\w+) week)")
# "This week" as a due date: its end, as "end of week" (on a weekend, the coming Friday)
_THIS_WEEK = re.compile(r"(?:(?:later |sometime )?this|within the|within this) week")
# "As soon as possible" names no day to hold anyone to: refused with a hint to say which
_NO_DAY_YET = re.compile(r"a\.?s\.?a\.?p\.?|as soon as (?:possible|you can|we can)|soonest")
# A quarter or a half year: "Q3", "end of Q3", "by q2 2027", "in Q4", "H1", "end of H2 2027": its last day
_QUARTER = re.compile(r"(?:(?:the )?end of |in )?(?:q([1-4])|h([12]))(?: (\d{4}))?")
# Words before a day that correct what was said ("no wait, the 15th", "actually friday") or round it
# ("around friday"), and after it ("tomorrow-ish", "friday or so"): the day is what counts
_HEDGED = re.compile(
    r"^(?:(?:(?:no|nope|oops|sorry|wait|actually|i mean|rather|make (?:that|it)|around|roughly|about)"
    r"(?:[,:;!]+ ?| ))+(?=\S))?(?P<day>.+?)(?:-ish| ish| or so)?$"
)
_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
} | {"sept": 9}
# A month alone, its middle, its start or its end: "january", "in jan", "mid december",
# "mid-dec", "end of january", "beginning of march" (or "early march": its 1st, the earliest day
# "early" allows, "late march" its end); also "mid next month", "start of next month"; with its
# year ("january 2027", "end of march 2027"), that year's (dateparser would take today's day of month)
_IN_MONTH = re.compile(
    r"(?:(?P<mid>mid-? ?|middle of )|(?P<end>(?:the )?end of |late )|(?P<start>(?:the )?(?:beginning|start) of |early )|in )?"
    r"(?P<month>[a-z]+|next month)(?:,? (?P<year>\d{4}))?"
)
# A month as ISO writes it ("2027-01"): its 1st, as "january 2027"
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
# European day.month: "15.06.", "15.06.2027", "15.06.27" (dateparser would read "15.06" as 15:06).
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?")
# Day and month by slashes: "03/04", "3/4/2027", "03/04/27": which is the day, the writer's locale says.
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?")
# Where two numbers read month first ("3/4" is March 4): the US and the places that write as it
# does, Canada (both ways), and the languages that write year, month, day (a day and month: M/D).
_MONTH_FIRST_REGIONS = frozenset({"us", "um", "as", "gu", "mp", "pr", "vi", "fm", "mh", "pw", "ph", "bz", "ca"})
_MONTH_FIRST_LANGUAGES = frozenset({"zh", "ja", "ko"})
# A time of day and nothing else ("15:06", "3pm", "at 10:30 am", "noon"; after a lead word too:
# "by noon", "until 5pm"): not a day. Which day it is the speaker says ("today", "tomorrow 3pm").
_TIME_ONLY = re.compile(
    r"(?:at |@ ?)?(?:noon|midday|midnight|\d{1,2}[:h]\d{2}(?::\d{2})?|\d{1,2}(?:[:.h]\d{2})?"
    r" ?(?:[ap]\.?m\.?|o'?clock))(?: ?(?:utc|gmt|z|[a-z]{2,3}t|[+-]\d{1,2}(?::?\d{2})?))?"
)


class TimeAlone(ValueError):
    """The text is a time of day and names no day ("noon", "by 3pm", "midnight")."""


class NoDayYet(ValueError):
    """The text asks for speed and names no day ("asap", "as soon as possible")."""


def _add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamped to the end of the target month."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _end_of(unit: str, today: date, later: int) -> date:
    """Last day of this (``later=0``) or a later week (its Friday), month, quarter or year."""
    if unit == "week":
        return today + timedelta(days=(4 - today.weekday()) % 7 + 7 * later)
    if unit == "month":
        return _month_end(_add_months(today.replace(day=1), later))
    if unit == "quarter":
        quarter_end = today.replace(month=(today.month - 1) // 3 * 3 + 3, day=1)
        return _month_end(_add_months(quarter_end, 3 * later))
    return date(today.year + later, 12, 31)


def _relative(count: str, unit: str, today: date) -> date:
    n = int(count) if count.isdigit() else 1
    if unit in ("day", "week"):
        return today + timedelta(days=n * (7 if unit == "week" else 1))
    return _add_months(today, n * (12 if unit == "year" else 1))


def _day_month(day: int, month: int, today: date) -> date:
    """The next ``day``.``month`` from ``today`` on (today itself included); ValueError if none."""
    for year in range(today.year, today.year + 9):  # 29.02. may be up to 8 years away
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise ValueError(f"no day {day}.{month}.")


def _dotted(match: re.Match[str], today: date) -> date:
    day, month, year = int(match[1]), int(match[2]), match[3]
    if year is None:
        return _day_month(day, month, today)
    return date(int(year) + (2000 if len(year) == 2 else 0), month, day)


def _day_of_month(day: int, today: date) -> date:
    """The next ``day`` of a month from ``today`` on (today itself included): the 31st said in
    November is December's; ValueError for a day no month has."""
    first = today.replace(day=1)
    for ahead in range(12):
        with contextlib.suppress(ValueError):
            found = _add_months(first, ahead).replace(day=day)
            if found >= today:
                return found
    raise ValueError(f"no day {day} of a month")


def _next_week_day(name: str, today: date) -> date | None:
    """The day named ``name`` in the week after this one (weeks start on Monday)."""
    weekday = _WEEKDAYS.get(name)
    if weekday is None:
        return None
    return today + timedelta(days=7 - today.weekday() + weekday)


def _month_start(month: int, today: date) -> date:
    """The 1st of the next ``month`` to start after ``today`` ("january" said in November is the
    coming one; "november" said in November is next year's: this one has started)."""
    year = today.year if month > today.month else today.year + 1
    return date(year, month, 1)


def _in_month(match: re.Match[str], today: date) -> date | None:
    """A month alone (its 1st), its middle (the 15th), its start or its end, the next one to come;
    "next month" with its middle, start or end. None for a word that names no month."""
    name = match["month"]
    if match["year"]:
        return _in_month_of_year(match, int(match["year"]))
    if name == "next month":
        first = _add_months(today.replace(day=1), 1)
        if match["mid"]:
            return first.replace(day=15)
        if match["end"]:
            return _month_end(first)
        return first if match["start"] else None
    month = _MONTHS.get(name)
    if month is None:
        return None
    if match["mid"]:
        return _day_month(15, month, today)
    if match["end"]:  # "end of november" said in November is this one's
        return _month_end(_day_month(1, month, today.replace(day=1)))
    return _month_start(month, today)


def _in_month_of_year(match: re.Match[str], year: int) -> date | None:
    """A month of ``year`` ("january 2027": its 1st; "mid", "end of" as for a month alone)."""
    month = _MONTHS.get(match["month"])
    if month is None:
        return None
    first = date(year, month, 1)
    return first.replace(day=15) if match["mid"] else _month_end(first) if match["end"] else first


def _half_or_quarter(match: re.Match[str], today: date) -> date:
    """The last day of a quarter ("Q3") or a half ("H1") of the year said, or else of the next one
    to end from ``today`` on."""
    last_month = int(match[1]) * 3 if match[1] else int(match[2]) * 6
    end = _month_end(date(int(match[3] or today.year), last_month, 1))
    return end if match[3] or end >= today else _month_end(date(end.year + 1, end.month, 1))


def _fast_date(phrase: str, today: date) -> date | None:
    """The common phrases, without dateparser; ``None`` when the phrase is not one of them."""
    if lead := _LEAD.match(phrase):
        phrase = phrase[lead.end() :]
    if phrase in _DAY_OFFSETS:
        return today + timedelta(days=_DAY_OFFSETS[phrase])
    if phrase == "next month":
        return _add_months(today, 1)
    if _ISO.fullmatch(phrase):
        return date.fromisoformat(phrase)
    if match := _ISO_MONTH.fullmatch(phrase):
        return date(int(match[1]), int(match[2]), 1)
    if match := _DOTTED.fullmatch(phrase):
        return _dotted(match, today)
    if match := _ORDINAL.fullmatch(phrase):
        return _day_of_month(int(match[1]), today)
    weekday = _WEEKDAYS.get(phrase.removeprefix("next ").removeprefix("on "))
    if weekday is not None:
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    if phrase in _END_ABBR:
        return _end_of(_END_ABBR[phrase], today, 0)
    if match := _END.fullmatch(phrase):
        return _end_of(match[2], today, 1 if match[1] else 0)
    if match := _RELATIVE.fullmatch(phrase):
        return _relative(match[1], match[2], today)
    return _fast_short_or_month(phrase, today)


def _fast_short_or_month(phrase: str, today: date) -> date | None:
    """The shorter phrases: "2w", "this week", "friday next week", "friday week", "january",
    "mid december", "march 2027", "Q3", "H1", "end of 2027" (:mod:`bot.engine.dates_years`)."""
    if match := _SHORT.fullmatch(phrase):
        return _relative(match[1], _SHORT_UNITS[match[2][0]], today)
    if _THIS_WEEK.fullmatch(phrase):
        return _end_of("week", today, 0)
    if (match := _IN_NEXT_WEEK.fullmatch(phrase)) and (
        day := _next_week_day(next(filter(None, match.groups())), today)
    ):
        return day
    if (match := _IN_MONTH.fullmatch(phrase)) and (month := _in_month(match, today)):
        return month  # (not "in 2027", "early 2027": their word names no month)
    if match := _QUARTER.fullmatch(phrase):
        return _half_or_quarter(match, today)
    return year_day(phrase, today)  # "end of 2027", "early next year"; "in 2027" alone: YearAlone


def _without_day_end(phrase: str) -> str:
    """``phrase`` without the end of day said beside its day ("tomorrow eod" is tomorrow); "by
    eod" alone stays: it is today's end."""
    bare = _BESIDE_DAY_END.sub("", phrase)
    return phrase if not _LEAD.sub("", bare + " ", count=1).strip() else bare


def _dateparser(text: str, now: datetime, prefer: str, language: str = "en") -> date | None:
    from dateparser.conf import settings as defaults  # lazy: ~100 ms to import
    from dateparser.data.languages_info import language_order
    from dateparser.date import DateDataParser

    tz_name = getattr(now.tzinfo, "key", None) or "UTC"
    options = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "TIMEZONE": tz_name,
        "TO_TIMEZONE": tz_name,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    # RELATIVE_BASE changes with every call and a parser's settings are fixed when it is
    # built, so each call gets its own parser (~20 µs, against ~1 ms for the parse itself).
    languages = [language, "en"] if language != "en" and language in language_order else ["en"]
    parser = DateDataParser(languages=languages, settings=defaults.replace(mod_settings=options, **options))
    found = parser.get_date_data(text).date_obj
    return found.date() if found else None


def _slow_date(text: str, now: datetime, language: str = "en") -> date | None:
    """Anything else, via dateparser (English, and the writer's ``language``: "15. Januar", "morgen"
    from a German locale), future dates preferred ("friday 3pm" said on
    a Friday evening is next week's). A day and month without a year ("march 4", "3/4") said on
    that very day is today's: dateparser's "future" moves it a year on, so a result exactly a
    year from today is read again for the current period, which keeps "next year" as it is."""
    found = _dateparser(text, now, "future", language)
    today = now.date()
    if found is None:
        return None
    if found.year > today.year + FAR_YEARS and str(found.year) not in text:  # "13/13": dateparser's year 2113
        return None
    this_day = (found.month, found.day) == (today.month, today.day) and found.year > today.year
    if this_day and _dateparser(text, now, "current_period", language) == today:
        return today  # a year on, or four for "feb 29" said on a 29 February
    return found


#: Years ahead past which a day whose year was not written is a misreading ("13/13", "25/13": the
#: 13 taken as the year 2113), not an answer.
FAR_YEARS = 50
#: The longest date answer read: dateparser took 3 to 11 s over 100,000 characters, holding the
#: server's event loop (no acknowledgement, no /healthz) the while.
MOST_CHARACTERS = 200


def warm_up() -> None:
    """Load dateparser and its English data ahead of the first answer (optional)."""
    _slow_date("December 3", datetime.now(ZoneInfo("UTC")))


def day_first(locale: str | None) -> bool | None:
    """Whether a writer of ``locale`` (``en-GB``, ``de-DE``, ``en-US``: Teams' ``locale``) puts the
    day first in "03/04"; None when no locale is known."""
    if not locale:
        return None
    language, _, region = locale.replace("_", "-").casefold().partition("-")
    region = region.rpartition("-")[2]  # zh-Hans-CN: CN
    return not (language in _MONTH_FIRST_LANGUAGES or region in _MONTH_FIRST_REGIONS)


def _slashed(match: re.Match[str], today: date, first_is_day: bool) -> date:
    """ "03/04" in the writer's order; the other order when theirs names no day ("15/01" from en-US)."""
    a, b, year = int(match[1]), int(match[2]), match[3]
    orders = [(a, b), (b, a)] if first_is_day else [(b, a), (a, b)]
    for day, month in orders:
        if 1 <= month <= 12:
            if year is None:
                return _day_month(day, month, today)
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    raise ValueError(f"no day {match[0]}")


def read(raw: str, now: datetime, locale: str | None = None) -> date | None:
    """The day ``raw`` names, said at ``now`` (aware, in the speaker's zone); None when it names
    none. TimeAlone for a time of day without a day ("noon", "by 3pm": dateparser would make it
    today's or tomorrow's, "by midnight" tomorrow's); NoDayYet for "asap"; YearAlone for a year
    and no day in it ("in 2027", "next year"); words for the end of today ("eod", "end of
    day", "tonight") are today. ValueError (or OverflowError) for a day that does not exist ("30.02.").
    ``locale``: the writer's (Teams' ``en-GB``, ``de-DE``): how they order "03/04" (:func:`day_first`),
    and a language besides English to read words in; None: not known, "03/04" read as dateparser's
    English does (month first, unless that names no day)."""
    if len(raw) > MOST_CHARACTERS and len(" ".join(raw.split())) > MOST_CHARACTERS:
        return None
    first_is_day = day_first(locale)
    raw = _TOMORROW_TYPED.sub("tomorrow", raw.casefold())
    raw = " ".join(raw.split()).rstrip(".!?")
    raw = phrase = _without_day_end(hedged["day"] if (hedged := _HEDGED.fullmatch(raw)) else raw)
    if first_is_day is not None and (match := _SLASHED.fullmatch(_LEAD.sub("", phrase, count=1))):
        return _slashed(match, now.date(), first_is_day)
    found = _fast_date(phrase, now.date())
    if found is not None:
        return found
    bare = phrase[lead.end() :] if (lead := _LEAD.match(phrase)) else phrase
    if _TIME_ONLY.fullmatch(bare):
        raise TimeAlone(raw)
    if _NO_DAY_YET.fullmatch(bare):
        raise NoDayYet(raw)
    if _BARE_NUMBER.fullmatch(bare):  # dateparser would read "5" (and "by 5") as May
        return None
    return _slow_date(raw, now, _language(locale))


def _language(locale: str | None) -> str:
    """The language part of ``locale`` (``de`` of ``de-DE``); English when none."""
    return (locale or "en").replace("_", "-").partition("-")[0].casefold() or "en"


def fixed_offset(phrase: str) -> int | None:
    """How many days from today ``phrase`` names whatever the day ("tomorrow" 1, "in 2 weeks" 14),
    or None when that depends on the day ("next friday", "end of month", "in 1 month", a date)."""
    phrase = " ".join(phrase.casefold().split())
    if phrase in _DAY_OFFSETS:
        return _DAY_OFFSETS[phrase]
    match = _RELATIVE.fullmatch(phrase)
    if match is None or match.group(2) not in ("day", "week"):
        return None
    return (_relative(match.group(1), match.group(2), date.min) - date.min).days
