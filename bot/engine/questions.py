"""One question's answer type: parse a typed answer, describe what is expected, show a value.

Values are kept in their JSON form: text and choices as strings, yes/no as booleans, numbers
as numbers, dates as ISO strings, people as ``{"id", "name"}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.engine import answers, people
from bot.engine.answers import AnswerError, ParseContext
from bot.engine.model import Question
from bot.model import Actor


def parse(q: Question, text: str, ctx: ParseContext) -> Any:
    """The JSON form of the answer ``text`` to ``q``; raises AnswerError when it does not fit."""
    kind = q.type
    if kind == "text":
        return answers.parse_text(text)
    if kind == "choice":
        return answers.parse_choice(text, q.options)
    if kind == "yes_no":
        return answers.parse_yes_no(text)
    if kind == "number":
        return answers.parse_number(text, minimum=q.minimum, maximum=q.maximum)
    if kind == "date":
        low, high = bounds(q, ctx)
        return answers.parse_date(text, ctx, not_before=low, not_after=high).isoformat()
    if kind == "person":
        return people.parse_person(text, ctx).to_dict()
    raise AnswerError("empty")  # repeat steps are answered field by field


def bounds(q: Question, ctx: ParseContext) -> tuple[date | None, date | None]:
    """A date question's bounds on the day. A pair whose order depends on the day (``tomorrow`` and
    ``end of month``) crosses on some days (the month's last): then ``not_before`` alone holds,
    so the question can still be answered (else no answer could be, and the run stayed stuck)."""
    low, high = answers.resolve_bound(q.not_before, ctx), answers.resolve_bound(q.not_after, ctx)
    if low is not None and high is not None and low > high:
        return low, None
    return low, high


def expects(q: Question, ctx: ParseContext, *, repeat: bool = False) -> dict[str, Any]:
    """What the bot expects, for channels that draw widgets and for scripts (``--jsonl``)."""
    out: dict[str, Any] = {"type": q.type, "optional": q.optional}
    if q.options:
        out["options"] = [{"value": o.value, "label": o.label} for o in q.options]
    if q.type == "number":
        out["min"], out["max"] = q.minimum, q.maximum
    if q.type == "date":
        low, high = bounds(q, ctx)
        out["not_before"] = low.isoformat() if low else None
        out["not_after"] = high.isoformat() if high else None
    if q.default is not None:
        out["default"] = q.default
    if repeat:
        out["done_words"] = sorted(DONE_WORDS)
    return out


DONE_WORDS = frozenset(
    {"done", "no more", "none", "nothing", "nothing else", "that's all", "thats all", "that's it", "thats it"}
    | {"all done", "finished", "no", "nope", "nah", "n", "n/a", "na", "👍", "✅"}
    | {"that is all", "that is it", "we're done", "we are done", "nothing more", "no more actions", "no others"}
)


def is_done_word(text: str) -> bool:
    """``text`` ends a repeat's list: a done word, in any case, with punctuation or an emoji at its
    edges ("Nope.", "done 👍"), typed with a phone's apostrophe too ("that’s all"): the words people
    answer "(say 'done' when there are no more)" with."""
    return answers.fold(answers.without_emoji_modifiers(text).replace("\u2019", "'")) in DONE_WORDS


def display(value: Any) -> str:
    """A value as people read it in prompts and summaries."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_person(value):
        return str(value.get("name") or value["id"])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def template_value(value: Any) -> Any:
    """A value as a prompt or record template sees it: as people read it, and empty (so false
    in ``{% if %}``) when the step was not answered, like a step on a branch not taken. A number
    stays a number (``{{ amount * 1.2 }}``, ``{% if amount > 100 %}``; 15000.0 is 15000): as
    text, the first failed on every run and ``{{ amount * 2 }}`` printed 1500015000."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return AnsweredInt(value) if isinstance(value, int) or value.is_integer() else AnsweredFloat(value)
    return display(value)


class AnsweredInt(int):
    """A number answer as a template sees it: a number, true in ``{% if %}`` even when 0 (only a
    step not answered is false)."""

    def __bool__(self) -> bool:
        return True


class AnsweredFloat(float):
    """As :class:`AnsweredInt`, of a number with a fraction."""

    def __bool__(self) -> bool:
        return True


def as_actor(value: Any) -> Actor | None:
    return Actor.from_dict(value) if is_person(value) else None


def is_person(value: Any) -> bool:
    """People are kept as ``{"id", "name"}``; any other dict is an item or a fan-out's answers."""
    return isinstance(value, dict) and "id" in value and set(value) <= {"id", "name"}


KEEP_WORDS = frozenset({"ok", "okay", "👍", "keep", "keep it", "default", "same"})


def keep_words(q: Question) -> frozenset[str]:
    """The words that keep the current value or take the default: on a yes/no question 'ok' is a
    yes, so there it is 'same', 'keep' or 'default'."""
    if q.type == "yes_no":
        return KEEP_WORDS - {"ok", "okay", "👍"}
    return KEEP_WORDS


def agrees(q: Question, text: str) -> bool:
    """``text`` keeps the current value or takes the default: a keep word; where a yes is no
    answer (a date, a number, a person), any yes too ("sure", "sounds good", "ok thanks")."""
    if answers.fold(answers.without_emoji_modifiers(text)) in keep_words(q) | {""}:
        return True
    if q.type not in ("date", "number", "person") or (q.type == "person" and _first_person(text)):
        return False
    try:
        return answers.parse_yes_no(text)
    except AnswerError:
        return False


def _first_person(text: str) -> bool:
    """``text`` names the speaker ("I can", "I'll take it", "me" to "Who owns it?"): no yes to
    the question's default or current answer."""
    words = answers.fold(text.replace("\u2019", "'")).split()
    return people.names_self(text) or (bool(words) and words[0] in ("i", "i'm", "i'll", "me"))
