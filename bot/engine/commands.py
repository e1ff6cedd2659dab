"""Words that steer a run instead of answering: help, back, skip, cancel and corrections."""

from __future__ import annotations

import re
from dataclasses import dataclass

WORDS = {"help": "help", "?": "help", "back": "back", "undo": "back", "skip": "skip", "cancel": "cancel"}
_CORRECTION = re.compile(
    r"^(?:change|set|correct|update|edit)\s+(?:the\s+)?(?P<target>.+?)\s+(?:to|=|:)\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_OF_ITEM = re.compile(r"^(?P<field>.+?)\s+(?:of|for|in)\s+(?:action|item)\s*#?(?P<n>\d+)$")
_ITEM_FIRST = re.compile(r"^(?:action|item)\s*#?(?P<n>\d+)(?:'s)?\s+(?P<field>.+)$")
_STOP = {"the", "a", "an", "date", "of", "my", "our"}


@dataclass(frozen=True)
class Command:
    kind: str  # help | back | skip | cancel | correct
    target: str | None = None  # correct: the words naming the answer
    item: int | None = None  # correct: the 1-based item number, for repeat fields
    value: str | None = None  # correct: the new answer, as typed


def classify(text: str) -> Command | None:
    folded = " ".join(text.casefold().split()).rstrip(".!")
    if folded in WORDS:
        return Command(WORDS[folded])
    match = _CORRECTION.match(text.strip())
    if not match:
        return None
    target = " ".join(match.group("target").casefold().split())
    value = match.group("value").strip()
    for pattern in (_OF_ITEM, _ITEM_FIRST):
        item = pattern.match(target)
        if item:
            return Command("correct", item.group("field"), int(item.group("n")), value)
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
