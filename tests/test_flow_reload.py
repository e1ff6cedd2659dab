"""A flow file fixed, changed, added or removed while `decisionbot serve` runs is picked up
without a restart: the server looks at the folder once a second and loads it again by the rules
of its start (runs in flight stay on the version they started on)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.admission import Admission
from bot.dispatch import Dispatcher
from bot.errors import FlowNotFound
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.server import SERVICES
from bot.store import open_db
from tests.clock import Clock
from tests.dates import FEB1, JAN10
from tests.triggers.conftest import ALICE, BOB, CONV, NOW
from tests.triggers.test_hooks import ENV, post, rows, serve

PICKED_UP = 10.0  # seconds a change may take to be seen (looked for once a second, loaded once settled)

TINY = "id: {id}\ntitle: {title}\nsteps:\n  - id: decision\n    ask: What was decided?\n    type: text\n"


def dispatcher(client: TestClient) -> Dispatcher:
    return client.server.app[SERVICES].dispatcher


async def health(client: TestClient) -> dict[str, Any]:
    return await (await client.get("/healthz")).json()


async def until(check: Callable[[], Any], seconds: float = PICKED_UP) -> Any:
    """``check()`` once it is true, polled while the server runs; fails after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not (found := check()):
        assert asyncio.get_running_loop().time() < deadline, "the server did not pick the change up"
        await asyncio.sleep(0.05)
    return found


