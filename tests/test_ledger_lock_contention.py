"""Another process writing to the ledger while the server runs (cron's ``jobs run-due``,
``decisionbot trigger``, a second server in a rolling restart) for a moment: the server waits
for it, and nothing is acknowledged that was not stored, nothing posted twice.
The real server and slack_sdk against the fake Web API, requests signed for real; the other
writer is a SQLite connection of its own in a thread, holding the write lock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.store import commit_health
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, SlackPeople, event_body, harness, message, sign, wait_for


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC")}


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack):
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


class Holder:
    """Another writer: takes the write lock, holds it ``seconds``, commits."""

    def __init__(self, db: Path, seconds: float):
        self.db, self.seconds = db, seconds
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('cron', 'x', 'x')")
        self.held.set()
        time.sleep(self.seconds)
        conn.execute("COMMIT")
        conn.close()

    async def __aenter__(self) -> Holder:
        self.thread.start()
        await asyncio.get_running_loop().run_in_executor(None, self.held.wait)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join)


async def test_a_short_hold_is_waited_out_and_the_event_is_stored_before_its_200(
    slack: Harness, tmp_path: Path, fake: FakeSlack
) -> None:
    thread = await slack.started("start post_meeting Sync")
    async with Holder(tmp_path / "slack.db", 0.4):
        began = time.monotonic()
        resp = await slack.event(message("UA", "We ship in March", thread_ts=thread))
        took = time.monotonic() - began
        assert resp.status == 200
        assert 0.2 < took < 2.0, took
        assert slack.rows("SELECT step, raw FROM answers") == [("decision", "We ship in March")]
    posted = await slack.posts(3)
    assert posted[2]["text"].endswith("Action 1: What is the action?")


async def test_the_outbox_carries_on_once_the_other_writer_is_done(slack: Harness, tmp_path: Path) -> None:
    """A reply posted while the lock is held cannot be marked sent then: it is marked later, and
    never posted twice."""
    thread = await slack.started("start post_meeting Sync")
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    async with Holder(tmp_path / "slack.db", 1.0):
        await asyncio.sleep(0.1)
    unsent = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
    await wait_for(lambda: slack.rows(unsent) == [(0,)])
    texts = [p["text"] for p in slack.fake.posted()]
    assert len(texts) == len(set(texts)) == 3


async def test_healthz_and_metrics_say_failing_while_a_held_lock_refuses_requests_and_ok_a_minute_on(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Another process held the write lock past the requests' wait: every request was answered 503,
    yet ``/healthz`` said ok (200) and ``decisionbot_ledger_failing`` stayed 0: no monitor saw it.
    Now they say failing for a minute after a request last gave up, then ok again on their own."""
    slack = await harness(tmp_path, fake, env={"DECISIONBOT_METRICS_TOKEN": "m3trics"})
    try:
        await _locked_out(slack, tmp_path)
    finally:
        await slack.client.close()


async def _locked_out(slack: Harness, tmp_path: Path) -> None:
    thread = await slack.started("start post_meeting Sync")
    body = event_body(message("UA", "We ship in March", thread_ts=thread), event_id="EvLOCKED1")
    async with Holder(tmp_path / "slack.db", 3.0):
        assert (await slack.post(body)).status == 503  # waited 2 s for the lock: nothing stored
        health = await slack.client.get("/healthz")
        assert health.status == 503
        said = await health.json()
        assert said["status"] == "failing" and "another process held the ledger's write lock" in said["ledger_failing"]
        metrics = await slack.client.get("/metrics", headers={"Authorization": "Bearer m3trics"})
        assert "decisionbot_ledger_failing 1" in await metrics.text()
    assert (await slack.post(body, {**sign(body), "X-Slack-Retry-Num": "1"})).status == 200  # Slack's retry
    assert slack.rows("SELECT raw FROM answers") == [("We ship in March",)]
    health = await slack.client.get("/healthz")  # a commit that wrote: the lock is free again
    assert health.status == 200 and (await health.json())["status"] == "ok"


def test_a_lock_given_up_on_is_shown_for_a_minute_at_most_when_nothing_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no commit that writes after it (a server no request reaches: a readiness probe took it
    out), the failing state ends on its own; a full disk's failures are counted apart."""
    conn = sqlite3.connect(tmp_path / "h.db")
    health = commit_health.CommitHealth(conn)
    health.busy()
    assert health.locked_out() and health.failed == 0
    monkeypatch.setattr(commit_health, "BUSY_SHOWN", 0.0)
    assert not health.locked_out()
    conn.close()
