"""What a server remembers in memory per person, conversation or run is bounded: ``decisionbot
serve`` runs for months, and a cache keyed by everyone it ever met would grow with the traffic
(bench/soak.py measures it). Each cache forgets its oldest entries past its bound; what it
forgot is in the ledger, read back when next needed, nothing asked of the platform again."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.bounded import Bounded
from bot.channels.slack_dms import DirectMessages
from bot.channels.slack_limits import Pacer
from bot.channels.teams_store import Reference, TeamsStore
from bot.model import Actor
from bot.store import open_db, utc_now
from bot.store.people import People, Person
from tests.fakes.slack_api import FakeSlack


def test_a_bounded_cache_forgets_the_least_recently_written_past_its_bound() -> None:
    cache: Bounded[str, int] = Bounded(3)
    for n, key in enumerate("abc"):
        cache[key] = n
    cache["a"] = 10  # written again: the newest
    cache["d"] = 3
    assert list(cache.items()) == [("c", 2), ("a", 10), ("d", 3)]


async def test_people_met_once_are_not_all_kept_in_memory_and_are_read_back_from_the_ledger(tmp_path: Path) -> None:
    db = open_db(tmp_path / "people.db")
    fetched: list[str] = []

    async def fetch(actor_id: str) -> Person | None:
        fetched.append(actor_id)
        return Person(actor_id, actor_id.upper(), "Europe/Paris")

    people = People(db, fetch, most=5)
    ids = [f"slack:U{n:03d}" for n in range(40)]
    for actor_id in ids:
        await people.get(actor_id)
    await wait_saved(people)
    assert len(people._known) <= 5
    assert fetched == ids  # each asked of the platform once
    again = await people.ensure(ids[:3])  # forgotten in memory: read back from the ledger, not fetched
    assert {p.name for p in again.values()} == {"SLACK:U000", "SLACK:U001", "SLACK:U002"}
    assert fetched == ids
    assert people.zone(ids[0]) is not None


async def test_failed_lookups_are_not_all_kept_in_memory(tmp_path: Path) -> None:
    db = open_db(tmp_path / "failed.db")

    async def fetch(actor_id: str) -> Person | None:
        return None  # the platform does not answer: each remembered a minute, not to ask again at once

    people = People(db, fetch, most=5)
    for n in range(40):
        await people.get(f"slack:UNKNOWN{n}")
    assert len(people._failed) <= 5


async def wait_saved(people: People) -> None:
    import asyncio

    while people._saving:
        await asyncio.gather(*people._saving)


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token="xoxb-test", base_url=fake.url, session=session)


async def test_direct_messages_opened_are_not_all_kept_in_memory_and_not_opened_again(
    tmp_path: Path, client: AsyncWebClient, fake: FakeSlack
) -> None:
    db = open_db(tmp_path / "dms.db")
    dms = DirectMessages(db, client, utc_now, most=5)
    dms.opens = Pacer(interval=0.0)
    users = [f"U{n:03d}" for n in range(30)]
    ticket = itertools.count(1)
    for user in users:
        assert await dms.channel(user, next(ticket)) == f"D{user}"
    assert len(dms._known) <= 5
    opened = len(fake.of("conversations.open"))
    assert opened == len(users)
    assert await dms.channel(users[0], next(ticket)) == f"D{users[0]}"  # kept in the ledger: not opened again
    assert len(fake.of("conversations.open")) == opened


def test_teams_conversations_and_people_seen_are_not_all_kept_in_memory(tmp_path: Path) -> None:
    db = open_db(tmp_path / "teams.db")
    store = TeamsStore(db, most=5)
    now = utc_now()
    refs = []
    for n in range(30):
        ref = Reference(f"a:chat{n}", "personal", "https://smba.example/", "tenant", "28:bot", "decisionbot")
        refs.append(ref)
        person = Actor(f"teams:29:user{n}", f"User {n}")
        store.remember(ref, lambda ref=ref: {"conversation": {"id": ref.conversation_id}}, [(person, None)], now)
        store.set_zone(f"29:user{n}", "Europe/Paris")
        store.zone(f"29:user{n}")
        now += timedelta(seconds=1)
    caches = [store._refs, store._users, store._members, store._references, store._zones, store._zone_names]
    assert all(len(cache) <= 5 for cache in caches), [len(c) for c in caches]
    assert store.reference(refs[0].conversation_id) == refs[0]  # read back from the ledger
    assert store.personal_chat("29:user0") == "a:chat0"


def test_slots_reserved_for_messages_that_never_came_back_are_forgotten_past_the_bound() -> None:
    now = [0.0]
    pacer = Pacer(interval=1.0, burst=1, clock=lambda: now[0], most=5)
    for ticket in range(1, 40):  # 38 wait for their slot, and never come back (their run ended)
        pacer.wait(f"C{ticket % 3}", ticket)
    now[0] = 600.0
    for ticket in range(100, 110):  # a burst in one channel, each waiting for its slot
        pacer.wait("C9", ticket)
    assert len(pacer._reserved) <= 9
    now[0] = 603.0
    assert pacer.wait("C9", 103) == 0.0  # a message waiting kept its slot
    for channel in range(40):  # one message in each of many channels, long ago
        now[0] = 1000.0 + channel
        pacer.wait(f"D{channel}", 1000 + channel)
    assert len(pacer._tat) <= 6
