"""A slash command answered "working on it" while the server is stopped (SIGTERM: aiohttp's
cleanup, as ``TestClient.close`` runs it) finishes within the stop's grace and is told at its
``response_url`` as usual; one still under way then is stopped, nothing of it kept, and its person
told so there. Before, it was dropped without a word. What each is told is kept in the ledger.
The real server (in the test's process, and ``decisionbot serve`` sent SIGTERM) and slack-sdk
against the fake Web API; the ledger's write lock held by a connection of the test's own."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakes.slack_api import FakeSlack
from tests.rasa_support import free_port
from tests.serve_process import CLI, ROOT
from tests.slack_support import SECRET, harness, sign, slash_body, wait_for

FORM = "application/x-www-form-urlencoded"

TOLD = (
    "SELECT run_id, conversation, actor_id, kind, text, private, delivered_at IS NOT NULL,"
    " json_extract(payload, '$.about') FROM messages WHERE json_extract(payload, '$.via') = 'response_url'"
)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_a_late_start_finishes_within_the_stops_grace_and_is_told_and_kept(
    tmp_path: Path, fake: FakeSlack
) -> None:
    slack = await harness(tmp_path, fake)
    db = tmp_path / "slack.db"
    await slack.slash("UA", "help")  # Alice known: nothing of her to write meanwhile
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("t1"))
    assert answer["text"].startswith("Working on it")
    stopping = asyncio.ensure_future(slack.client.close())
    await asyncio.sleep(1.0)
    assert not stopping.done()  # the stop waits for it
    other.execute("COMMIT")
    other.close()
    await stopping
    [told] = fake.responses("t1")
    assert told["text"].startswith("Started run #1")
    assert rows(db, "SELECT status FROM runs") == [("active",)]
    assert rows(db, TOLD) == [(1, "slack:C1", "slack:UA", "info", told["text"], 1, 1, "command")]


async def test_a_late_start_still_under_way_past_the_grace_is_stopped_and_its_person_told(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    slack = await harness(tmp_path, fake)
    db = tmp_path / "slack.db"
    await slack.slash("UA", "help")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("t2"))
        assert answer["text"].startswith("Working on it")
        stopping = asyncio.ensure_future(slack.client.close())
        [told] = await wait_for(lambda: fake.responses("t2"), timeout=15)
        assert told["text"] == (
            "The bot was restarting, so this was not done and nothing was kept. Please try again in a minute."
        )
    finally:
        other.execute("COMMIT")
        other.close()
    await stopping
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(db, "SELECT count(*) FROM deliveries WHERE platform = 'slack'") == [(1,)]  # the 'help' alone
    assert rows(db, TOLD) == [(None, "slack:C1", "slack:UA", "error", told["text"], 1, 1, "command")]
    assert "by UA was still under way" in caplog.text and "/response/" not in caplog.text
    assert fake.of("chat.postMessage") == []  # (it waited for the ledger before posting any root)


async def test_a_late_start_stopped_while_slack_posts_its_root_takes_the_root_back(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Slack takes 8.5 s to post the thread's root: the stop cuts the start 5 s in (its person told
    nothing was started), and the root Slack posts after all is deleted, not left saying a run began."""
    slack = await harness(tmp_path, fake)
    fake.slow_down("chat.postMessage", 8.5)
    answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("t3"))
    assert answer["text"].startswith("Working on it")
    await slack.client.close()
    [told] = fake.responses("t3")
    assert "this was not done and nothing was kept" in told["text"]
    [root] = fake.of("chat.postMessage")
    [deleted] = fake.of("chat.delete")
    assert deleted.args["ts"] == root.result["ts"]
    assert rows(tmp_path / "slack.db", "SELECT count(*) FROM runs") == [(0,)]


async def test_sigterm_to_decisionbot_serve_tells_a_late_command_it_was_not_done(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """The same stop as ``decisionbot serve`` takes it: a real process, SIGTERM, aiohttp's run_app."""
    port, db = free_port(), tmp_path / "served.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url})
    command = [str(CLI), "--db", str(db), "--flows", str(ROOT / "flows"), "serve", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(*command, env=env, stdout=PIPE, stderr=PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_up(http, f"{base}/healthz")
            body = slash_body("UA", "help")
            await http.post(f"{base}/slack/events", data=body, headers={**sign(body), "Content-Type": FORM})
            other = sqlite3.connect(db, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            try:
                body = slash_body("UA", "start post_meeting Weekly sync", response_url=fake.response_url("p1"))
                resp = await http.post(f"{base}/slack/events", data=body, headers={**sign(body), "Content-Type": FORM})
                assert (await resp.json())["text"].startswith("Working on it")
                server.send_signal(signal.SIGTERM)
                [told] = await wait_for(lambda: fake.responses("p1"), timeout=20)
                assert "this was not done and nothing was kept" in told["text"]
            finally:
                other.execute("COMMIT")
                other.close()
        _, err = await asyncio.wait_for(server.communicate(), 30)
    finally:
        if server.returncode is None:
            server.kill()
    assert "by UA was still under way" in err.decode()
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(db, TOLD) == [(None, "slack:C1", "slack:UA", "error", told["text"], 1, 1, "command")]


async def wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with http.get(url) as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("serve did not start")


async def test_sigterm_over_socket_mode_takes_back_a_root_slack_posts_late(tmp_path: Path, fake: FakeSlack) -> None:
    """``decisionbot serve`` over Socket Mode, sent SIGTERM while Slack takes 8 s to post a start's
    root: past the stop's grace (5 s) and its wait for side calls (2 s). The HTTP session was closed
    under the post, its late answer never heard, and the channel kept "@alice started ..." for a
    run that does not exist; the stop now waits for it (up to a call's timeout) and deletes it."""
    from tests.test_slack_socket_life import acked, serving, slash_envelope

    db = tmp_path / "served.db"
    async with serving(db, fake) as server:
        fake.slow_down("chat.postMessage", 8.0)
        envelope = slash_envelope("env-start", "start post_meeting Orphan root")
        envelope["payload"]["response_url"] = fake.response_url("t4")
        await fake.send_envelope(envelope)
        await asyncio.sleep(0.5)
        server.send_signal(signal.SIGTERM)  # the start cut at 5.5 s, its side calls given up at 7.5 s
        assert await asyncio.wait_for(server.wait(), 30) == 0
        assert acked(fake, "env-start")
    [told] = fake.responses("t4")
    assert "this was not done and nothing was kept" in told["text"]
    [root] = fake.of("chat.postMessage")
    [deleted] = fake.of("chat.delete")
    assert deleted.args["ts"] == root.result["ts"]
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]
