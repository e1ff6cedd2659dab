"""Turn what people type into typed answers: text, choices, yes/no, numbers, dates, people.

Every ``parse_*`` function strips the text and either returns a value or raises
:class:`AnswerError`, whose stable ``code`` and ``params`` are turned into words by
``bot.texts``. Dates are resolved in the speaker's time zone. Common phrases (ISO dates,
"15.06.", "tomorrow", "in 2 weeks", "next friday", "end of month", ...) take fast paths that cost
microseconds; anything else goes to :mod:`dateparser`, imported on first use because loading
it takes about 100 ms.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.model import Actor


class AnswerError(ValueError):
    """An answer that does not fit. `code` is a stable key; `params` fill the user-facing text
    (the wording lives elsewhere, in bot/texts.py, keyed by code)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code}({args})" if args else self.code

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return partial(type(self), self.code, **self.params), ()


@dataclass(frozen=True)
class ParseContext:
    """Who is answering, when, and whom they may name."""

    now: datetime
    tz: ZoneInfo
    speaker: Actor
    people: tuple[Actor, ...] = ()
    mentions: Mapping[str, Actor] = field(default_factory=dict)
    channel: str = "console"

    @property
    def local_now(self) -> datetime:
        """``now`` in the speaker's time zone (a naive ``now`` is taken as UTC)."""
        now = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        return now.astimezone(self.tz)

    @property
    def today(self) -> date:
        return self.local_now.date()


@dataclass(frozen=True)
class Option:
    value: str
    label: str


_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def _require(text: str | None) -> str:
    stripped = (text or "").strip()
    if not stripped:
        raise AnswerError("empty")
    return stripped


def _fold(text: str) -> str:
    """Case-fold, collapse spaces and drop punctuation or emoji at the edges."""
    folded = " ".join(text.casefold().split())
    return _EDGES.sub("", folded) or folded


# --- text, choices, yes/no ---------------------------------------------------------------


def parse_text(text: str, *, min_length: int = 1, max_length: int = 2000) -> str:
    value = _require(text)
    if len(value) < min_length:
        raise AnswerError("too_short", min=min_length)
    if len(value) > max_length:
        raise AnswerError("too_long", max=max_length)
    return value


def parse_choice(text: str, options: Sequence[Option]) -> str:
    """An option by value or label (exact, then unique prefix of 2+ chars) or 1-based number."""
    raw = _require(text)
    key = _fold(raw)
    for attr in ("value", "label"):
        for option in options:
            if _fold(getattr(option, attr)) == key:
                return option.value
    number = re.fullmatch(r"#?(\d{1,4})[.)]?", raw)
    if number and 1 <= int(number[1]) <= len(options):
        return options[int(number[1]) - 1].value
    if len(key) >= 2:
        hits = [o for o in options if _fold(o.value).startswith(key) or _fold(o.label).startswith(key)]
        if len(hits) == 1:
            return hits[0].value
        if hits:
            raise AnswerError("choice_ambiguous", candidates=[o.label for o in hits])
    raise AnswerError("choice_unknown", options=[o.label for o in options])


_YES = frozenset(
    ["yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "true", "👍", "✅"]
    + ["accept", "accepted", "agree", "agreed", "confirm", "confirmed"]
)
_NO = frozenset(
    ["no", "n", "nope", "nah", "false", "👎", "❌"] + ["decline", "declined", "reject", "rejected", "refuse", "refused"]
)
_EMOJI_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")


def parse_yes_no(text: str) -> bool:
    word = _EMOJI_MODIFIERS.sub("", _require(text).casefold()).rstrip(".!?,;: ")
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise AnswerError("yes_no")


# --- numbers ---------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?P<int>\d{1,3}(?P<sep>[, _\u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*|\d*)"
    r"(?:(?P<dec>[.,])(?P<frac>\d+))?\s*(?P<k>k?)\s*%?",
    re.IGNORECASE,
)


