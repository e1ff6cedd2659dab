"""A person's direct message is opened once, however many replies to them wait for it: the
outbox sends its conversations side by side, so a person asked privately in several runs at once
(an owner of actions decided in several meetings, a backup of several runs) had each of those
replies open it, one ``conversations.open`` a reply: nine calls of Slack's Tier 3 budget for one
direct message, and the slots of Slack's pace they took held back other people's. Real slack-sdk
against the fake Web API, a real ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels import RetryLater
from bot.channels.slack_dms import DirectMessages
from bot.channels.slack_limits import DM_OPENS
from bot.store import open_db
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
async def dms(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[DirectMessages]:
    db = open_db(tmp_path / "decisions.db")
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.url, session=session)
        yield DirectMessages(db, client, lambda: datetime.now(UTC))
    db.conn.close()


async def wait_of(dms: DirectMessages, user: str, ticket: int) -> float:
    """How long the reply ``ticket`` to ``user`` is held back for its direct message to open."""
    with pytest.raises(RetryLater) as held:
        await dms.channel(user, ticket)
    return held.value.seconds


async def test_twelve_replies_to_one_person_open_their_direct_message_once(
    dms: DirectMessages, fake: FakeSlack
) -> None:
    found = await asyncio.gather(*(dms.channel("UB", ticket) for ticket in range(1, 13)))
    assert found == ["DUB"] * 12
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]
    assert await dms.channel("UA", 13) == "DUA"  # one slot of Slack's burst taken, not nine: Alice's goes at once


async def test_replies_to_one_person_held_for_its_slot_share_it(dms: DirectMessages, fake: FakeSlack) -> None:
    for ticket in range(100, 109):  # Slack's burst taken by other people's direct messages
        dms.opens.wait(DM_OPENS, ticket)
    first = await wait_of(dms, "UB", 1)
    second = await wait_of(dms, "UB", 2)  # another reply to Bob: his direct message's slot, not one of its own
    assert abs(second - first) < 0.1
    interval = dms.opens.interval
    assert await wait_of(dms, "UA", 3) < first + interval + 0.1  # Alice's next: one slot after Bob's, not two
    await asyncio.sleep(second)
    assert await dms.channel("UB", 2) == "DUB"
    assert await dms.channel("UB", 1) == "DUB"
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]
