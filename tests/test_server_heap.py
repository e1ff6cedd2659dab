"""``decisionbot serve`` leaves the objects its start made out of Python's full garbage
collections (they held every request 60-90 ms every second or two under load)."""

from __future__ import annotations

import gc
from pathlib import Path

from aiohttp.test_utils import TestServer

from bot.server import create_app

FLOWS = Path(__file__).resolve().parents[1] / "flows"


async def test_the_start_is_frozen_out_of_garbage_collection_when_asked(tmp_path: Path) -> None:
    before = gc.get_freeze_count()  # (an earlier test's in-process `serve` may have frozen some)
    plain = TestServer(create_app(tmp_path / "a.db", FLOWS, env={}))
    await plain.start_server()
    await plain.close()
    assert gc.get_freeze_count() == before  # the tests' apps: nothing frozen
    server = TestServer(create_app(tmp_path / "b.db", FLOWS, env={}, settle_heap=True))
    try:
        await server.start_server()
        assert gc.get_freeze_count() > before  # what the start made: the flows, the app, its channels ...
        assert gc.isenabled()  # still collecting what the server makes from now on
    finally:
        await server.close()
        gc.unfreeze()
