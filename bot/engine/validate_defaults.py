"""A question's ``default`` checked at load: an answer its question takes (a date's, within its
bounds on some day), and a person's, one some run can read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import texts
from bot.engine.model import Question
from bot.model import Actor

if TYPE_CHECKING:
    from bot.engine.answers import ParseContext


def refused(q: Question) -> str | None:
    """What the question says to its default (read as if said today) when it refuses it, or None."""
    from bot.engine import answers, questions

    ctx = answers.ParseContext(now=datetime.now(UTC), tz=ZoneInfo("UTC"), speaker=Actor("system:flow", "flow"))
    unbounded = replace(q, not_before=None, not_after=None)  # whether a date is in bounds depends on the day
    try:
        questions.parse(unbounded, str(q.default), ctx)
    except answers.AnswerError as exc:
        return texts.answer_error(exc.code, exc.params)
    if q.type == "date" and (q.not_before or q.not_after):
        return _date_default_never_in_bounds(q, ctx)
    return None


#: The days a date default is tried against its bounds on: a month and more, its ends included.
_DAYS_TRIED = 35


def _date_default_never_in_bounds(q: Question, ctx: ParseContext) -> str | None:
    """Why a date question's default is refused by its own bounds on every day a run could ask it
    (``default: yesterday`` with ``not_before: today``): said as the question says it; None when some
    day takes it (``end of month`` after ``not_before: tomorrow`` fails on a month's last day alone)."""
    from bot.engine import answers, questions

    first = None
    for day in range(_DAYS_TRIED):
        try:
            questions.parse(q, str(q.default), replace(ctx, now=ctx.now + timedelta(days=day)))
            return None
        except answers.AnswerError as exc:
            first = first or texts.answer_error(exc.code, exc.params)
    return first


def person_unread(default: object) -> str | None:
    """Why no run can read a person question's default, or None. Whom a name or a handle stands
    for depends on the people of the run, so only what no run reads is refused: not text, a
    template (defaults are taken as written), or words that name nobody (empty, punctuation)."""
    from bot.engine import answers, people

    if not isinstance(default, str):
        return texts.person_default_not_text()
    if "{{" in default or "{%" in default:
        return texts.person_default_template()
    ctx = answers.ParseContext(now=datetime.now(UTC), tz=ZoneInfo("UTC"), speaker=Actor("system:flow", "flow"))
    try:
        people.parse_person(default, ctx)
    except answers.AnswerError as exc:
        return None if exc.code == "person_unknown" else texts.person_default_names_nobody()
    return None
