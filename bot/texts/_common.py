"""Helpers shared by the text modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _join(items: Iterable[Any]) -> str:
    items = [str(i) for i in items]
    return ", ".join(items) if items else "nobody yet"


def _one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line (a log line stays one line), cut at ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
