"""Exports of one table or view, streamed as CSV or JSON. Only a known name is accepted: the name
is checked against the ledger's own list of tables and views, never pasted into SQL unchecked."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from typing import Protocol

from bot import texts
from bot.errors import BotError

_HIDDEN = ("sqlite_", "messages_fts")


class Writable(Protocol):
    """Where an export goes: a text stream, or one that escapes for a terminal (cli_analytics)."""

    def write(self, text: str, /) -> int: ...


def names(conn: sqlite3.Connection) -> list[str]:
    """The tables and views an analyst can export (not SQLite's own, nor the index's internals)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY type, name")
    return [name for (name,) in rows if not name.startswith(_HIDDEN)]


def export(conn: sqlite3.Connection, name: str, fmt: str, out: Writable) -> int:
    """Write every row of ``name`` to ``out``; return how many."""
    known = names(conn)
    if name not in known:
        raise BotError(texts.analytics_unknown_name(name, known))
    cur = conn.execute(f'SELECT * FROM "{name}"')  # a name from sqlite_master, checked above
    columns = [d[0] for d in cur.description]
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in cur:  # csv_cell inlined: a call per cell took longer than the query
            writer.writerow(
                [f"'{v}" if v.__class__ is str and v.startswith(FORMULA_START) and not NUMBER.fullmatch(v) else v
                 for v in row]
            )  # fmt: skip
            count += 1
        return count
    out.write("[")
    for row in cur:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(dict(zip(columns, row, strict=True)), default=str))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


#: What a spreadsheet reads as the start of a formula (and tab/CR, which some strip before it).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text that is a number (a number step's answer '-3' is stored as text): a spreadsheet reads it as
#: that number and nothing else, so it keeps no apostrophe.
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def csv_cell(value: object) -> object:
    """A value for a CSV cell an analyst opens in a spreadsheet: text people typed that would
    start a formula (``=HYPERLINK(...)``) gets a leading apostrophe and stays text. Numbers, and
    text that is a number ('-3'), are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value
