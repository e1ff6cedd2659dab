"""Words that steer a run instead of answering: help, back, skip, cancel and corrections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

WORDS = {"help": "help", "?": "help", "back": "back", "undo": "back", "skip": "skip", "cancel": "cancel"}
_CORRECTION = re.compile(
    r"^(?:change|set|correct|update|edit)\s+(?:the\s+)?(?P<target>.+?)\s+(?:to|=|:)\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
ITEM_WORDS = ("action", "item")  # what an item of a repeat step is called, besides its item_label
_STOP = {"the", "a", "an", "date", "of", "my", "our"}


@dataclass(frozen=True)
class Command:
    kind: str  # help | back | skip | cancel | correct
    target: str | None = None  # correct: the words naming the answer
    item: int | None = None  # correct: the 1-based item number, for repeat fields
    value: str | None = None  # correct: the new answer, as typed
    label: str | None = None  # correct: the item word said ("task"), casefolded; action/item name any


def item_word(label: str) -> str:
    """A label as corrections match it: "Onboarding  Task" -> "onboarding task"."""
    return " ".join(label.casefold().split())


@cache
def _item_patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The two ways to name an item's field (owner of action 2, action 2's owner), per item word."""
    label = "(?P<label>" + "|".join(re.escape(w) for w in words) + ")"
    return (
        re.compile(rf"^(?P<field>.+?)\s+(?:of|for|in)\s+{label}\s*#?(?P<n>\d+)$"),
        re.compile(rf"^{label}\s*#?(?P<n>\d+)(?:'s)?\s+(?P<field>.+)$"),
    )


def classify(text: str, labels: tuple[str, ...] = ()) -> Command | None:
    """The command ``text`` is, or None; ``labels``: the flow's item labels ("Task"), which name
    items in corrections as "action" and "item" do."""
    folded = " ".join(text.casefold().split()).rstrip(".!")
    if folded in WORDS:
        return Command(WORDS[folded])
    match = _CORRECTION.match(text.strip())
    if not match:
        return None
    target = " ".join(match.group("target").casefold().split())
    value = match.group("value").strip()
    words = tuple(dict.fromkeys([*ITEM_WORDS, *filter(None, map(item_word, labels))]))
    for pattern in _item_patterns(words):
        item = pattern.match(target)
        if item:
            return Command("correct", item.group("field"), int(item.group("n")), value, item_word(item.group("label")))
    return Command("correct", target, None, value)


def match_name(target: str, names: list[str]) -> str | None:
    """The one id in ``names`` that ``target`` ("due date", "review", "owner") refers to."""
    wanted = target.replace("-", " ").replace("_", " ").split()
    joined = "_".join(wanted)
    if joined in names:
        return joined
    words = {w for w in wanted if w not in _STOP}  # every word must be the name's: not "decision log"
    hits = [n for n in names if words and words <= set(n.split("_"))]
    return hits[0] if len(hits) == 1 else None
