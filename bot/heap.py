"""The server's heap settled once it has started: what the start made left out of Python's full
garbage collections, and the young generation collected less often (``decisionbot serve``)."""

from __future__ import annotations

import gc

from aiohttp import web

#: Allocations (less deallocations) between two collections of the young generation: Python's
#: 700 ran one every few hundred microseconds under load, most of a turn's objects still alive then
#: (promoted, to be scanned again in the older generations).
YOUNG_COLLECTION_AFTER = 7000


async def settle(_app: web.Application) -> None:
    """Leave what the start made (flows, dateparser's data, the platform SDKs: about a million
    objects) out of Python's full garbage collections. Each scanned them all: 60-90 ms every second
    or two under load, every request held meanwhile (bench_slack at 200 turns/s offered: ack p99
    95-118 ms). Frozen once started, a full collection scans only what the server made since:
    10-14 ms (ack p99 64 ms). The young generation is collected less often too
    (:data:`YOUNG_COLLECTION_AFTER`): 1.6% of a Slack turn's instructions less (bench/turn_cost.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, *gc.get_threshold()[1:])


def resettle() -> None:
    """The flows folder was loaded again in a settled server: the flows it replaced (their
    compiled machines are reference cycles, like a refused file's error) may be frozen, and a
    frozen cycle is never collected. Unfrozen, collected, frozen again: one full collection
    (60-90 ms, requests held meanwhile) per edit of the flows folder, which is rare enough."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
