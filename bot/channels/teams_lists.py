"""A list typed in Teams (the compose box's bullets or numbering) read as one: the activity's
``text`` gives its items as bare lines, without their bullets or numbers, while the HTML copy of
the message Teams attaches (``text/html``) keeps them as ``<ul>``/``<ol>`` and ``<li>``. The lines
of ``text`` that are those items get their marker back (``- item``, ``1. item``), so a list of
actions typed at once reads as the list it is, as Slack's ``• item`` lines do."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

_LIST = re.compile(r"<(ol|ul)\b[^<>]*>(.*?)</\1\s*>", re.I | re.S)
_ITEM = re.compile(r"<li\b[^<>]*>(.*?)(?=<li\b|$)", re.I | re.S)
_MARKUP = re.compile(r"<[^<>]*>")


def _plain(text: str) -> str:
    """Words alone: no markup, and a mention as its name (``@Bob_Builder``, ``<at>Bob Builder</at>``)."""
    words = html.unescape(_MARKUP.sub(" ", text)).replace("@", " ").replace("_", " ")
    return " ".join(words.split()).casefold()


def _items(activity: Mapping[str, Any]) -> dict[str, str]:
    """Each list item of the HTML copy (as plain words) -> its marker."""
    found: dict[str, str] = {}
    for attachment in activity.get("attachments") or []:
        if not isinstance(attachment, Mapping) or attachment.get("contentType") != "text/html":
            continue
        for kind, body in _LIST.findall(str(attachment.get("content") or "")):
            for n, item in enumerate(_ITEM.findall(body), 1):
                if words := _plain(item):
                    found.setdefault(words, f"{n}." if kind.lower() == "ol" else "-")
    return found


def with_markers(text: str, activity: Mapping[str, Any]) -> str:
    """``text`` with each line that is an item of a list in the HTML copy led by its marker; two
    items at least, else ``text`` as it came (a lone item is no list of actions)."""
    items = _items(activity)
    if len(items) < 2:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    marked = [f"{items[_plain(line)]} {line.strip()}" if _plain(line) in items else line for line in lines]
    return "\n".join(marked) if sum(_plain(line) in items for line in lines) >= 2 else text
