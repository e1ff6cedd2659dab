"""Turn what people type into typed answers: text, choices, yes/no, numbers, dates (people: :mod:`bot.engine.people`).

Every ``parse_*`` function strips the text and either returns a value or raises
:class:`AnswerError`, whose stable ``code`` and ``params`` are turned into words by
``bot.texts``. Dates are read by :mod:`bot.engine.dates`, in the speaker's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from difflib import SequenceMatcher
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import dates
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
    not_people: Mapping[str, str] = field(default_factory=dict)  # mention tokens naming no one person
    locale: str | None = None  # the speaker's (Teams' en-GB): how they write a day ("03/04"); None: not known

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


#: A control character an answer may not hold (a NUL cuts the text short in sqlite3 and C tools);
#: tabs and line breaks are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Characters that show nothing (zero-width spaces and joiners, the byte order mark): an answer of
#: them alone is as empty as one of spaces.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]*")


def required(text: str | None) -> str:
    stripped = (text or "").strip()
    if not stripped or _INVISIBLE.fullmatch(stripped):
        raise AnswerError("empty")
    if _CONTROL.search(stripped):
        raise AnswerError("control")
    return stripped


def fold(text: str) -> str:
    """Case-fold, collapse spaces and drop punctuation or emoji at the edges."""
    folded = " ".join(text.casefold().split())
    return _EDGES.sub("", folded) or folded


# --- text, choices, yes/no ---------------------------------------------------------------


def parse_text(text: str, *, min_length: int = 1, max_length: int = 100_000) -> str:
    value = required(text)
    if len(value) < min_length:
        raise AnswerError("too_short", min=min_length)
    if len(value) > max_length:
        raise AnswerError("too_long", max=max_length)
    return value


def parse_choice(text: str, options: Sequence[Option]) -> str:
    """An option by value or label (exact, then unique prefix of 2+ chars) or 1-based number."""
    raw = required(text)
    key = fold(raw)
    for attr in ("value", "label"):
        for option in options:
            if fold(getattr(option, attr)) == key:
                return option.value
    number = re.fullmatch(r"#?(\d{1,4})[.)]?", raw)
    if number and 1 <= int(number[1]) <= len(options):
        return options[int(number[1]) - 1].value
    if len(key) >= 2:
        hits = [o for o in options if fold(o.value).startswith(key) or fold(o.label).startswith(key)]
        if len(hits) == 1:
            return hits[0].value
        if hits:
            raise AnswerError("choice_ambiguous", candidates=[o.label for o in hits])
    typo = _misspelt(key, options)
    if typo is not None:
        return typo.value
    raise AnswerError("choice_unknown", options=[o.label for o in options])


def _misspelt(key: str, options: Sequence[Option]) -> Option | None:
    """The one option ``key`` is a typo of ("wacth it", "kep", "act nwo"): its label or value at
    least 80% alike (difflib's ratio), and no other option so; None otherwise."""
    if len(key) < 3:
        return None
    close = [o for o in options if max(_alike(key, o.label), _alike(key, o.value)) >= 0.8]
    return close[0] if len(close) == 1 else None


def _alike(key: str, name: str) -> float:
    return SequenceMatcher(None, key, fold(name)).ratio()


_YES = frozenset(
    ["yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "true", "👍", "✅"]
    + ["accept", "accepted", "agree", "agreed", "confirm", "confirmed"]
    + ["yes please", "sure thing", "will do", "of course", "absolutely", "definitely", "i accept", "i do"]
    + ["no problem", "no problem at all", "no worries", "np", "can do", "i can", "happy to", "i will", "on it"]
    + ["i'm on it", "i'll do it", "i'll take it", "i can do that", "i can do it", "sounds good", "lgtm", "k", "kk"]
    + ["fine", "fine by me", "perfect", "great", "that works", "works for me", "ok thanks", "ok thank you"]
    + ["i can take it on", "i'll take it on", "i can take that on", "i'll take that on"]
)
_NO = frozenset(
    ["no", "n", "nope", "nah", "false", "👎", "❌"]
    + ["decline", "declined", "reject", "rejected", "refuse", "refused"]
    + ["no thanks", "no way", "not really", "i decline", "i don't", "i do not"]
    + ["can't", "cannot", "can not", "i can't", "i cannot", "i can not", "no can do", "not me", "won't", "i won't"]
    + ["no sorry", "sorry no", "nope sorry", "can't do", "can't do it", "i can't do it", "i can't take it"]
    + ["i can't take it on", "can't take it on", "i can't take that on", "i can't take this on"]
    + ["cant", "i cant", "wont", "i wont", "not this week", "not now", "not today", "not right now"]
)
# Courtesy before the answer ("Sorry, I can't", "Thanks, will do"): a first clause of these is passed over
_COURTESY = frozenset(["sorry", "thanks", "thank you", "thx", "ty", "hi", "hey", "hello", "oh"])
_EMOJI_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")


# A later clause's opening word that links it to the first ("Sure, but no" says no too)
_LINKED = re.compile(r"^(?:but|and|or|actually|well|so)\s+")
_CLAUSES = re.compile(r"[,.;:!?()\u2013\u2014]+|\s+-+\s+")


def without_emoji_modifiers(text: str) -> str:
    """``text`` without skin tones and emoji presentation selectors (👍🏽 is 👍)."""
    return _EMOJI_MODIFIERS.sub("", text)


def parse_yes_no(text: str) -> bool:
    """Yes or no: a word of either (any case, punctuation or an emoji around it), or a sentence whose
    first clause is one ("Yes, I can take that on.", "No, sorry", "ok 👍"; after a "Sorry," or a
    "Thanks," that opens it: "Sorry, I can't") and no later clause the other ("Yes. No." is neither).
    A typographic apostrophe is one ("can’t", as phones type it)."""
    said = without_emoji_modifiers(required(text).casefold()).replace("\u2019", "'")
    whole = _sense(said.rstrip(".!?,;: "))
    if whole is not None:
        return whole
    clauses = [c.strip() for c in _CLAUSES.split(said) if c.strip()]
    if len(clauses) > 1 and clauses[0] in _COURTESY:
        clauses = clauses[1:]
    first, *rest = clauses or [""]
    sense = _sense(first)
    if sense is None or any(_sense(_LINKED.sub("", clause)) is (not sense) for clause in rest):
        raise AnswerError("yes_no")
    return sense


def is_bare_yes_no(text: str) -> bool:
    """Whether ``text`` says yes or no and nothing more ("no", "Nope!", a button's value), so
    there is no reason in it to pass on."""
    said = without_emoji_modifiers(text.casefold()).replace("\u2019", "'")
    return _sense(said.strip().rstrip(".!?,;: ")) is not None


def _sense(clause: str) -> bool | None:
    """True or False for a clause made of yes words and phrases (``ok 👍``, ``yes i can``,
    ``will do 👍``) or of no ones; None otherwise."""
    words = clause.split()
    if _made_of(words, _YES):
        return True
    if _made_of(words, _NO):
        return False
    return None


def _made_of(words: list[str], phrases: frozenset[str]) -> bool:
    """``words`` are, in order, one or more of ``phrases`` (each up to five words long)."""
    if not words:
        return False
    reach = [True] + [False] * len(words)  # reach[i]: words[:i] is made of phrases
    for end in range(1, len(words) + 1):
        starts = range(max(0, end - 5), end)
        reach[end] = any(reach[start] and " ".join(words[start:end]) in phrases for start in starts)
    return reach[-1]


# --- numbers ---------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?P<int>\d{1,3}(?P<sep>[, _\u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*|\d*)"
    r"(?:(?P<dec>[.,])(?P<frac>\d+))?\s*(?P<k>k?)\s*%?",
    re.IGNORECASE,
)


def parse_number(text: str, *, minimum: float | None = None, maximum: float | None = None) -> int | float:
    """Read "42", "-3", "12.5", "12,5", "1,234", "1 234", "12%", "1.5k"; bounds inclusive."""
    match = _NUMBER.fullmatch(required(text).replace("\u2212", "-"))
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


def parse_date(
    text: str,
    ctx: ParseContext,
    *,
    not_before: date | None = None,
    not_after: date | None = None,
    capped: bool = True,
) -> date:
    """The day ``text`` names, within the bounds; ``capped``: without ``not_after``, no more than
    :data:`FURTHEST_YEARS` after today (or ``not_before``, when later); a flow's own bound is not capped."""
    raw = required(text)
    invalid = AnswerError("date_invalid", today=ctx.today, not_before=not_before, not_after=not_after)
    try:
        found = dates.read(raw, ctx.local_now, ctx.locale)
    except dates.TimeAlone as exc:
        raise AnswerError("date_time_alone", **invalid.params) from exc
    except dates.NoDayYet as exc:
        raise AnswerError("date_no_day_yet", **invalid.params) from exc
    except dates.YearAlone as exc:
        raise AnswerError("date_year_alone", year=exc.year) from exc
    except (ValueError, OverflowError) as exc:
        raise invalid from exc
    if found is None:
        raise invalid
    if not_before is not None and found < not_before:
        raise AnswerError("date_too_early", bound=not_before)
    if not_after is not None and found > not_after:
        raise AnswerError("date_too_late", bound=not_after)
    furthest = furthest_day(max(ctx.today, not_before or ctx.today))  # from a bound past it, too
    if capped and not_after is None and found > furthest:
        raise AnswerError("date_too_far", bound=furthest, years=FURTHEST_YEARS)
    return found


#: How far ahead a date answer may lie when its question sets no ``not_after``: 9999-12-31 was
#: taken, a review date no timer could ever reach (a flow that wants less says ``not_after``).
FURTHEST_YEARS = 100


def furthest_day(today: date) -> date:
    """The last day a date answer (or ``due A12 ...``) may name, said ``today``."""
    return today.replace(year=today.year + FURTHEST_YEARS, day=28 if (today.month, today.day) == (2, 29) else today.day)


def resolve_bound(spec: str | date | None, ctx: ParseContext) -> date | None:
    """A flow's date bound: ``None``, a date, or any phrase :func:`parse_date` understands."""
    if spec is None:
        return None
    if isinstance(spec, datetime):
        return (spec.astimezone(ctx.tz) if spec.tzinfo else spec).date()
    if isinstance(spec, date):
        return spec
    return parse_date(spec, ctx, capped=False)  # not_after: in 150 years, a flow's own choice