def parse_number(text: str, *, minimum: float | None = None, maximum: float | None = None) -> int | float:
    """Read "42", "-3", "12.5", "12,5", "1,234", "1 234", "12%", "1.5k"; bounds inclusive."""
    match = _NUMBER.fullmatch(_require(text).replace("\u2212", "-"))
    if not match or not (match["int"] or match["frac"]):
        raise AnswerError("number_invalid")
    if match["sep"] is not None and match["sep"] == match["dec"]:  # "1,234,5"
        raise AnswerError("number_invalid")
    digits = re.sub(r"\D", "", match["int"]) or "0"
    amount = Decimal(f"{match['sign']}{digits}.{match['frac'] or 0}")
    if match["k"]:
        amount *= 1000
    value = int(amount) if amount == amount.to_integral_value() else float(amount)
    if minimum is not None and value < minimum:
        raise AnswerError("number_too_small", minimum=minimum)
    if maximum is not None and value > maximum:
        raise AnswerError("number_too_large", maximum=maximum)
    return value


# --- dates -----------------------------------------------------------------------------------

_WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
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
    "tomorrow": 1,
    "yesterday": -1,
    "next week": 7,
}
# "by friday", "on the 4th", "due tomorrow": the day itself
_LEAD = re.compile(r"(?:due (?:by |on )?|by |on |until |till )")
# A day of the month: "the 4th", "21st", "the 31st of the month" (dateparser reads "the 4th" as April)
_ORDINAL = re.compile(r"(?:the )?(\d{1,2})(?:st|nd|rd|th)(?: of (?:the |this )?month)?")
_END_ABBR = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_RELATIVE = re.compile(r"(?:in )?(\d{1,4}|an?|one) (day|week|month|year)s?(?: from (?:now|today))?")
_END = re.compile(r"(?:the )?end of (?:the |this )?(next )?(week|month|quarter|year)")
_BARE_NUMBER = re.compile(r"[+-]?\d+")
# European day.month: "15.06.", "15.06.2027", "15.06.27" (dateparser would read "15.06" as 15:06).
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?")
# A time of day and nothing else ("15:06", "3pm", "at 10:30 am", "noon"): not a date.
_TIME_ONLY = re.compile(
    r"(?:at |@ ?)?(?:noon|midday|midnight|\d{1,2}[:h]\d{2}(?::\d{2})?|\d{1,2}(?:[:.h]\d{2})?"
    r" ?(?:[ap]\.?m\.?|o'?clock))(?: ?(?:utc|gmt|z|[a-z]{2,3}t|[+-]\d{1,2}(?::?\d{2})?))?"
)


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
    return None


def _dateparser(text: str, ctx: ParseContext, prefer: str) -> date | None:
    from dateparser.conf import settings as defaults  # lazy: ~100 ms to import
    from dateparser.date import DateDataParser

    tz_name = getattr(ctx.tz, "key", None) or "UTC"
    options = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": ctx.local_now.replace(tzinfo=None),
        "TIMEZONE": tz_name,
        "TO_TIMEZONE": tz_name,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    # RELATIVE_BASE changes with every call and a parser's settings are fixed when it is
    # built, so each call gets its own parser (~20 µs, against ~1 ms for the parse itself).
    parser = DateDataParser(languages=["en"], settings=defaults.replace(mod_settings=options, **options))
    found = parser.get_date_data(text).date_obj
    return found.date() if found else None


def _slow_date(text: str, ctx: ParseContext) -> date | None:
    """Anything else, via dateparser (English only), future dates preferred ("friday 3pm" said on
    a Friday evening is next week's). A day and month without a year ("march 4", "3/4") said on
    that very day is today's: dateparser's "future" moves it a year on, so a result exactly a
    year from today is read again for the current period, which keeps "next year" as it is."""
    found = _dateparser(text, ctx, "future")
    today = ctx.today
    a_year_on = found is not None and (found.year, found.month, found.day) == (today.year + 1, today.month, today.day)
    if a_year_on and _dateparser(text, ctx, "current_period") == today:
        return today
    return found


def warm_up() -> None:
    """Load dateparser and its English data ahead of the first answer (optional)."""
    utc = ZoneInfo("UTC")
    _slow_date("December 3", ParseContext(datetime.now(utc), utc, Actor("console:bot", "bot")))


