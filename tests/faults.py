"""An injected fault: a function deep inside a request raises the first time it is called (a
bug, a passing failure), and works again afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest


class Injected(RuntimeError):
    pass


def fail_once(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Make ``owner.name`` raise ``Injected`` on its first call; returns the list of calls made."""
    original = getattr(owner, name)
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise Injected(f"injected fault in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return calls


class Gate:
    """Holds the callers of an awaited function until ``count`` have come, then lets them all go
    on in one pass of the event loop (so what they write next shares one group commit): the
    last to come first, then the others in the order they came."""

    def __init__(self, count: int):
        self.count = count
        self.arrived = 0
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        """Come to the gate; return once it is open (at once, without yielding, for the last)."""
        self.arrived += 1
        if self.arrived == self.count:
            self.opened.set()
        await self.opened.wait()

    def around(self, original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def gated(*args: Any, **kwargs: Any) -> Any:
            await self.wait()
            return await original(*args, **kwargs)

        return gated
