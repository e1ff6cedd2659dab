"""What a long-running server remembers in memory per person, conversation or run, kept within a
size. ``decisionbot serve`` runs for months: a dict keyed by everyone the bot ever met would grow
with the traffic. Each such cache is also in the ledger (or cheap to learn again), so the entry
forgotten is read back, or asked for again, when next needed.

:class:`Bounded` is a dict that forgets its oldest entries (by when each was last written) past
``most``. Write through ``[key] = value`` (``update``, ``setdefault`` and ``|=`` are plain dict's,
unbounded): the caches here do.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: How many entries each per-person, per-conversation or per-run cache keeps at most: more than a
#: busy workspace's people active in a day, a few megabytes at most.
CACHED_AT_MOST = 10_000


class Bounded(dict[K, V]):
    """A dict of ``most`` entries at most; writing one past that forgets the least recently written."""

    def __init__(self, most: int = CACHED_AT_MOST) -> None:
        super().__init__()
        self.most = most

    def __setitem__(self, key: K, value: V) -> None:
        super().pop(key, None)  # written again: the newest
        super().__setitem__(key, value)
        while len(self) > self.most:
            del self[next(iter(self))]
