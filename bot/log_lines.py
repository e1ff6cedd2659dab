"""The lines of ``decisionbot serve``'s log: one record's text never starts a line of its own.

Log messages repeat what clients sent (a hook's field named in its 400, an alert's title, a
person's id): a line break in it would start a line that reads as another record (journald
keeps each line as an entry), and an escape sequence would act on the terminal of whoever tails
the log. Here a line break continues the record's line, indented, and every other control
character (but tab) is shown escaped. A traceback the record carries is the logging module's
own text, left as it is.
"""

from __future__ import annotations

import logging
import re

from bot.render import terminal_safe

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: The logger of the lines an operator reads the log for, logged at every ``--log-level``
#: (WARNING quiets a line per request, not these): the ledger a server writes, an upgrade and the
#: copy it took first, and what waits in the outbox when it stopped.
SERVICE = "decisionbot.service"

#: Where a continued line starts: under the record's own line, never at its first column.
INDENT = "    "

_BREAKS = re.compile(r"\r\n|\r|\n")
#: Unicode's line and paragraph separators, which a log reader may take for line breaks.
_SEPARATORS = re.compile("[\u2028\u2029]")


def contained(text: str) -> str:
    """``text`` kept on its record's lines: breaks continue them, indented; controls escaped, as
    ``runs show`` escapes them (:func:`bot.render.terminal_safe`), and the separators too."""
    safe = terminal_safe(_BREAKS.sub("\n", text))
    return _BREAKS.sub("\n" + INDENT, _SEPARATORS.sub(lambda found: f"\\u{ord(found.group()):04x}", safe))


class RecordLines(logging.Formatter):
    """A formatter whose message is :func:`contained`."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = contained(record.message)
        return super().formatMessage(record)


class ContainedLines(logging.Filter):
    """:func:`contained` for a handler whose formatter is another library's (rasa-sdk's
    coloredlogs in ``decisionbot rasa-actions``): the record's message is made so before any
    handler formats it, once, whatever the handlers that see it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "contained", False):
            record.msg, record.args = contained(record.getMessage()), None
            setattr(record, "contained", True)  # noqa: B010 - an attribute of our own on the record
        return True


def contain(*loggers: logging.Logger) -> None:
    """Give every handler of ``loggers`` (the root logger when none is named) a
    :class:`ContainedLines` filter, once."""
    for logger in loggers or (logging.getLogger(),):
        for handler in logger.handlers:
            if not any(isinstance(f, ContainedLines) for f in handler.filters):
                handler.addFilter(ContainedLines())


def configure(level: str) -> None:
    """The root logger's handler for ``serve``: standard error, :data:`FORMAT`, :class:`RecordLines`;
    :data:`SERVICE`'s lines at INFO whatever ``level``."""
    handler = logging.StreamHandler()
    handler.setFormatter(RecordLines(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger(SERVICE).setLevel(min(logging.INFO, logging.getLogger().level))
