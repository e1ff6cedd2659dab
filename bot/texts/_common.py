"""Helpers shared by the text modules."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterable
from typing import Any


def _join(items: Iterable[Any]) -> str:
    items = [str(i) for i in items]
    return ", ".join(items) if items else "nobody yet"


def _one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line (a log line stays one line), cut at ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def command() -> str:
    """How the person at this terminal runs decisionbot, for the commands a hint tells them to
    paste: ``decisionbot`` when that is on PATH; else as they ran it (``.venv/bin/decisionbot``
    after the README's install, ``.venv/bin/python -m bot``)."""
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
