"""Requests refused at the server's edge, told in the log at most once a minute per kind: a
Slack request whose signature does not verify, a Teams request whose token does not, a hook's
request without its token or with a bad body. Anyone who can reach the server can send them, and
a line each let one client write thousands of lines a second: journald then drops the service's
lines for the rest of its interval, the real errors among them. The line a kind gets after its
quiet minute counts the ones left out."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError
from aiohttp.http_exceptions import HttpProcessingError

from bot import texts

#: Seconds between two log lines of one kind of refusal.
TOLD_EVERY = 60.0


@dataclass
class RefusalLog:
    logger: logging.Logger
    level: int = logging.WARNING
    told: dict[Hashable, float] = field(default_factory=dict)  # kind -> when last logged
    untold: dict[Hashable, int] = field(default_factory=dict)  # kind -> refusals since, not logged

    def tell(self, kind: Hashable, line: Callable[..., str], *args: Any) -> None:
        """Log ``line(*args, left_out)`` unless a refusal of ``kind`` was logged less than
        TOLD_EVERY seconds ago (then it is only counted); ``left_out``: those counted since the
        last line."""
        now = time.monotonic()
        if now - self.told.get(kind, -math.inf) < TOLD_EVERY:
            self.untold[kind] = self.untold.get(kind, 0) + 1
            return
        self.told[kind] = now
        self.logger.log(self.level, line(*args, self.untold.pop(kind, 0)))

    def forget(self) -> None:
        """Start afresh: the next line of any kind is logged at once, counting none left out before it."""
        self.told.clear()
        self.untold.clear()


#: What a client, not the server, did wrong, which aiohttp's server logs as an ERROR with a
#: traceback: HTTP it cannot parse (a bad header line, two Content-Length), answered 400; a
#: connection closed mid-request.
CLIENT_FAULTS = (HttpProcessingError, ConnectionResetError)


class ClientFaults(logging.Filter):
    """aiohttp's server logger: a request that failed by the client's fault is one WARNING line at
    most a minute (:class:`RefusalLog`), not an ERROR with its traceback each (anyone who can reach
    the port can send them); the server's own errors pass as they are."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = RefusalLog(logging.getLogger("decisionbot.http"))

    def filter(self, record: logging.LogRecord) -> bool:
        fault = record.exc_info[1] if record.exc_info else None
        if not isinstance(fault, CLIENT_FAULTS) or isinstance(fault, ClientError):
            return True  # (the bot's own call out failing, ClientConnectionResetError, is the server's)
        said = " ".join(f"{type(fault).__name__}: {fault}".split())[:200]
        self.refusals.tell(type(fault).__name__, texts.http_client_fault, record.getMessage(), said)
        return False


def quiet_client_faults() -> None:
    """Install :class:`ClientFaults` on aiohttp's server logger, once."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientFaults) for f in server.filters):
        server.addFilter(ClientFaults())
