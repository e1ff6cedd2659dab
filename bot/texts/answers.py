"""What the bot says of an answer: the short re-prompt for one that does not fit (said as works on
the channel), and what a question expects, for 'help'."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.texts._common import _join

# --- answers that do not fit: a short re-prompt, not the whole question again ---------------

_ANSWER_ERRORS: dict[str, str] = {
    "empty": "Please give an answer (or say 'help').",
    "control": "That holds a control character (a NUL, an escape): please type the answer as plain text.",
    "too_long": "That is too long: {max} characters at most.",
    "too_short": "That is too short: at least {min} characters.",
    "choice_unknown": "Please pick one of: {options} (a number or a word).",
    "choice_ambiguous": "That could be {candidates}. Which one?",
    "yes_no": "Please answer yes or no.",
    "number_invalid": "Please give a number, like 42 or 12.5.",
    "number_too_small": "That is below {minimum}. Please give a number of at least {minimum}.",
    "number_too_large": "That is above {maximum}. Please give a number of at most {maximum}.",
    "date_invalid": "I can't read that as a date. Try 'next Friday', 'in 2 weeks', 'end of month' or {example}.",
    "date_time_alone": "That is a time of day; this question takes a day. Say which day: 'today', 'tomorrow', "
    "'next Friday' or {example}.",
    "date_no_day_yet": "'As soon as possible' needs a day here: say the soonest it can be, 'today', 'tomorrow', "
    "'friday' or {example}.",
    "date_year_alone": "{year} is a whole year: say a day in it, a month or a quarter: 'March {year}', 'Q1 {year}',"
    " 'end of {year}' or {year}-03-15.",
    "date_too_early": "That date is too early: it can't be before {bound}.",
    "date_too_late": "That date is too late: it can't be after {bound}.",
    "date_too_far": "That is more than {years} years away. Give a date up to {bound}.",
    "person_unknown": "I don't know '{name}'. Name a participant ({known}), say 'me', or @mention someone.",
    "person_deactivated": "{name}'s account is deactivated: they cannot be asked or own anything now. Name someone"
    " else: an @mention, a participant's name, or 'me'.",
    "person_is_bot": "I can't own anything or answer my own questions. Name a person: a participant ({known}),"
    " 'me', or an @mention.",
    "person_is_app": "{name} is a bot (an app), not a person: it cannot be asked or own anything. Name a person:"
    " a participant ({known}), 'me', or an @mention.",
    "person_ambiguous": "'{name}' could be {candidates}. Which one?",
    "min_items": "Please give at least {count} item(s) before saying done.",
}

#: A re-prompt said otherwise on a channel where the usual advice does not work: through Rasa,
#: a platform's @mention reaches the bot as text (Teams' <at>Name</at> names no sender id).
_ANSWER_ERRORS_ON: dict[tuple[str, str], str] = {
    ("person_unknown", "rasa"): "I don't know '{name}'. Name a participant ({known}), say 'me', "
    "or give their sender id as @id.",
}


#: Characters of what was typed that a re-prompt quotes back ('I don't know ...').
QUOTED = 60


def answer_error(code: str, params: Mapping[str, Any], channel: str | None = None) -> str:
    """The short re-prompt for an answer that does not fit, as said on ``channel``."""
    shown = {k: _join(v) if isinstance(v, list | tuple) else v for k, v in params.items()}
    if isinstance(name := shown.get("name"), str) and len(name) > QUOTED:  # what was typed, quoted short
        shown["name"] = name[:QUOTED].rstrip() + "…"
    if code in (
        "date_invalid",
        "date_time_alone",
        "date_no_day_yet",
    ):  # params: the speaker's today and the question's bounds
        today, low, high = params.get("today"), params.get("not_before"), params.get("not_after")
        shown["example"] = date_example(today, low, high) if today else _DATE_FORMAT
    template = _ANSWER_ERRORS_ON.get((code, channel or "")) or _ANSWER_ERRORS.get(
        code, "That answer doesn't fit. Say 'help' to see what is expected."
    )
    try:
        return template.format(**shown)
    except KeyError:
        return template


# --- what a step expects, for 'help' --------------------------------------------------------

_EXPECTS = {
    "text": "a short text",
    "choice": "one of the options, by number or by word",
    "yes_no": "yes or no",
    "person": "a person: 'me', an @mention, or a participant's name",
    "date": "a date: 'tomorrow', 'next Friday', 'in 2 weeks', 'end of month' or {example}",
    "number": "a number",
    "repeat": "one item at a time; say 'done' when there are no more",
}


def commands_help(facilitator: bool, optional: bool, item_label: str | None) -> str | None:
    """The commands 'help' names besides the answer: those the asked person can use on this
    question ('back', 'cancel' and corrections of others' answers are the facilitator's; 'skip'
    is for an optional question), with a correction of the flow's own items as the example."""
    said = ["'skip' (leave this one out)"] if optional else []
    if facilitator:
        said = ["'back' (change the previous answer)", *said, "'cancel' (end the run)"]
        return f"You can also say: {', '.join(said)}, or correct an earlier answer{correction_example(item_label)}."
    return f"You can also say: {said[0]}." if said else None


