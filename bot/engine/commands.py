"""Words that steer a run instead of answering: help, back, skip, cancel and corrections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

WORDS = {"help": "help", "?": "help", "back": "back", "undo": "back", "skip": "skip", "cancel": "cancel"}
WORDS |= {"go back": "back", "previous": "back", "previous question": "back"}  # as people also say it
# Those words as they come misspelt: two letters swapped ("hlep", "cancle"), or one off in the
# longest ("cancl", "cancell"); "ship" or "pack" stay answers (a decision may be one word).
TYPOS = {"halp": "help", "hepl": "help", "hlep": "help", "ehlp": "help", "bakc": "back", "bcak": "back"}
TYPOS |= {"skpi": "skip", "sikp": "skip", "cancle": "cancel", "cacnel": "cancel", "cnacel": "cancel"}
TYPOS |= {"canecl": "cancel", "cancl": "cancel", "cancell": "cancel", "canel": "cancel"}
_CORRECTION = re.compile(
    r"^(?:change|set|correct|update|edit)\s+(?:the\s+)?(?P<target>.+?)\s+(?:to|=|:)\s*(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
ITEM_WORDS = ("action", "item")  # what an item of a repeat step is called, besides its item_label
# "actually the owner of action 1 is carol", "no, the due date is friday": a correction said as people do
_CORRECTION_SAID = re.compile(
    r"^(?:actually|no|sorry|wait|oops|correction)[,:;.!]*\s+(?:the\s+)?(?P<target>.+?)\s+(?:is|should be|=)\s+(?P<value>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# "change the answer to 'Why ignore it?' to too noisy": an answer named as corrections name it when it
# has no label (the question quoted), which holds a "to" of its own; with no value after it too
_CORRECTION_ASKED = re.compile(
    r"^(?:change|set|correct|update|edit)\s+(?:the\s+)?(?P<target>answer\s+to\s+(?:['\"\u2018\u201c]).+?['\"\u2019\u201d])"
    r"(?:\s+(?:to|=|:)\s*(?P<value>.+?)|[.!?]*)$",
    re.IGNORECASE | re.DOTALL,
)
# "change the due date of action 2", with no new value: a correction to ask the value of
_CORRECTION_ALONE = re.compile(r"^(?:change|correct|update|edit)\s+(?P<target>.+?)[.!?]*$", re.IGNORECASE | re.DOTALL)
_STOP = {"the", "a", "an", "date", "of", "my", "our"}


@dataclass(frozen=True)
class Command:
    kind: str  # help | back | skip | cancel | correct
    target: str | None = None  # correct: the words naming the answer
    item: int | None = None  # correct: the 1-based item number, for repeat fields
    value: str | None = None  # correct: the new answer, as typed (None: not said, "change the decision")
    label: str | None = None  # correct: the item word said ("task"), casefolded; action/item name any


def item_word(label: str) -> str:
    """A label as corrections match it: "Onboarding  Task" -> "onboarding task"."""
    return " ".join(label.casefold().split())


@cache
def _item_patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """The ways to name an item's field (owner of action 2, action 2's owner; action 2, its first), per item word."""
    label = "(?P<label>" + "|".join(re.escape(w) for w in words) + ")"
    return (
        re.compile(rf"^(?P<field>.+?)\s+(?:of|for|in)\s+{label}\s*#?(?P<n>\d+)$"),
        re.compile(rf"^{label}\s*#?(?P<n>\d+)(?:'s)?\s+(?P<field>.+)$"),
        re.compile(rf"^{label}\s*#?(?P<n>\d+)(?P<field>)$"),  # "change action 2 to ...": its first field
    )


def classify(text: str, labels: tuple[str, ...] = ()) -> Command | None:
    """The command ``text`` is, or None; ``labels``: the flow's item labels ("Task"), which name
    items in corrections as "action" and "item" do."""
    folded = " ".join(text.casefold().split()).rstrip(".!")
    if folded in WORDS or folded in TYPOS:
        return Command(WORDS.get(folded) or TYPOS[folded])
    said = text.strip()
    match = (
        _CORRECTION_ASKED.match(said)
        or _CORRECTION.match(said)
        or _CORRECTION_SAID.match(said)
        or _CORRECTION_ALONE.match(said)
    )
    if not match:
        return None
    target = " ".join(match.group("target").casefold().split())
    value = match.group("value").strip() if match.groupdict().get("value") is not None else None
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


def flow_meant(typed: str, flows: list[str]) -> str | None:
    """The one flow ``typed`` is a slip from: the case or a separator other (``Post-Meeting``,
    ``post meeting`` typed in quotes), or a letter swapped, added, left out or mistyped (``post_meetng``)."""
    word = re.sub(r"[\s-]+", "_", typed.strip().casefold())
    if word in flows:
        return word
    return one_slip_from(word, tuple(flows))


def one_slip_from(word: str, words: tuple[str, ...]) -> str | None:
    """The one of ``words`` that ``word`` is a slip of the keyboard from (two letters swapped, one
    added, left out or mistyped: "staus", "cancle", "lsit"), or None; words under 4 letters never are."""
    word = word.casefold()
    if len(word) < 4 or word in words:
        return None
    found = [w for w in words if _one_slip(word, w)]
    return found[0] if len(found) == 1 else None


def _one_slip(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        return len(diff) == 1 or swapped
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
