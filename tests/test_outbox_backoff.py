"""The outbox's backoff: how long a reply refused for now waits before its next try.

``bot.outbox.backoff`` itself (0.5 s doubling per attempt up to a minute, times a jitter of up to
a quarter more), and a real sender in a real server waiting it between the tries of one reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import REGISTRY, Channel, RetryLater, register
from bot.control import run_command
from bot.model import Actor, ConversationKey
from bot.outbox import Queued, backoff
from bot.server import CHANNELS, SERVICES, create_app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 300


@pytest.mark.parametrize("attempts", range(8))
def test_backoff_doubles_from_half_a_second_with_up_to_a_quarter_of_jitter(attempts: int) -> None:
    base = min(60.0, 0.5 * 2**attempts)
    waits = [backoff(attempts) for _ in range(SAMPLES)]
    assert all(base <= w < base * 1.25 for w in waits), (min(waits), max(waits))
    assert max(waits) - min(waits) > base * 0.15  # jittered: replies refused together do not retry together


@pytest.mark.parametrize("attempts", range(7))
def test_backoff_grows_with_each_attempt_until_the_cap(attempts: int) -> None:
    longest_now = max(backoff(attempts) for _ in range(SAMPLES))
    shortest_next = min(backoff(attempts + 1) for _ in range(SAMPLES))
    assert shortest_next > longest_now


@pytest.mark.parametrize("attempts", [7, 8, 12, 100, 10_000])
def test_backoff_is_capped_at_a_minute_plus_jitter(attempts: int) -> None:
    waits = [backoff(attempts) for _ in range(SAMPLES)]
    assert all(60.0 <= w < 75.0 for w in waits), (min(waits), max(waits))


class Stamped(Channel):
    """Refuses the first tries for now (a 503, no Retry-After) and notes when each try came."""

    name = "stamped"
    refusals = 0
    tries: list[float] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("STAMPED") == "on"

    async def deliver(self, item: Queued) -> str | None:
        self.tries.append(asyncio.get_running_loop().time())
        if len(self.tries) <= self.refusals:
            raise RetryLater(0.0, "HTTP 503")
        return f"msg-{item.id}"


@pytest.fixture
def stamped():
    register(Stamped)
    Stamped.tries = []
    yield Stamped
    REGISTRY.pop("stamped", None)


async def test_a_sender_waits_the_backoff_between_tries_of_a_refused_reply(tmp_path: Path, stamped) -> None:
    stamped.refusals = 2
    app = create_app(tmp_path / "s.db", ROOT / "flows", env={"STAMPED": "on"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        services = app[SERVICES]
        assert isinstance(app[CHANNELS]["stamped"], Stamped)
        alice, room = Actor("stamped:alice", "alice"), ConversationKey("stamped", "room")
        run_command(services.dispatcher, alice, room, "start post_meeting", {})
        services.notify("stamped")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while len(stamped.tries) < 3 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert len(stamped.tries) == 3, stamped.tries
        first, second = (b - a for a, b in zip(stamped.tries, stamped.tries[1:], strict=False))
        assert 0.5 - 0.01 <= first < 0.625 + 0.25, first  # backoff(0): nothing tried yet
        assert 1.0 - 0.01 <= second < 1.25 + 0.25, second  # backoff(1)
        row = services.db.execute(
            "SELECT attempts, last_error, delivered_at IS NOT NULL FROM messages WHERE direction = 'out'"
        ).fetchone()
        assert row == (3, "retry: HTTP 503", 1)
    finally:
        await client.close()
