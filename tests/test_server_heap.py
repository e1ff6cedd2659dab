"""``decisionbot serve`` leaves the objects its start made out of Python's full garbage
collections (they held every request 60-90 ms every second or two under load); the flows an edit
of the flows folder replaces are let go all the same."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.engine.compiler import interpreter
from bot.heap import YOUNG_COLLECTION_AFTER
from bot.server import SERVICES, create_app
from tests.test_flow_reload import TINY, post_meeting, rows, say, until
from tests.triggers.conftest import ALICE

FLOWS = Path(__file__).resolve().parents[1] / "flows"


async def test_the_start_is_frozen_out_of_garbage_collection_when_asked(tmp_path: Path) -> None:
    before = gc.get_freeze_count()  # (an earlier test's in-process `serve` may have frozen some)
    thresholds = gc.get_threshold()
    plain = TestServer(create_app(tmp_path / "a.db", FLOWS, env={}))
    await plain.start_server()
    await plain.close()
    assert gc.get_freeze_count() == before  # the tests' apps: nothing frozen
    assert gc.get_threshold() == thresholds  # nor their collections spaced out
    server = TestServer(create_app(tmp_path / "b.db", FLOWS, env={}, settle_heap=True))
    try:
        await server.start_server()
        assert gc.get_freeze_count() > before  # what the start made: the flows, the app, its channels ...
        assert gc.isenabled()  # still collecting what the server makes from now on
        # the young generation collected every 7,000 allocations, not 700: a turn's objects mostly
        # gone by then, not promoted to be scanned again (bench/turn_cost.py: 1.6% of a turn)
        assert gc.get_threshold() == (YOUNG_COLLECTION_AFTER, *thresholds[1:])
    finally:
        await server.close()
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def edited_while_serving(tmp_path: Path, flows: Path, settle_heap: bool) -> None:
    """A server started with one flow file refused and a flow compiled before the start's freeze
    (as a turn at the start compiles it: the scheduler's due jobs); both files edited while a run
    is on that flow: the old flow, its compiled machine and the refusal are freed, and the run
    goes on, on its version."""
    (flows / "typo.yaml").write_text(TINY.format(id="typo", title="T").replace("type: text", "type: txt"))
    app = create_app(tmp_path / "h.db", flows, env={}, settle_heap=settle_heap)
    catalog = app[SERVICES].dispatcher.catalog
    old = catalog.get("post_meeting")
    machine = interpreter(old)
    gone = [
        weakref.ref(old),
        weakref.ref(machine),
        weakref.ref(machine.machine_class),
        weakref.ref(catalog.refused["typo"]),
    ]
    del old, machine
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        post_meeting(client)
        say(client, ALICE, "We ship")
        text = (flows / "post_meeting.yaml").read_text()
        (flows / "post_meeting.yaml").write_text(text.replace("title: ", "title: Renamed ", 1))
        (flows / "typo.yaml").write_text(TINY.format(id="typo", title="T"))
        await until(lambda: "typo" in catalog.current)  # (a settled server collected in that step)
        gc.collect()
        assert [ref() for ref in gone] == [None, None, None, None]
        say(client, ALICE, "Plan")  # the run in flight goes on, on its version read again from the ledger
        assert rows(client, "SELECT count(*) FROM answers WHERE run_id = 1") == [(2,)]
        assert catalog.get("post_meeting").version != rows(client, "SELECT flow_version FROM runs")[0][0]
    finally:
        await client.close()
        if settle_heap:
            gc.unfreeze()


async def test_flows_replaced_while_a_settled_server_runs_are_freed(tmp_path: Path, folder: Path) -> None:
    await edited_while_serving(tmp_path, folder, settle_heap=True)


async def test_flows_replaced_while_a_tests_app_runs_are_freed_and_nothing_is_frozen(
    tmp_path: Path,
    folder: Path,
) -> None:
    before = gc.get_freeze_count()
    await edited_while_serving(tmp_path, folder, settle_heap=False)
    assert gc.get_freeze_count() == before
