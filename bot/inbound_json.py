"""Inbound JSON as the bot takes it, from every platform and hook: standard JSON only (no NaN or
Infinity, which Python reads but SQLite's JSON functions refuse later), text that can be stored
(no lone surrogate from a ``\\ud800`` escape), nesting Python's parser can follow. Each problem is
a ValueError whose message names it, for the caller's 400."""

from __future__ import annotations

import json
import re
from typing import Any

#: Only a JSON escape of a surrogate (\ud800-\udfff) can put a lone one in the text read.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(body: bytes) -> Any:
    """``body`` parsed; ValueError naming what is wrong with it."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if _SURROGATE_ESCAPE.search(body):  # rare (emoji escaped as pairs): checked only then
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds a lone surrogate (an unpaired \\ud800-\\udfff escape)") from None
    return value
