"""Whom an answer names: "me", a mention, a Slack ``<@U1>``, a neutral id, or a (prefix of a)
known name; a mention of no one person who can answer (a tag, a channel, a bot, someone who left)
refused as such. Refusals are :class:`~bot.engine.answers.AnswerError`, as every parser's."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.engine.answers import AnswerError, ParseContext, fold, required
from bot.model import Actor

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
    raw = required(text)
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
