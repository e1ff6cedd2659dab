"""Two servers on one ledger (a rolling restart): one process at a time delivers a channel's
outbox (its lease in the ``leases`` table), so no reply is sent twice, the other's replies wait
for the holder, and when the holder stops (or dies) the other takes over within seconds."""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.outbox_lease import OutboxLease
from bot.store import leases, open_db, transaction, utc_now
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, harness, message, wait_for

UNDELIVERED = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"


async def mention(server: Harness, k: int) -> None:
    event = message(f"UF{k}", f"<@{BOT_USER}> start post_meeting Sync {k}", channel=f"C{k}", type="app_mention")
    assert (await server.event(event)).status == 200


def posted_per_reply(fake: FakeSlack) -> collections.Counter[tuple[str, str, str]]:
    """How many times Slack took each reply (by channel, thread and text)."""
    return collections.Counter(
        (c.args.get("channel"), c.args.get("thread_ts"), c.args.get("text"))
        for c in fake.of("chat.postMessage")
        if c.result.get("ok")
    )


async def test_two_servers_on_one_ledger_post_every_reply_once_and_the_second_takes_over(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.slow_down("chat.postMessage", 0.5)  # a send in flight while the other server looks at the outbox
    first = await harness(tmp_path, fake)
    second = await harness(tmp_path, fake)  # the same ledger file
    try:
        for k in range(12):  # runs started through both servers, a send always in flight
            await mention(first if k % 3 else second, k)
            await asyncio.sleep(0.2)
        await wait_for(lambda: first.rows(UNDELIVERED) == [(0,)])
        await asyncio.sleep(1.5)  # the second server's scheduler wakes its sender meanwhile
        counts = posted_per_reply(fake)
        assert len(counts) == 12 and {n for n in counts.values()} == {1}, counts

        fake.delays.clear()
        fake.refuse("chat.postMessage", times=1000, status=503)  # Slack down: replies stay queued
        for k in range(12, 16):
            await mention(second, k)
        await wait_for(lambda: second.rows(UNDELIVERED) == [(4,)])
        await first.client.close()  # the holder stops and gives its lease up
        fake.refusals.clear()
        await wait_for(lambda: second.rows(UNDELIVERED) == [(0,)], timeout=5)  # the second delivers the rest
        counts = posted_per_reply(fake)
        assert len(counts) == 16 and {n for n in counts.values()} == {1}, counts
    finally:
        await first.client.close()
        await second.client.close()


async def test_a_dead_process_lease_is_taken_over_once_it_expires(tmp_path: Path, fake: FakeSlack) -> None:
    ledger = open_db(tmp_path / "slack.db")
    now = utc_now()
    with transaction(ledger) as conn:  # a server killed a moment ago: its lease is still in the ledger
        assert leases.take(conn, "outbox:slack", "dead-process", now, now + timedelta(seconds=3))
    ledger.close()
    server = await harness(tmp_path, fake)
    try:
        await mention(server, 1)
        await asyncio.sleep(0.5)
        assert fake.posted() == [] and server.rows(UNDELIVERED) == [(1,)]  # held back while the lease is the dead one's
        await wait_for(lambda: server.rows(UNDELIVERED) == [(0,)], timeout=8)  # the lease expired: taken over
        assert len(fake.posted()) == 1
        holder = server.rows("SELECT holder FROM leases WHERE name = 'outbox:slack'")
        assert holder and holder != [("dead-process",)]
    finally:
        await server.client.close()
    ledger = open_db(tmp_path / "slack.db")
    assert ledger.conn.execute("SELECT count(*) FROM leases").fetchone() == (0,)  # released at shutdown
    ledger.close()


def test_a_lease_has_one_holder_until_it_expires_or_is_released(tmp_path: Path) -> None:
    db = open_db(tmp_path / "leases.db")
    conn: sqlite3.Connection = db.conn
    now = utc_now()
    later = now + timedelta(seconds=5)
    assert leases.take(conn, "outbox:slack", "a", now, later)
    assert not leases.take(conn, "outbox:slack", "b", now + timedelta(seconds=4), later)
    assert leases.take(conn, "outbox:slack", "a", now + timedelta(seconds=4), now + timedelta(seconds=9))  # renewed
    assert leases.take(conn, "outbox:teams", "b", now, later)  # per channel
    assert leases.holder(conn, "outbox:slack", now + timedelta(seconds=8)) == "a"
    assert leases.take(conn, "outbox:slack", "b", now + timedelta(seconds=9), now + timedelta(seconds=14))  # expired
    leases.release(conn, "outbox:slack", "a")  # no longer a's: nothing happens
    assert leases.holder(conn, "outbox:slack", now + timedelta(seconds=10)) == "b"
    leases.release(conn, "outbox:slack", "b")
    assert leases.holder(conn, "outbox:slack", now + timedelta(seconds=10)) is None
    assert leases.take(conn, "outbox:slack", "a", now + timedelta(seconds=10), now + timedelta(seconds=15))
    db.close()


async def test_a_holder_stopping_while_a_send_is_in_flight_hands_over_without_a_repeat(
    tmp_path: Path, fake: FakeSlack
) -> None:
    first = await harness(tmp_path, fake)  # holds the lease: it started first
    second = await harness(tmp_path, fake)
    try:
        fake.slow_down("chat.postMessage", 0.4)
        await mention(first, 1)
        await wait_for(lambda: fake.of("chat.postMessage"))  # Slack is taking the reply ...
        await first.client.close()  # ... as the holder stops: before, cancelled mid-send, unmarked, sent again
        fake.delays.clear()
        await mention(second, 2)
        await wait_for(lambda: second.rows(UNDELIVERED) == [(0,)], timeout=8)
        counts = posted_per_reply(fake)
        assert len(counts) == 2 and set(counts.values()) == {1}, counts
    finally:
        await first.client.close()
        await second.client.close()


async def test_replies_go_out_when_the_rest_of_housekeeping_fails(tmp_path: Path, fake: FakeSlack) -> None:
    ledger = open_db(tmp_path / "slack.db")
    ledger.conn.execute("DROP TABLE messages_fts")  # the full-text upkeep fails at every tick
    ledger.close()
    server = await harness(tmp_path, fake)
    try:
        await mention(server, 1)
        await wait_for(lambda: server.rows(UNDELIVERED) == [(0,)])
        await asyncio.sleep(6)  # past the lease's first term: before, never renewed, every sender quiet
        await mention(server, 2)
        await wait_for(lambda: server.rows(UNDELIVERED) == [(0,)], timeout=5)
        assert len(posted_per_reply(fake)) == 2
    finally:
        await server.client.close()


def test_a_lease_set_before_the_wall_clock_stepped_back_is_taken_over(tmp_path: Path) -> None:
    db = open_db(tmp_path / "leases.db")
    now = utc_now()
    assert leases.take(db.conn, "outbox:slack", "a", now + timedelta(hours=1), now + timedelta(hours=1, seconds=5))
    # the clock stepped back an hour and "a" died: no live holder could have set that expiry
    assert leases.take(db.conn, "outbox:slack", "b", now, now + timedelta(seconds=5))  # before: nobody for an hour
    db.close()


async def test_a_renewal_wakes_the_senders_only_of_channels_gained_and_logs_only_a_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """OutboxLease on its own, two processes on one ledger: a renewal returns the channels it
    newly holds (their senders to wake), and says so in the log once per change, not each second;
    a stopping holder sends nothing more while it still holds the lease."""
    caplog.set_level(logging.INFO, logger="bot.outbox")
    db = open_db(tmp_path / "leases.db")
    first, second = OutboxLease(db, ["slack"]), OutboxLease(db, ["slack"])
    assert await first.renew() == ["slack"] and first.holds("slack")
    assert await first.renew() == [] and first.holds("slack")  # held already: nothing to wake
    assert await second.renew() == [] and not second.holds("slack")
    assert await second.renew() == []
    first.stopping = True
    assert not first.holds("slack")  # held in the ledger until released: no new send all the same
    await first.release()
    assert await second.renew() == ["slack"] and second.holds("slack")
    said = [r.getMessage() for r in caplog.records if r.name == "bot.outbox"]
    assert said == [
        texts.outbox_lease_taken("slack"),
        texts.outbox_lease_elsewhere("slack"),
        texts.outbox_lease_taken("slack"),
    ]
    db.close()
