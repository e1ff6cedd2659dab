"""A request whose body trickles in (a slow-loris client) held its connection, and the hooks' room
for requests at once, for good: Slack, Teams and the hooks each answer 408 once the body has not
arrived within BODY_WITHIN of its headers, and store nothing."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot import inbound_json
from bot.triggers.hooks import HOOKS
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness
from tests.teams_support import Harness as TeamsHarness
from tests.triggers.test_hooks import TOKEN, counts, serve


async def trickled(client: TestClient, path: str, headers: bytes = b"") -> bytes:
    """Headers and half a body, then nothing more: what the server answers."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(
        b'POST %b HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%bContent-Length: 100\r\n\r\n{"ti'
        % (path.encode(), headers)
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(4096), 5)  # the answer, while the connection stays open
    finally:
        writer.close()


@pytest.fixture(autouse=True)
def quick(monkeypatch) -> None:
    monkeypatch.setattr(inbound_json, "BODY_WITHIN", 0.3)


async def test_a_hook_body_that_trickles_is_a_408_and_frees_its_room(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    for name in ("post_meeting", "decision_review"):
        shutil.copy(Path(__file__).resolve().parents[1] / "flows" / f"{name}.yaml", flows)
    client = await serve(tmp_path, flows)
    try:
        answer = await trickled(client, "/hooks/events", b"Authorization: Bearer %b\r\n" % TOKEN.encode())
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"did not arrive within 0.3 s" in answer
        assert counts(client)["events"] == 0
        assert client.server.app[HOOKS].inflight == 0  # its room for requests at once given back
    finally:
        await client.close()


async def test_a_slack_body_that_trickles_is_a_408(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    slack = await harness(tmp_path, fake)
    try:
        signed = b"X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%s\r\n" % (int(time.time()), b"0" * 64)
        answer = await trickled(slack.client, "/slack/events", signed)  # headers a signature could be in
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    finally:
        await slack.client.close()
        await fake.stop()


async def test_a_teams_body_that_trickles_is_a_408(tmp_path: Path) -> None:
    async with TeamsHarness(tmp_path) as h:
        assert h.client is not None
        answer = await trickled(h.client, "/api/messages")
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert h.db("SELECT count(*) FROM messages") == [(0,)]