def parse_date(
    text: str,
    ctx: ParseContext,
    *,
    not_before: date | None = None,
    not_after: date | None = None,
) -> date:
    raw = _require(text)
    phrase = " ".join(raw.casefold().split()).rstrip(".!?")
    invalid = AnswerError("date_invalid", today=ctx.today, not_before=not_before, not_after=not_after)
    try:
        found = _fast_date(phrase, ctx.today)
        # dateparser would read a bare "5" as May, and a time alone ("15:06") as today
        if found is None and not _BARE_NUMBER.fullmatch(phrase) and not _TIME_ONLY.fullmatch(phrase):
            found = _slow_date(raw, ctx)
    except (ValueError, OverflowError) as exc:
        raise invalid from exc
    if found is None:
        raise invalid
    if not_before is not None and found < not_before:
        raise AnswerError("date_too_early", bound=not_before)
    if not_after is not None and found > not_after:
        raise AnswerError("date_too_late", bound=not_after)
    return found


def resolve_bound(spec: str | date | None, ctx: ParseContext) -> date | None:
    """A flow's date bound: ``None``, a date, or any phrase :func:`parse_date` understands."""
    if spec is None:
        return None
    if isinstance(spec, datetime):
        return (spec.astimezone(ctx.tz) if spec.tzinfo else spec).date()
    if isinstance(spec, date):
        return spec
    return parse_date(spec, ctx)


def describe_date(d: date, ctx: ParseContext) -> str:
    """``"Fri 2026-12-04"``: English weekday abbreviation (locale-independent) and ISO date."""
    return f"{_WEEKDAY_ABBR[d.weekday()]} {d.isoformat()}"


# --- people ----------------------------------------------------------------------------------

_SELF = frozenset({"me", "myself", "i"})
_SLACK_MENTION = re.compile(r"<@([A-Za-z0-9]+)(?:\|([^>]*))?>")
_NEUTRAL_ID = re.compile(r"[a-z][a-z0-9_-]*:\S+")
_HANDLE = re.compile(r"[\w.\-]+")


def _pool(ctx: ParseContext) -> list[Actor]:
    """Known people, without duplicates, the speaker included."""
    found: dict[str, Actor] = {}
    for actor in (*ctx.people, ctx.speaker):
        found.setdefault(actor.id, actor)
    return list(found.values())


def _one(actors: Sequence[Actor], name: str) -> Actor | None:
    """The single actor, ``None`` for none, ``person_ambiguous`` for several."""
    unique = list({a.id: a for a in actors}.values())
    if len(unique) > 1:
        raise AnswerError("person_ambiguous", name=name, candidates=[a.name for a in unique])
    return unique[0] if unique else None


def _by_id(actor_id: str, pool: Sequence[Actor], name: str | None = None) -> Actor:
    for actor in pool:
        if actor.id == actor_id:
            return actor
    for actor in pool:
        if actor.id.casefold() == actor_id.casefold():
            return actor
    return Actor(actor_id, name or actor_id.split(":", 1)[1])


def _by_mention(raw: str, ctx: ParseContext, pool: Sequence[Actor]) -> Actor | None:
    if raw in ctx.mentions:
        return ctx.mentions[raw]
    tagged = [actor for token, actor in ctx.mentions.items() if token and token in raw]
    slack = [_by_id(f"slack:{uid}", pool, label) for uid, label in _SLACK_MENTION.findall(raw)]
    return _one(tagged, raw) or _one(slack, raw)


def _by_name(raw: str, ctx: ParseContext, pool: Sequence[Actor]) -> Actor:
    name = raw.removeprefix("@").strip().rstrip(".,;:!?")
    if not name:
        raise AnswerError("empty")
    key = name.casefold()
    keys = [(a, a.name.casefold(), a.platform_id.casefold()) for a in pool]
    exact = [a for a, n, pid in keys if key in (n, pid)]
    prefix = [a for a, n, pid in keys if len(key) >= 2 and (n.startswith(key) or pid.startswith(key))]
    found = _one(exact, name) or _one(prefix, name)
    if found:
        return found
    if ctx.channel == "console" and raw.startswith("@") and _HANDLE.fullmatch(name):
        return Actor(f"console:{name.lower()}", name)
    raise AnswerError("person_unknown", name=name, known=[a.name for a in pool])


def parse_person(text: str, ctx: ParseContext) -> Actor:
    """Find "me", a mention, a Slack ``<@U1>``, a neutral id or a (prefix of a) known name."""
    raw = _require(text)
    if raw.casefold() in _SELF:
        return ctx.speaker
    pool = _pool(ctx)
    found = _by_mention(raw, ctx, pool)
    if found:
        return found
    if _NEUTRAL_ID.fullmatch(raw):
        return _by_id(raw, pool)
    return _by_name(raw, ctx, pool)
