"""Turn what people type into typed answers: text, choices, yes/no, numbers, dates, people.

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


def fold(text: str) -> str:
    """Case-fold, collapse spaces and drop punctuation or emoji at the edges."""
    folded = " ".join(text.casefold().split())
    return _EDGES.sub("", folded) or folded


# --- text, choices, yes/no ---------------------------------------------------------------


def parse_text(text: str, *, min_length: int = 1, max_length: int = 100_000) -> str:
    value = _require(text)
    if len(value) < min_length:
        raise AnswerError("too_short", min=min_length)
    if len(value) > max_length:
        raise AnswerError("too_long", max=max_length)
    return value


def parse_choice(text: str, options: Sequence[Option]) -> str:
    """An option by value or label (exact, then unique prefix of 2+ chars) or 1-based number."""
    raw = _require(text)
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
    said = without_emoji_modifiers(_require(text).casefold()).replace("\u2019", "'")
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


def parse_date(
    text: str,
    ctx: ParseContext,
    *,
    not_before: date | None = None,
    not_after: date | None = None,
) -> date:
    raw = _require(text)
    invalid = AnswerError("date_invalid", today=ctx.today, not_before=not_before, not_after=not_after)
    try:
        found = dates.read(raw, ctx.local_now)
    except dates.TimeAlone as exc:
        raise AnswerError("date_time_alone", **invalid.params) from exc
    except dates.NoDayYet as exc:
        raise AnswerError("date_no_day_yet", **invalid.params) from exc
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


# --- people ----------------------------------------------------------------------------------

_SELF = frozenset(
    ["me", "myself", "i", "mine", "i will", "i can", "i do", "i'm on it", "i can take it", "i can do it"]
    + ["i'll take it", "i'll take this", "i'll do it", "i'll own it", "i'll handle it", "i'll look into it"]
    + ["on it", "i got it", "i've got it", "i've got this", "i got this", "i can take it on", "i'll take it on"]
)
# A word after the one person named, as people add it: "bob will", "@bob please", "carol can"
_FILLER_AFTER = re.compile(r",?\s+(?:will|please|pls|plz|can|could)$", re.IGNORECASE)
#: A person in Slack's markup: <@U0BOB>, <@U0BOB|bob> (also as Rasa's Slack connector passes it on).
SLACK_MENTION = re.compile(r"<@([A-Za-z0-9]+)(?:\|([^>]*))?>")
_NEUTRAL_ID = re.compile(r"[a-z][a-z0-9_-]*:\S+")
_HANDLE = re.compile(r"[\w.\-]+")
#: Mentions refused with a re-prompt of their own (a people picker offers bots too): no one can ask them.
_NO_PERSON = {"deactivated": "person_deactivated", "bot": "person_is_bot", "app": "person_is_app"}


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
    found = [a for a in pool if a.id == actor_id] or [a for a in pool if a.id.casefold() == actor_id.casefold()]
    return found[0] if found else Actor(actor_id, name or actor_id.split(":", 1)[1])


def _by_neutral_id(raw: str, pool: Sequence[Actor]) -> Actor:
    """Text shaped as a neutral id: the known person of that id (``slack:U0BOB``); else the one
    known person whose platform id it is, for a platform whose ids have that shape (a Rasa
    sender relayed from Twilio, ``whatsapp:+14155550002``, is ``rasa:whatsapp:+14155550002``);
    else the person of that id."""
    if not any(actor.id.casefold() == raw.casefold() for actor in pool):
        found = _one([actor for actor in pool if actor.platform_id == raw], raw)
        if found:
            return found
    return _by_id(raw, pool)


def _by_mention(raw: str, ctx: ParseContext, pool: Sequence[Actor]) -> Actor | None:
    if raw in ctx.mentions:
        return ctx.mentions[raw]
    tagged = {token: actor for token, actor in ctx.mentions.items() if token and token in raw}
    _refuse_no_person(next(iter(tagged)) if len(tagged) == 1 else "", ctx, pool)  # "@dan will do it"
    slack = [_by_id(f"slack:{uid}", pool, label) for uid, label in SLACK_MENTION.findall(raw)]
    return _one(list(tagged.values()), raw) or _one(slack, raw)


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


def names_self(text: str) -> bool:
    """``text`` names the speaker: "me", "Me!", "I'll take it."."""
    return fold(text.replace("\u2019", "'")) in _SELF


def parse_person(text: str, ctx: ParseContext) -> Actor:
    """Find "me", a mention, a Slack ``<@U1>``, a neutral id or a (prefix of a) known name, also
    with a word after it ("bob will", "@bob please": unless that names someone whole). A mention
    the platform says names no one person (a tag, a channel, everyone, a bot) is no one known:
    never read as a name, which a person's could start with; one of a person who left, of the bot
    or of another app's bot is refused as such (``_NO_PERSON``)."""
    try:
        return _one_person(text, ctx)
    except AnswerError as refused:
        bare = _FILLER_AFTER.sub("", (text or "").strip().rstrip(".,;:!?"))
        if refused.code != "person_unknown" or bare == (text or "").strip().rstrip(".,;:!?"):
            raise
        return _one_person(bare, ctx)


def _refuse_no_person(named: str, ctx: ParseContext, pool: Sequence[Actor]) -> None:
    """The re-prompt for ``named`` when the platform says it names no one person who can answer."""
    kind = ctx.not_people.get(named)
    if kind is not None and (kind in _NO_PERSON or named not in ctx.mentions):
        who = ctx.mentions[named].name if named in ctx.mentions else named.removeprefix("@")
        raise AnswerError(_NO_PERSON.get(kind, "person_unknown"), name=who, known=[a.name for a in pool])


def _one_person(text: str, ctx: ParseContext) -> Actor:
    raw = _require(text)
    if names_self(raw):
        return ctx.speaker
    pool = _pool(ctx)
    named = raw.rstrip(".,;:!?")
    _refuse_no_person(named, ctx, pool)
    found = _by_mention(raw, ctx, pool)
    if found:
        return found
    if _NEUTRAL_ID.fullmatch(raw):
        return _by_neutral_id(raw, pool)
    return _by_name(raw, ctx, pool)
