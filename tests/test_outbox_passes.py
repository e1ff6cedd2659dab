"""The outbox's passes: a pass per wake, each sending the conversations no other pass is sending.
A conversation one pass has finished is free for the next pass at once, not only once the slowest
conversation of its pass is done (a platform call that hangs holds up no other conversation)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import REGISTRY, Channel, register
from bot.control import run_command
from bot.model import Actor, ConversationKey, Message
from bot.outbox import Queued
from bot.server import CHANNELS, SERVICES, create_app

ROOT = Path(__file__).resolve().parents[1]


class Gated(Channel):
    """Delivers at once, but in the conversation ``slow``: there each delivery waits for
    ``released`` (a platform call that hangs). Notes what it delivered, in order."""

    name = "gated"
    released: asyncio.Event
    delivered: list[tuple[str, str]] = []
    waiting = 0

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("GATED") == "on"

    async def deliver(self, item: Queued) -> str | None:
        where = item.reply.conversation.conversation
        if where == "slow":
            Gated.waiting += 1
            await Gated.released.wait()
        Gated.delivered.append((where, item.reply.text))
        return f"msg-{item.id}"


@pytest.fixture
def gated():
    register(Gated)
    Gated.released, Gated.delivered, Gated.waiting = asyncio.Event(), [], 0
    yield Gated
    REGISTRY.pop("gated", None)


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_conversation_sent_in_a_pass_takes_its_next_reply_while_another_waits_on_its_platform(
    tmp_path: Path, gated
) -> None:
    """Two runs start together (one pass sends both first questions); one conversation's
    delivery hangs. The other's facilitator answers: the next question goes out at once. Before,
    the answered conversation stayed the hanging pass's until that pass ended: its next question
    waited for the hanging call."""
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"GATED": "on"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        services = app[SERVICES]
        assert isinstance(app[CHANNELS]["gated"], Gated)
        alice = Actor("gated:alice", "alice")
        slow, quick = ConversationKey("gated", "slow"), ConversationKey("gated", "quick")
        run_command(services.dispatcher, alice, slow, "start post_meeting Slow sync", {})
        run_command(services.dispatcher, alice, quick, "start post_meeting Quick sync", {})
        services.notify("gated")  # one wake: one pass with both conversations
        await until(lambda: gated.waiting == 1 and any(w == "quick" for w, _ in gated.delivered))
        asked = len(gated.delivered)
        services.dispatcher.handle(Message(quick, alice, "We ship in March", platform_id="quick-1"))
        services.notify("gated")
        await until(lambda: len(gated.delivered) > asked, timeout=3.0)
        assert gated.delivered[-1][0] == "quick" and gated.waiting == 1  # the slow call still hangs
        gated.released.set()
        await until(lambda: any(w == "slow" for w, _ in gated.delivered))
    finally:
        Gated.released.set()
        await client.close()
