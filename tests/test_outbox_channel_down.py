"""The outbox and a channel refused as a whole (``ChannelDown``: a token revoked), on a channel of
the test's own behind the real server and outbox: the time the channel was down uses none of a
reply's tries, so one unexpected failure after the outage is retried as for any reply."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import REGISTRY, Channel, ChannelDown, register
from bot.control import run_command
from bot.model import Actor, ConversationKey
from bot.outbox import Queued
from bot.server import SENDERS, SERVICES, create_app
from tests.slack_support import wait_for

ROOT = Path(__file__).resolve().parents[1]


class Flaky(Channel):
    """Refused as a whole ``down`` times, then one unexpected failure (a defect), then works."""

    name = "flaky"
    down = 0
    tries: list[str] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("FLAKY") == "on"

    async def deliver(self, item: Queued) -> str | None:
        n = len(self.tries)
        if n < self.down:
            self.tries.append("down")
            raise ChannelDown("invalid_auth")
        if n == self.down:
            self.tries.append("boom")
            raise RuntimeError("one unexpected failure")
        self.tries.append("ok")
        return f"msg-{item.id}"


@pytest.fixture
def flaky() -> Iterator[type[Flaky]]:
    register(Flaky)
    Flaky.tries = []
    yield Flaky
    REGISTRY.pop("flaky", None)


@pytest.mark.parametrize("down", [0, 6], ids=["no-outage", "after-6-refusals-of-the-channel"])
async def test_one_defect_after_an_outage_is_retried_like_any(tmp_path: Path, flaky: type[Flaky], down: int) -> None:
    flaky.down = down
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"FLAKY": "on"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        sender = app[SENDERS]["flaky"]
        sender.down_first = sender.down_most = 0.05
        services = app[SERVICES]
        alice = Actor("flaky:alice", "alice")
        run_command(services.dispatcher, alice, ConversationKey("flaky", "room"), "start post_meeting", {})
        services.notify("flaky")
        query = "SELECT attempts, delivered_at IS NOT NULL, failed_at IS NOT NULL FROM messages WHERE direction = 'out'"
        await wait_for(lambda: any(r[1] or r[2] for r in services.db.execute(query).fetchall()), timeout=15)
        assert flaky.tries == ["down"] * down + ["boom", "ok"]
        assert services.db.execute(query).fetchone() == (2, 1, 0)  # delivered at its second try, not given up
    finally:
        await client.close()


class Picky(Channel):
    """Refused as a whole whenever it tries the conversation ``bad`` (a ChannelDown that comes
    from one conversation), working for every other."""

    name = "picky"
    tries: list[str] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("PICKY") == "on"

    async def deliver(self, item: Queued) -> str | None:
        self.tries.append(item.reply.conversation.conversation)
        if item.reply.conversation.conversation == "bad":
            raise ChannelDown("invalid_auth")
        return f"msg-{item.id}"


async def test_probing_a_held_channel_turns_to_the_next_conversation_each_time(tmp_path: Path) -> None:
    register(Picky)
    Picky.tries = []
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"PICKY": "on"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        sender = app[SENDERS]["picky"]
        sender.down_first = sender.down_most = 0.05
        services = app[SERVICES]
        for room in ("bad", "good"):  # the refused conversation's reply is the oldest
            actor = Actor(f"picky:{room}", room)
            run_command(services.dispatcher, actor, ConversationKey("picky", room), "start post_meeting", {})
        services.notify("picky")
        query = "SELECT conversation, delivered_at IS NOT NULL, failed_at FROM messages WHERE direction = 'out'"
        await wait_for(lambda: "good" in Picky.tries, timeout=5)  # not the oldest conversation probed for ever
        await wait_for(lambda: ["picky:good", 1, None] in [list(r) for r in services.db.execute(query)], timeout=5)
        assert ["picky:bad", 0, None] in [list(r) for r in services.db.execute(query)]  # kept, not given up
    finally:
        await client.close()
        REGISTRY.pop("picky", None)