def correction_example(item_label: str | None) -> str:
    """How a correction is said, on the flow's own items when it has a list of them."""
    label = (item_label or "").lower()
    return f", e.g. 'change owner of {label} 2 to @bob'" if label else " ('change ... to ...')"


_DATE_FORMAT = "a date as YYYY-MM-DD"


def date_example(today: date, not_before: date | str | None = None, not_after: date | str | None = None) -> str:
    """An ISO date the bot takes from ``today`` on: the 31st of December, next year's in December
    (this year's would be too close), moved inside the question's bounds when there are any."""
    example = date(today.year + 1 if today.month == 12 else today.year, 12, 31).isoformat()
    if not_before is not None:
        example = max(example, str(not_before))
    if not_after is not None:
        example = min(example, str(not_after))
    if (not_before is not None and example < str(not_before)) or example < today.isoformat():
        return _DATE_FORMAT  # bounds no day meets today: no date to suggest that would be taken
    return example


def expected(kind: str, example_date: str | None = None) -> str:
    """What a step of type ``kind`` expects; for dates, ``example_date`` (see :func:`date_example`)
    or, without one (a Teams card's error message), the format."""
    return _EXPECTS.get(kind, kind).replace("{example}", example_date or _DATE_FORMAT)


def help_text(
    kind: str,
    question: str,
    extra: str | None,
    example: str | None,
    bounds: str,
    example_date: str | None = None,
    commands: str | None = None,
) -> str:
    """'help' on a question; ``commands``: what :func:`commands_help` says the person can also say."""
    lines = [f"{question}", f"Expected: {expected(kind, example_date)}{bounds}."]
    if extra:
        lines.append(extra)
    if example:
        lines.append(f"For example: {example}")
    if commands:
        lines.append(commands)
    return "\n".join(lines)


def bounds_text(minimum: Any, maximum: Any) -> str:
    if minimum is not None and maximum is not None:
        return f" between {minimum} and {maximum}"
    if minimum is not None:
        return f", not before {minimum}" if not isinstance(minimum, int | float) else f", at least {minimum}"
    if maximum is not None:
        return f", not after {maximum}" if not isinstance(maximum, int | float) else f", at most {maximum}"
    return ""


def options_line(labels: list[str]) -> str:
    return "  ".join(f"{i}) {label}" for i, label in enumerate(labels, 1))


def items_so_far(label: str, items: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """The items of a list gone back into ('back' from a later step), each its first answer and the
    others by name: ``Action 1: Draft the plan (owner: bob, due: 2030-01-10)``."""
    lines = []
    for number, (first, others) in enumerate(items, 1):
        rest = ", ".join(f"{name}: {value}" for name, value in others)
        lines.append(f"  {label} {number}: {first}" + (f" ({rest})" if rest else ""))
    return "\n".join(["Listed so far:", *lines])
