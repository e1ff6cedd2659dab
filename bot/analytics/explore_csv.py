"""Datasette's CSV downloads (``decisionbot explore``), made as safe as ``decisionbot export``'s.

Datasette writes a cell as the ledger holds it, so what a chat user typed (``=HYPERLINK(...)``,
``+cmd``, ``@SUM(...)``) opened as a formula in a spreadsheet, and Datasette has no setting to
change that. :func:`guard_csv` wraps its ASGI app: a CSV response is read cell by cell as it
streams out, and a text cell that a spreadsheet would read as a formula gets a leading ``'``, as
:func:`bot.analytics.export.csv_cell` does; numbers (``-3``, ``+1.5e3``) and every other response
are left alone.
"""

from __future__ import annotations

import codecs
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bot.analytics.export import csv_cell

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_CSV_TYPES = (b"text/plain", b"text/csv")  # Datasette's CSV; ?_trace=1 shows it as text/html


def guard_csv(app: App) -> App:
    """``app`` with its CSV responses' formula-like text cells made text."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _asks_csv(scope):
            await app(scope, receive, send)
            return
        rewrite: list[CsvGuard] = []

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(_CSV_TYPES):
                    rewrite.append(CsvGuard())
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and rewrite:
                done = not message.get("more_body", False)
                message = {**message, "body": rewrite[0].feed(message.get("body", b""), done)}
            await send(message)

        await app(scope, receive, sending)

    return guarded


def _asks_csv(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path.endswith(".csv") or b"_format=csv" in bytes(scope.get("query_string", b""))


class CsvGuard:
    """Rewrites a CSV stream (Python's ``csv`` dialect: ``,``, ``"`` quoting) fed in chunks of
    any size; a cell is held until its end is seen."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.cell: list[str] = []
        self.started = False  # a character of the cell (or its opening quote) was seen
        self.quoted = False
        self.in_quotes = False
        self.quote_pending = False  # a '"' inside quotes: an escaped one or the closing one

    def feed(self, chunk: bytes, done: bool = False) -> bytes:
        out: list[str] = []
        for ch in self.decoder.decode(chunk, final=done):
            self._char(ch, out)
        if done and (self.started or self.quote_pending):
            self.in_quotes = self.quote_pending = False
            self._end_cell(out)
        return "".join(out).encode("utf-8")

    def _char(self, ch: str, out: list[str]) -> None:
        if self.quote_pending:
            self.quote_pending = False
            if ch == '"':
                self.cell.append('"')
                return
            self.in_quotes = False
        if self.in_quotes:
            if ch == '"':
                self.quote_pending = True
            else:
                self.cell.append(ch)
        elif ch in ",\r\n":
            self._end_cell(out)
            out.append(ch)
        elif ch == '"' and not self.started:
            self.started = self.quoted = self.in_quotes = True
        else:
            self.started = True
            self.cell.append(ch)

    def _end_cell(self, out: list[str]) -> None:
        value = "".join(self.cell)
        value = str(csv_cell(value))
        if self.quoted or any(c in value for c in ',"\r\n'):
            value = '"' + value.replace('"', '""') + '"'
        out.append(value)
        self.cell, self.started, self.quoted = [], False, False
