"""Text longer than a platform takes in one message, made to fit. Pure: no I/O.

Two ways, both on the neutral text (before the channel escapes it, so no escape or mention is
ever cut), with the channel's own measure of what the text costs once escaped (``cost``):
:func:`split` cuts a long reply (a summary, a list) into parts that each fit, losing nothing;
:func:`shorten` keeps a question whole and cuts the middle of what it repeats (a long answer it
quotes), where one message is needed (a prompt with its buttons, an error).
"""

from __future__ import annotations

from collections.abc import Callable

Cost = Callable[[str], int]


def split(text: str, room: int, cost: Cost) -> list[str]:
    """``text`` in parts of at most ``room`` each, in order: cut at line breaks where it can; a
    line too long for a part of its own fills the part it starts in and goes on in the next ones,
    cut at a space that leaves the part at least half full, else anywhere. ``cost`` must add up
    over lines: ``cost(a + "\\n" + b) == cost(a) + cost("\\n") + cost(b)``."""
    if cost(text) <= room:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    newline = cost("\n")

    def flush() -> None:
        nonlocal current, used
        if current:
            parts.append("\n".join(current))
        current, used = [], 0

    for line in text.split("\n"):
        joint = newline if current else 0
        if used + joint + cost(line) <= room:
            current.append(line)
            used += joint + cost(line)
            continue
        if cost(line) <= room:  # fits a part of its own
            flush()
            current, used = [line], cost(line)
            continue
        while True:  # too long for any part: cut, filling each part
            joint = newline if current else 0
            left = room - used - joint
            if cost(line) <= left:
                current.append(line)
                used += joint + cost(line)
                break
            if left < room // 4:  # too little left to be worth a piece
                flush()
                continue
            head = _longest(line, left, cost)
            current.append(line[:head].rstrip(" "))
            flush()
            line = line[head:].lstrip(" ")
    flush()
    return [part for part in parts if part.strip()] or [text]


def _longest(line: str, room: int, cost: Cost) -> int:
    """How many characters of ``line`` go in a part: the most that fit, back to a space when
    one leaves the part at least half full."""
    low, high = 1, len(line)
    while low < high:  # the longest prefix that fits (at least one character)
        mid = (low + high + 1) // 2
        if cost(line[:mid]) <= room:
            low = mid
        else:
            high = mid - 1
    space = line.rfind(" ", 0, low + 1)
    return space if space > low // 2 else low


def shorten(text: str, room: int, cost: Cost, gap: str) -> str:
    """``text`` within ``room``, its end kept (a message ends with its question): the middle goes,
    replaced by ``gap``. The last line stays whole when it leaves a sixth of the room for the
    start (which says whom and what the message is about)."""
    if cost(text) <= room:
        return text
    room -= cost(gap)
    last = text[text.rfind("\n") + 1 :]
    end = len(last) if cost(last) <= room - room // 6 else _longest_end(text, room // 2, cost)
    tail = text[len(text) - end :]
    head = _longest(text, max(1, room - cost(tail)), cost) if room > cost(tail) else 0
    return text[:head] + gap + tail


def _longest_end(text: str, room: int, cost: Cost) -> int:
    """How many characters of the end of ``text`` fit in ``room``."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if cost(text[len(text) - mid :]) <= room:
            low = mid
        else:
            high = mid - 1
    return low
