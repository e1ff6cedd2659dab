"""Choices a chat menu can show and people can tell apart, refused at load otherwise: more options
than a menu holds, an option with no words (a button Slack refuses, nothing to type), labels a
menu cuts to the same text, an option written twice, one a chat word takes ('back') or whose number is
another option's place in the menu ('1' third)."""

from __future__ import annotations

from bot import texts
from bot.engine.answers import Option
from bot.engine.commands import TYPOS, WORDS
from bot.engine.model import Flow, Step
from bot.errors import FlowError

#: Options a chat menu shows (Slack's static_select), and the characters of a label it shows.
MAX_OPTIONS, LABEL_SHOWN = 100, 75


def check(flow: Flow, step: Step) -> None:
    """Refuse a choice of ``step`` (or of its fields) that leaves people guessing."""
    for q in (step, *step.fields):
        what = f"field '{q.id}'" if q is not step else "the step"
        problem = _menu_problem(what, q.options)
        if problem is not None:
            raise FlowError(flow.path, *problem, step=step.id)


def _menu_problem(what: str, options: tuple[Option, ...]) -> tuple[str, str] | None:
    if len(options) > MAX_OPTIONS:
        return texts.too_many_options(what, len(options), MAX_OPTIONS), texts.too_many_options_fix()
    blank = next((n for n, o in enumerate(options, 1) if not o.label.strip() or not o.value.strip()), None)
    if blank is not None:
        return texts.option_blank(what, blank), texts.option_blank_fix(blank)
    twice = _repeated_value(options)
    if twice is not None:
        labels = list(dict.fromkeys(o.label for o in options if o.value == twice))
        if len(labels) == 1:  # options: [a, b, a]
            return texts.option_twice(what, labels[0]), texts.option_twice_fix(labels[0])
        return texts.option_value_twice(what, twice, labels), texts.option_value_twice_fix()
    shown = [" ".join(_shown(option.label).casefold().split()) for option in options]  # 'act now ' reads 'Act now'
    if len(set(shown)) < len(shown):
        return texts.labels_read_alike(what, LABEL_SHOWN), texts.labels_read_alike_fix()
    for n, option in enumerate(options, 1):  # as people read it and type it; a Rasa button sends its value
        for said in dict.fromkeys((option.label, option.value)):
            word = " ".join(said.casefold().split()).rstrip(".!")  # as commands are read ('Cancel!')
            if word in WORDS or word in TYPOS:  # 'back' typed goes back: the option only by its number
                command = WORDS.get(word) or TYPOS[word]
                return texts.option_a_chat_word(what, said, command), texts.option_a_chat_word_fix(n, command)
    numbers = [int(o.label) if o.label.isdecimal() else -1 for o in options]  # -1: words
    if -1 in numbers or numbers != sorted(numbers):  # a scale in order (0 to 10) reads as typed
        for n, number in enumerate(numbers, 1):
            if 1 <= number <= len(options) and number != n:  # '1' of [3, 2, 1]
                return texts.option_number_elsewhere(what, options[n - 1].label, n), texts.option_number_elsewhere_fix()
    return None


def _shown(label: str) -> str:
    """What of ``label`` a menu shows: all of it, or its first 74 characters and "…"."""
    return label if len(label) <= LABEL_SHOWN else label[: LABEL_SHOWN - 1].rstrip()


def _repeated_value(options: tuple[Option, ...]) -> str | None:
    """The first value two options share, or None."""
    seen: set[str] = set()
    for option in options:
        if option.value in seen:
            return option.value
        seen.add(option.value)
    return None
