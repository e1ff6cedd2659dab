"""Helpers shared by the text modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _join(items: Iterable[Any]) -> str:
    items = [str(i) for i in items]
    return ", ".join(items) if items else "nobody yet"