async def healthz_until(client: TestClient, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """What ``/healthz`` answers once ``check`` holds; fails after PICKED_UP seconds."""
    deadline = asyncio.get_running_loop().time() + PICKED_UP
    while not check(body := await health(client)):
        assert asyncio.get_running_loop().time() < deadline, f"/healthz still says {body}"
        await asyncio.sleep(0.1)
    return body


def lines(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(start)]


def say(client: TestClient, actor: Actor, text: str) -> None:
    assert dispatcher(client).handle(Message(CONV, actor, text)) is not None, text


def post_meeting(client: TestClient, room: ConversationKey = CONV) -> None:
    trigger = Trigger(flow="post_meeting", source="console", title="Sync", facilitator=ALICE, participants=[BOB],
                      conversation=room)  # fmt: skip
    dispatcher(client).admit([Admission(trigger)])


async def test_a_review_waiting_on_a_refused_flow_starts_once_the_file_is_fixed(
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = (folder / "decision_review.yaml").read_text()
    (folder / "decision_review.yaml").write_text(good.replace("type: yes_no", "type: yesno", 1))
    clock = Clock(NOW)
    caplog.set_level(logging.INFO, logger="decisionbot")
    client = await serve(tmp_path, folder, clock=clock)  # the server starts with the file broken
    try:
        assert "decision_review" in (await health(client))["flows_refused"]
        post_meeting(client)
        for who, text in (
            (ALICE, "We ship"), (ALICE, "Plan"), (ALICE, "bob"), (ALICE, "2026-11-30"), (ALICE, "done"),
            (BOB, "yes"), (ALICE, "2026-12-10"),
        ):  # fmt: skip
            say(client, who, text)
        clock.at(days=14)  # the review is due: its job waits for the fix, claimed and not done
        sql = "SELECT claimed_at IS NOT NULL, done_at FROM jobs WHERE kind = 'start_flow'"
        await until(lambda: rows(client, sql) == [(1, None)])
        assert lines(caplog, "Job 2 waits for its flow to be fixed")

        (folder / "decision_review.yaml").write_text(good)  # the operator fixes it; the server runs on
        body = await healthz_until(client, lambda h: "flows_refused" not in h)
        assert body["status"] == "ok"
        reloaded = lines(caplog, "Flows reloaded from ")
        assert reloaded == [f"Flows reloaded from {folder}: fixed decision_review."
                            " Runs in flight go on with the version they started on."]  # fmt: skip

        clock.at(days=14, minutes=10)  # the claim has lapsed: the job is tried again, and starts it
        outcome = await until(lambda: rows(client, "SELECT outcome FROM jobs WHERE kind = 'start_flow'")[0][0])
        assert outcome == "done: run 2"
        assert rows(client, "SELECT flow_id, status FROM runs WHERE id = 2") == [("decision_review", "active")]
    finally:
        await client.close()


async def test_a_trigger_unrouted_for_a_refused_flow_starts_a_run_at_its_next_notification_once_fixed(
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = (folder / "metric_breach.yaml").read_text()  # the default route's flow
    (folder / "metric_breach.yaml").write_text(good.replace("type: yes_no", "type: yesno", 1))
    client = await serve(tmp_path, folder, ENV)
    try:
        status, body = await post(client, "events", {"title": "Drift", "dedup_key": "drift"})
        assert status == 200 and body["started"] == []
        assert body["unrouted"][0]["problem"].startswith("the flow 'metric_breach' is refused until its file is fixed")
        [logged] = lines(caplog, "Trigger 'Drift'")  # the file's own fix, whole; not "add a route" (it has one)
        assert "Fix: use one of 'text', 'choice', 'yes_no', 'person', 'date', 'number', 'repeat')" in logged
        assert "Fix: correct the flow file as said (check it with: " in logged and "flows validate" in logged
        assert "add a route" not in logged

        (folder / "metric_breach.yaml").write_text(good)
        await healthz_until(client, lambda h: "flows_refused" not in h)
        status, body = await post(client, "events", {"title": "Drift", "dedup_key": "drift"})  # the next notification
        assert status == 200 and body["started"] == [1], body
        assert rows(client, "SELECT flow_id, status FROM runs") == [("metric_breach", "active")]
    finally:
        await client.close()


async def test_a_flow_changed_added_refused_or_removed_is_seen_once_and_runs_in_flight_keep_their_version(
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot")
    client = await serve(tmp_path, folder)
    try:
        post_meeting(client)
        say(client, ALICE, "We ship")
        [(old,)] = rows(client, "SELECT flow_version FROM runs WHERE id = 1")
        text = (folder / "post_meeting.yaml").read_text()
        (folder / "post_meeting.yaml").write_text(text.replace("title: ", "title: Renamed ", 1))
        (folder / "quick.yaml").write_text(TINY.format(id="quick", title="Quick"))
        (folder / "typo.yaml").write_text(TINY.format(id="typo", title="T").replace("type: text", "type: txt"))
        await until(lambda: "quick" in dispatcher(client).catalog.current)
        assert "typo" in (await health(client))["flows_refused"]
        await asyncio.sleep(2.5)  # looked at twice more: nothing new to say
        assert lines(caplog, "Flows reloaded from ") == [
            f"Flows reloaded from {folder}: added quick; updated post_meeting; refused typo."
            " Runs in flight go on with the version they started on."
        ]
        [refusal] = lines(caplog, "Flow refused on reload")
        assert f"{folder / 'typo.yaml'}, step 'decision': 'type' is invalid" in refusal

        post_meeting(client, ConversationKey("console", "other"))  # a new run: on the new version
        [(new,)] = rows(client, "SELECT flow_version FROM runs WHERE id = 2")
        assert new != old and dispatcher(client).catalog.get("post_meeting").version == new
        say(client, ALICE, "Plan")  # run 1 goes on, on its version
        assert rows(client, "SELECT flow_version FROM runs WHERE id = 1") == [(old,)]
        assert rows(client, "SELECT count(*) FROM answers WHERE run_id = 1") == [(2,)]

        room = ConversationKey("console", "quick")
        quick = Trigger(flow="quick", source="console", title="Q", facilitator=ALICE, conversation=room)
        dispatcher(client).admit([Admission(quick)])
        caplog.clear()
        (folder / "quick.yaml").unlink()
        await until(lambda: "quick" not in dispatcher(client).catalog.current)
        with pytest.raises(FlowNotFound, match="No flow 'quick'"):
            dispatcher(client).catalog.get("quick")
        done = dispatcher(client).handle(Message(room, ALICE, "Ship it"))  # its run in flight finishes
        assert done is not None and done.outcome.status == "completed"
        assert lines(caplog, "Flows reloaded from ") == [
            f"Flows reloaded from {folder}: removed quick. Runs in flight go on with the version they started on."
        ]
    finally:
        await client.close()


async def test_a_folder_that_becomes_entirely_broken_keeps_the_last_good_flows_and_says_so(
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot")
    client = await serve(tmp_path, folder, ENV)
    try:
        good = {p: p.read_text() for p in folder.glob("*.yaml")}
        for path in good:
            path.write_text("title: [broken\n")
        body = await healthz_until(client, lambda h: len(h.get("flows_refused", {})) == 3)
        assert body["status"] == "ok"  # the server goes on
        [loud] = [r for r in caplog.records if r.getMessage().startswith("No flow file in ")]
        said = loud.getMessage()
        assert loud.levelno == logging.ERROR and all(str(p) in said for p in good)
        assert "keeps running the last good versions of decision_review, metric_breach, post_meeting" in said
        status, started = await post(client, "events", {"title": "Drift", "dedup_key": "drift"})
        assert status == 200 and started["started"] == [1], started  # the last good metric_breach runs

        for path, text in good.items():
            path.write_text(text)
        await healthz_until(client, lambda h: "flows_refused" not in h)
        assert set(dispatcher(client).catalog.current) == {"decision_review", "metric_breach", "post_meeting"}
        assert lines(caplog, "Flows reloaded from ") == [
            f"Flows reloaded from {folder}: fixed decision_review, metric_breach, post_meeting."
            " Runs in flight go on with the version they started on."
        ]
    finally:
        await client.close()


def test_a_file_is_loaded_once_it_looks_the_same_twice_not_half_written(folder: Path, tmp_path: Path) -> None:
    db = open_db(tmp_path / "c.db")
    try:
        catalog = FlowCatalog(folder, db)
        path = folder / "quick.yaml"
        path.write_text("")  # an editor that truncates, then writes
        assert catalog.scan() is None  # seen changing: not read yet
        path.write_text(TINY.format(id="quick", title="Quick"))
        assert catalog.scan() is None  # still changing
        scan = catalog.scan()  # settled
        assert scan is not None and not scan.refused
        change = catalog.apply(scan)
        assert change.added == ["quick"] and not change.refused
        assert catalog.scan() is None  # nothing new
    finally:
        db.conn.close()


async def test_a_step_renamed_to_a_reserved_id_while_serving_is_refused_on_reload_and_runs_once_renamed(
    folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot")
    client = await serve(tmp_path, folder)
    try:
        good = (folder / "post_meeting.yaml").read_text()
        (folder / "post_meeting.yaml").write_text(good.replace("owner_accepts", "next"))
        body = await healthz_until(client, lambda h: "post_meeting" in h.get("flows_refused", {}))
        where = f"{folder / 'post_meeting.yaml'}, step 'next': the step id 'next' is a reserved name"
        fix = "Fix: rename it, e.g. 'next_step', wherever the flow names it"
        shown = body["flows_refused"]["post_meeting"]  # named within the flows folder, not by the server's path
        assert (
            shown.startswith("post_meeting.yaml, step 'next': the step id 'next' is a reserved name") and fix in shown
        )
        assert str(folder) not in shown
        [refusal] = lines(caplog, "Flow refused on reload")
        assert where in refusal and fix in refusal  # the same words as flows validate and chat
        with pytest.raises(FlowNotFound, match="reserved name"):
            dispatcher(client).catalog.get("post_meeting")
        assert {"decision_review", "metric_breach"} <= set(dispatcher(client).catalog.current)  # the others run

        (folder / "post_meeting.yaml").write_text(good.replace("owner_accepts", "next_step"))
        await healthz_until(client, lambda h: "flows_refused" not in h)
        post_meeting(client)
        for who, text in (
            (ALICE, "We ship"), (ALICE, "Plan"), (ALICE, "bob"), (ALICE, JAN10), (ALICE, "done"),
            (BOB, "yes"), (ALICE, FEB1),
        ):  # fmt: skip
            say(client, who, text)
        assert rows(client, "SELECT state, status FROM runs") == [("completed", "completed")]
        assert rows(client, "SELECT value FROM answers WHERE step = 'next_step'") == [("true",)]
    finally:
        await client.close()
