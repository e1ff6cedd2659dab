"""The groups a request wrote into (an aiohttp handler's task, a Socket Mode ack, and the tasks it
spawns): counted from ``track``, so its response, and its effects (an answer to it, a redraw), wait
for their commit (``request_stored``); whether the running code is a request's."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar


class Written(list[asyncio.Future[None]]):
    """The groups one request joined (its savepoints, kept or rolled back), and in ``kept`` those
    that hold writes of it (an outermost savepoint released into them)."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[asyncio.Future[None]] = []


#: The groups the current request (an aiohttp handler's task, a Socket Mode ack) wrote into. Tasks
#: a request spawns share it (they copy the context): their effects can wait for its commit.
_WRITTEN: ContextVar[Written | None] = ContextVar("decisionbot_groups_written", default=None)


def track() -> Written:
    """Start counting the groups this task (and what it awaits) writes into: see committed()."""
    written = Written()
    _WRITTEN.set(written)
    return written


async def request_stored() -> None:
    """In a task a request spawned (an answer to it, a redraw): return once what that request
    wrote is committed; raise ``sqlite3.Error`` when it was lost (the request was answered 5xx and
    comes again, or failed). At once outside a request."""
    for done in list(_WRITTEN.get() or ()):
        await asyncio.shield(done)


def in_request() -> bool:
    """Whether the running code is a request's (or a task it spawned): see :func:`track`."""
    return _WRITTEN.get() is not None
