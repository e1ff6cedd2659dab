"""The outbox's passes: a pass per wake, each sending the conversations no other pass is sending.
A conversation one pass has finished is free for the next pass at once, not only once the slowest
conversation of its pass is done (a platform call that hangs holds up no other conversation)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import REGISTRY, Channel, RetryLater, register
from bot.control import run_command
from bot.model import Actor, ConversationKey, Message
from bot.outbox import Queued, pending
from bot.server import CHANNELS, SERVICES, create_app

ROOT = Path(__file__).resolve().parents[1]
PENDING_LIMIT = inspect.signature(pending).parameters["limit"].default  # replies a pass reads at most


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


class Crowded(Channel):
    """Holds back every reply in the conversation ``storm`` (its pace: one a minute, as a channel
    Slack rate-limits); delivers the others at once."""

    name = "crowded"
    delivered: list[str] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("CROWDED") == "on"

    async def deliver(self, item: Queued) -> str | None:
        if item.reply.conversation.conversation == "storm":
            raise RetryLater(60.0, "paced", attempt=False)
        Crowded.delivered.append(item.reply.conversation.conversation)
        return f"msg-{item.id}"


@pytest.fixture
def crowded():
    register(Crowded)
    Crowded.delivered = []
    yield Crowded
    REGISTRY.pop("crowded", None)


async def test_a_reply_behind_a_backlog_of_held_replies_in_another_conversation_goes_out_at_once(
    tmp_path: Path, crowded
) -> None:
    """An alert storm: more runs started in one conversation than a pass reads (``pending``'s 500
    oldest), each reply there held back by the platform's pace. A run then started elsewhere has its
    question sent at once. Before, every pass read the storm's 500 oldest replies only, all held:
    the other question waited for the storm to drain below 500 (at one a second, minutes)."""
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"CROWDED": "on"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        services = app[SERVICES]
        alice = Actor("crowded:alice", "alice")
        storm, quiet = ConversationKey("crowded", "storm"), ConversationKey("crowded", "quiet")
        for n in range(PENDING_LIMIT + 1):
            run_command(services.dispatcher, alice, storm, f"start post_meeting Alert {n}", {})
        services.notify("crowded")
        await asyncio.sleep(0.2)  # the storm's replies read, tried, held
        run_command(services.dispatcher, alice, quiet, "start post_meeting Quiet sync", {})
        services.notify("crowded")
        await until(lambda: "quiet" in crowded.delivered, timeout=3.0)
    finally:
        await client.close()


class PacedOnce(Channel):
    """Holds back each conversation's first try for a while of its own (``late``: 1 s, the others:
    0.2 s), as a platform's pace would; delivers the tries after that."""

    name = "paced"
    tried: set[str] = set()
    delivered: list[str] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("PACED") == "on"

    async def deliver(self, item: Queued) -> str | None:
        where = item.reply.conversation.conversation
        if where not in PacedOnce.tried:
            PacedOnce.tried.add(where)
            raise RetryLater(1.0 if where == "late" else 0.2, "paced", attempt=False)
        PacedOnce.delivered.append(where)
        return f"msg-{item.id}"


@pytest.fixture
def paced():
    register(PacedOnce)
    PacedOnce.tried, PacedOnce.delivered = set(), []
    yield PacedOnce
    REGISTRY.pop("paced", None)


async def test_a_conversation_held_back_longer_than_the_others_goes_out_when_its_hold_ends(
    tmp_path: Path, paced
) -> None:
    """Two conversations held back by one pass, for 0.2 s and for 1 s: the pass woken after 0.2 s
    sends the first, and the second goes out once its own hold ends, not at whatever wakes the
    sender next (the lease's renewal, each second in the server; nothing in a quiet process)."""
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"PACED": "on"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        services = app[SERVICES]
        alice = Actor("paced:alice", "alice")
        run_command(services.dispatcher, alice, ConversationKey("paced", "late"), "start post_meeting Late", {})
        run_command(services.dispatcher, alice, ConversationKey("paced", "soon"), "start post_meeting Soon", {})
        services.notify("paced")
        began = asyncio.get_running_loop().time()
        await until(lambda: paced.delivered == ["soon"], timeout=2.0)
        await until(lambda: paced.delivered == ["soon", "late"], timeout=3.0)
        assert asyncio.get_running_loop().time() - began < 1.6  # its hold of 1 s, not the next wake
    finally:
        await client.close()
