"""The Bot Connector's ``Retry-After`` taken as sanely as Slack's (one parser for both): ``inf``, a
huge number or ``nan`` held a Teams conversation's replies back for good (``inf``: the outbox's
hold never ends) or not at all (``nan`` read as 0). Now a wait of 0 to RETRY_AFTER_MOST seconds,
1 when the header says no number. The real connector client and server against the fake Bot
Connector."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.channels import RETRY_AFTER_MOST, RetryLater
from bot.channels.teams_connector import Connector
from bot.channels.teams_tokens import Tokens
from tests.fakes.bot_connector import FakeConnector
from tests.teams_support import ALICE, Harness, personal


@pytest.mark.parametrize(
    ("status", "header", "seconds"),
    [
        (429, "0", 0.0),
        (429, "2", 2.0),
        (503, "1.5", 1.5),
        (429, "-5", 0.0),
        (429, "inf", RETRY_AFTER_MOST),
        (503, "1e308", RETRY_AFTER_MOST),
        (429, "nan", 1.0),
        (429, "soon", 1.0),
        (503, "", 1.0),
        (503, None, 1.0),
    ],  # fmt: skip
)
async def test_a_refusal_for_now_waits_a_finite_while_of_zero_to_the_bound(
    status: int, header: str | None, seconds: float
) -> None:
    fake = await FakeConnector().start()
    try:
        fake.refusals = [(status, header)]
        async with ClientSession() as http:
            with pytest.raises(RetryLater) as refused:
                await Connector(http, Tokens(None)).send(fake.url, "a:chat-with-29:1alice", {"type": "message"})
    finally:
        await fake.stop()
    assert math.isfinite(refused.value.seconds) and refused.value.seconds == seconds
    assert refused.value.reason.startswith(f"HTTP {status} POST")


async def test_a_reply_refused_with_an_endless_retry_after_is_delivered_after_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``Retry-After: inf`` held Alice's personal chat for good: her run's first question
    never reached her (nor anything after it)."""
    monkeypatch.setattr("bot.channels.RETRY_AFTER_MOST", 1.0)  # (120 s: too long for a test)
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "inf")]
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        card = await h.next_post(1)  # the refused try, then the card
        refused, retried = h.fake.calls
        assert retried is card and refused.conversation == card.conversation
        assert 0.9 <= card.at - refused.at < 5, card.at - refused.at
