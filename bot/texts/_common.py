"""Helpers shared by the text modules."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _join(items: Iterable[Any]) -> str:
    items = [str(i) for i in items]
    return ", ".join(items) if items else "nobody yet"


def _left_out(count: int) -> str:
    """The end of a refusal's log line (bot/refusals.py): how many like it were not logged since the last."""
    return f" ({count} more refused like it in the last minute, not logged)" if count else ""


def _minutes(seconds: float) -> str:
    """A wait as the log lines say it: '2 min', '30 s'."""
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line (a log line stays one line), cut at ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def moment(at: datetime | str | None, tz: tzinfo) -> str:
    """A moment as people read it, in their time zone: ``Thu 2026-11-26 16:30 CET`` (the
    weekday and ISO date as dates are shown, the time to the minute, the zone's abbreviation).
    ``at``: aware, or ISO 8601 as the ledger stores it (``2026-11-26T15:30:00.000Z``); text
    that is not a moment is shown as it is."""
    if at is None:
        return "?"
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
    except ValueError:
        return str(at)
    local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(tz)
    return f"{_WEEKDAYS[local.weekday()]} {local.date().isoformat()} {local:%H:%M} {local.tzname()}"


#: The ledger and flows options typed before the command being run (``--db x.db``): a hint to
#: paste names them too, or it would run on the default ledger. Set by the CLI for one command.
typed_options: list[str] = []


def command(options: bool = True) -> str:
    """How the person at this terminal runs decisionbot, for the commands a hint tells them to
    paste: ``decisionbot`` when that is on PATH; else as they ran it (``.venv/bin/decisionbot``
    after the README's install, ``.venv/bin/python -m bot``); followed by the ``--db`` and
    ``--flows`` they typed (``options=False``: a hint that names its own)."""
    typed = "".join(f" {shlex.quote(o)}" for o in typed_options) if options else ""
    return _program() + typed


def _program() -> str:
    ran = sys.argv[0] if sys.argv else ""
    if os.path.basename(ran) == "decisionbot":
        found = shutil.which("decisionbot")
        if found is None or os.path.realpath(found) != os.path.realpath(ran):
            return shlex.quote(ran)
    elif ran.endswith(os.path.join("bot", "__main__.py")):
        python = shutil.which(os.path.basename(sys.executable))  # a venv's python links to another: compare paths
        same = python is not None and os.path.abspath(python) == os.path.abspath(sys.executable)
        return f"{os.path.basename(sys.executable) if same else shlex.quote(sys.executable)} -m bot"
    return "decisionbot"
