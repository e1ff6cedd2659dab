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
from bot.channels.slack_limits import DM_OPENS, dm_opens
from bot.store import open_db
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness


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


async def test_a_reply_withheld_leaves_the_slot_it_booked_to_another_reply_to_the_same_person(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Two replies to Bob wait for the slot the first booked to open his direct message. The first
    is withheld (its run cancelled): the outbox tells the channel, which released that slot to
    whoever asked next (Carol), though the second reply to Bob still waited on it; at its slot Bob's
    reply found none and was held for another, a whole queue later in a burst. Now the slot stays
    with the reply still waiting on it; once no reply to Bob waits on it, it goes to the next."""
    slack = await harness(tmp_path, fake)
    dms = slack.channel.poster.dms
    dms.opens = dm_opens()  # the server's own pacing, as in production
    try:
        for ticket in range(100, 110):  # Slack's burst taken by other people's direct messages
            dms.opens.wait(DM_OPENS, ticket)
        bob = await wait_of(dms, "UB", 1)
        await wait_of(dms, "UB", 2)  # shares reply 1's slot
        slack.channel.withheld(1)  # reply 1's run cancelled while it waited
        carol = await wait_of(dms, "UC", 3)
        assert carol > bob + dms.opens.interval / 2  # the slot after Bob's, not his
        await asyncio.sleep(bob)
        assert await dms.channel("UB", 2) == "DUB"  # at its slot
        slack.channel.withheld(3)  # Carol's reply withheld too, nobody else waiting on her slot
        assert await wait_of(dms, "UD", 4) < carol - dms.opens.interval / 2  # Dan takes it
        assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]
    finally:
        await slack.client.close()
