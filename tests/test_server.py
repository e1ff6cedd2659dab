"""The server and the outbox sender, with a small channel that records what it is asked to send.

The channel is registered through the same registry the built-in ones use; its refusals
(RetryLater, DeliveryFailed) are what a platform's 429/5xx and 4xx become.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import Channel, DeliveryFailed, RetryLater
from bot.control import run_command
from bot.model import Actor, ConversationKey
from bot.outbox import DEFECT_TRIES, Queued
from bot.server import CHANNELS, SENDERS, SERVICES, create_app

ROOT = Path(__file__).resolve().parents[1]
ALICE, BOB = Actor("recorder:alice", "alice"), Actor("recorder:bob", "bob")
CONV = ConversationKey("recorder", "room-1")


class Recorder(Channel):
    """Records deliveries; can be told to refuse the next ones."""

    name = "recorder"
    refusals: list[Exception] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return env.get("RECORDER") == "on"

    def __init__(self, services):
        super().__init__(services)
        self.sent: list[tuple[str, str | None, str]] = []
        self.elsewhere: str | None = None  # where the next deliveries are said, as a person's direct message
        self._said: dict[int, str] = {}

    async def deliver(self, item: Queued) -> str | None:
        if self.refusals:
            raise self.refusals.pop(0)
        self.sent.append((str(item.reply.conversation), item.reply.to.name if item.reply.to else None, item.reply.text))
        if self.elsewhere:
            self._said[item.id] = self.elsewhere
        return f"msg-{item.id}"

    def said_in(self, item_id: int) -> str | None:
        return self._said.pop(item_id, None)


async def started(tmp_path: Path, env: dict[str, str]) -> TestClient:
    app = create_app(tmp_path / "s.db", ROOT / "flows", env=env)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@asynccontextmanager
async def recording(tmp_path: Path) -> AsyncIterator[tuple[web.Application, Any, Recorder]]:
    """A server with the recorder channel on: its app, services and channel; closed after."""
    client = await started(tmp_path, {"RECORDER": "on"})
    app = client.server.app
    try:
        yield app, app[SERVICES], app[CHANNELS]["recorder"]
    finally:
        await client.close()


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


async def test_healthz_lists_the_channels_that_are_on(tmp_path: Path, recorder) -> None:
    client = await started(tmp_path, {"RECORDER": "on"})
    try:
        resp = await client.get("/healthz")
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "channels": ["recorder"]}
    finally:
        await client.close()
    client = await started(tmp_path, {})
    try:
        assert (await (await client.get("/healthz")).json())["channels"] == []
    finally:
        await client.close()


async def test_replies_are_delivered_in_order_after_a_refusal_and_marked_sent(tmp_path: Path, recorder) -> None:
    async with recording(tmp_path) as (app, services, channel):
        Recorder.refusals = [RetryLater(0.05, "HTTP 429")]
        result = run_command(services.dispatcher, ALICE, CONV, "start post_meeting Weekly sync", {})
        assert result.ok and result.started is not None
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 1)
        assert channel.sent == [("recorder:room-1", "alice", "What was decided in Weekly sync?")]
        row = services.db.execute(
            "SELECT delivered_at, attempts, platform_id, last_error FROM messages WHERE direction = 'out'"
        ).fetchone()
        assert row[0] is not None and row[1] == 2 and row[2].startswith("msg-") and row[3] == "retry: HTTP 429"


async def test_a_reply_refused_for_good_is_not_retried_and_does_not_block_the_next(tmp_path: Path, recorder) -> None:
    async with recording(tmp_path) as (app, services, channel):
        Recorder.refusals = [DeliveryFailed("channel_not_found")]
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting", {})
        run_command(services.dispatcher, ALICE, ConversationKey("recorder", "room-2"), "start post_meeting", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 2)  # room-2's question, and room-1's notice of the refusal
        await app[SENDERS]["recorder"].drain()
        assert len(channel.sent) == 2  # the refused one is not tried again
        failed = services.db.execute(
            "SELECT attempts, last_error, failed_at IS NOT NULL FROM messages WHERE delivered_at IS NULL"
        ).fetchall()
        assert failed == [(1, "failed: channel_not_found", 1)]
        (notice,) = [s for s in channel.sent if s[0] == "recorder:room-1"]
        assert notice[1] == "alice" and notice[2].startswith("A message of this run to you was refused: ")


async def test_an_unexpected_error_in_a_delivery_is_retried_and_stops_no_other_reply(tmp_path: Path, recorder) -> None:
    async with recording(tmp_path) as (app, services, channel):
        Recorder.refusals = [KeyError("a defect in a channel")]  # not RetryLater, not DeliveryFailed
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting", {})
        run_command(services.dispatcher, BOB, ConversationKey("recorder", "room-2"), "start post_meeting", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 2)  # the other room's, then the failed one, retried
        rows = services.db.execute(
            "SELECT conversation, attempts, last_error, delivered_at IS NOT NULL FROM messages"
            " WHERE direction = 'out' ORDER BY conversation"
        ).fetchall()
        assert rows == [
            ("recorder:room-1", 2, "retry: KeyError: 'a defect in a channel'", 1),
            ("recorder:room-2", 1, None, 1),
        ]
        run_command(services.dispatcher, ALICE, ConversationKey("recorder", "room-3"), "start post_meeting", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 3)  # the sender lives on


async def test_a_reply_that_fails_unexpectedly_again_and_again_is_given_up(tmp_path: Path, recorder) -> None:
    async with recording(tmp_path) as (app, services, channel):
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting", {})
        with services.db.conn:  # as if tried DEFECT_TRIES - 1 times already
            services.db.execute("UPDATE messages SET attempts = ? WHERE direction = 'out'", [DEFECT_TRIES - 1])
        Recorder.refusals = [KeyError("a defect")]
        run_command(services.dispatcher, BOB, ConversationKey("recorder", "room-2"), "start post_meeting", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 2)  # room-2's, and room-1's notice: given up, not retried for ever
        await app[SENDERS]["recorder"].drain()
        assert [s[0] for s in channel.sent if s[0] == "recorder:room-1"] == ["recorder:room-1"]  # only the notice
        given_up = services.db.execute(
            "SELECT conversation, last_error FROM messages WHERE failed_at IS NOT NULL AND direction = 'out'"
        ).fetchall()
        assert given_up == [("recorder:room-1", "failed: KeyError: 'a defect'")]


async def test_a_delivered_reply_the_ledger_would_not_mark_is_marked_later_not_sent_again(
    tmp_path: Path, recorder
) -> None:
    async with recording(tmp_path) as (app, services, channel):
        with services.db.conn:
            services.db.execute("CREATE TABLE disk_says_no (x)")
            services.db.execute("INSERT INTO disk_says_no VALUES (1)")
            services.db.execute(
                "CREATE TRIGGER refuse_marks BEFORE UPDATE OF delivered_at ON messages"
                " WHEN EXISTS (SELECT 1 FROM disk_says_no) BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 1)
        sender = app[SENDERS]["recorder"]
        await wait_for(lambda: bool(sender.unmarked))
        assert services.db.execute("SELECT delivered_at FROM messages WHERE direction = 'out'").fetchall() == [(None,)]
        with services.db.conn:
            services.db.execute("DELETE FROM disk_says_no")
        marked = "SELECT delivered_at IS NOT NULL FROM messages WHERE direction = 'out'"
        # the mark is read back in its group before the commit; the sender lets go once it committed
        await wait_for(lambda: services.db.execute(marked).fetchall() == [(1,)] and not sender.unmarked)
        assert len(channel.sent) == 1  # marked, never sent twice


async def test_a_delivered_reply_whose_mark_is_lost_with_its_group_is_not_sent_again(tmp_path: Path, recorder) -> None:
    async with recording(tmp_path) as (app, services, channel):
        path = services.db.execute("PRAGMA database_list").fetchone()[2]

        async def elsewhere(*statements: str) -> None:  # another connection, once the server's group commits
            while True:
                with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as other:
                    try:
                        other.execute("BEGIN IMMEDIATE")
                    except sqlite3.OperationalError:  # locked by the server's open group: let it commit
                        await asyncio.sleep(0.01)
                        continue
                    for statement in statements:
                        other.execute(statement)
                    other.execute("COMMIT")
                    return

        await elsewhere(  # marking a reply delivered now dooms the group commit holding the mark
            "CREATE TABLE flag (x)",
            "CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)",
            "CREATE TRIGGER doom AFTER UPDATE OF delivered_at ON messages WHEN new.delivered_at IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM flag) BEGIN INSERT INTO doomed VALUES (999999); END",
            "INSERT INTO flag VALUES (1)",
        )
        channel.elsewhere = "recorder:dm-alice"  # the first reply is said in Alice's direct message
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting Weekly sync", {})
        services.notify("recorder")
        sender = app[SENDERS]["recorder"]
        await wait_for(lambda: len(channel.sent) == 1 and bool(sender.unmarked))
        channel.elsewhere = None
        await elsewhere("DELETE FROM flag")
        run_command(services.dispatcher, BOB, ConversationKey("recorder", "room-2"), "start post_meeting", {})
        services.notify("recorder")

        def marked() -> list[tuple[str, int, int]]:
            return services.db.execute(
                "SELECT conversation, private, delivered_at IS NOT NULL FROM messages WHERE direction = 'out'"
                " ORDER BY id"
            ).fetchall()

        # marked again where it was said, for Alice alone, as its first mark (lost) had it
        await wait_for(lambda: marked() == [("recorder:dm-alice", 1, 1), ("recorder:room-2", 0, 1)], timeout=15)
        assert [conversation for conversation, _, _ in channel.sent] == ["recorder:room-1", "recorder:room-2"]
        await wait_for(lambda: not sender.unmarked)  # the marks' group commits on the loop's next pass


async def test_an_outage_loses_nothing_however_many_tries_it_takes(tmp_path: Path, recorder) -> None:
    # One process would wait minutes of backoff for 20 tries (tests/test_outbox_backoff.py checks
    # those waits); a started server tries what is queued at once. So: the platform refuses every
    # try for 20 hours, the bot restarted each hour, and the reply still goes, counted, not given up.
    Recorder.refusals = [RetryLater(0.0, "HTTP 503") for _ in range(20)]
    sent: list[tuple[str, str | None, str]] = []
    for hour in range(21):
        now = datetime(2026, 11, 26, 2 + hour, tzinfo=UTC)  # the first try at 02:00, the last at 22:00
        app = create_app(tmp_path / "s.db", ROOT / "flows", env={"RECORDER": "on"}, clock=lambda now=now: now)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            services, channel = app[SERVICES], app[CHANNELS]["recorder"]
            if hour == 0:
                run_command(services.dispatcher, ALICE, CONV, "start post_meeting Weekly sync", {})
                services.notify("recorder")
            left = len(Recorder.refusals)
            await wait_for(lambda: len(Recorder.refusals) < left or bool(channel.sent))  # noqa: B023 - awaited here
            sent += channel.sent
            row = services.db.execute(
                "SELECT attempts, failed_at, delivered_at FROM messages WHERE direction = 'out' ORDER BY id"
            ).fetchone()
        finally:
            await client.close()
        assert row[:2] == (hour + 1, None)  # one more try each hour; never given up
    assert sent[0] == ("recorder:room-1", "alice", "What was decided in Weekly sync?")
    assert row[2] == "2026-11-26T22:00:00.000Z"


async def test_a_reply_refused_for_now_for_over_a_day_is_given_up_and_the_next_goes(tmp_path: Path, recorder) -> None:
    client = await started(tmp_path, {})  # replies stay queued
    services = client.server.app[SERVICES]
    run_command(services.dispatcher, ALICE, CONV, "start post_meeting Old", {})
    await client.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:  # queued, and first refused for now, long ago
        conn.execute(
            "UPDATE messages SET kind = 'info', created_at = '2020-01-01T00:00:00.000Z', retry_since = '2020-01-01T00:00:00.000Z'"
        )
    client = await started(tmp_path, {})
    run_command(client.server.app[SERVICES].dispatcher, ALICE, CONV, "cancel 1", {})
    await client.close()
    async with recording(tmp_path) as (app, services, channel):
        Recorder.refusals = [RetryLater(0.0, "HTTP 503")]
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 1)
        rows = services.db.execute(
            "SELECT attempts, last_error, failed_at IS NOT NULL, delivered_at IS NOT NULL"
            " FROM messages WHERE direction = 'out' ORDER BY id"
        ).fetchall()
        assert rows[0] == (1, "gave up after 1 day, 0:00:00: HTTP 503", 1, 0)
        assert [r[2:] for r in rows[1:]] == [(0, 1)] * (len(rows) - 1)
        assert "What was decided" not in channel.sent[0][2]


async def test_replies_given_up_never_hold_up_the_outbox(tmp_path: Path, recorder) -> None:
    client = await started(tmp_path, {})
    services = client.server.app[SERVICES]
    run_command(services.dispatcher, ALICE, CONV, "start post_meeting Gone", {})
    await client.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("UPDATE messages SET failed_at = created_at, attempts = 1, last_error = 'failed: gone'")
        conn.executemany(  # more than one page of the sender's reads (500), all given up
            "INSERT INTO messages (run_id, direction, channel, conversation, kind, text, created_at, attempts,"
            " last_error, failed_at) SELECT run_id, direction, channel, conversation, kind, text, created_at,"
            " attempts, last_error, failed_at FROM messages WHERE id = 1",
            [()] * 600,
        )
    async with recording(tmp_path) as (app, services, channel):
        run_command(services.dispatcher, ALICE, ConversationKey("recorder", "room-2"), "start post_meeting New", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 1)
        assert channel.sent == [("recorder:room-2", "alice", "What was decided in New?")]


async def test_the_bots_own_pacing_is_not_a_refused_attempt(tmp_path: Path, recorder) -> None:
    async with recording(tmp_path) as (app, services, channel):
        Recorder.refusals = [RetryLater(0.05, "paced", attempt=False)]
        run_command(services.dispatcher, ALICE, CONV, "start post_meeting Weekly sync", {})
        services.notify("recorder")
        await wait_for(lambda: len(channel.sent) == 1)
        row = services.db.execute("SELECT attempts, last_error FROM messages").fetchone()
        assert row == (1, None)
        assert app[SENDERS]["recorder"].blocked_until == {}  # the hold is forgotten once over


async def test_replies_left_in_the_outbox_are_sent_after_a_restart(tmp_path: Path, recorder) -> None:
    client = await started(tmp_path, {})  # the channel is off: replies stay queued
    services = client.server.app[SERVICES]
    run_command(services.dispatcher, ALICE, CONV, "start post_meeting Weekly sync", {})
    await client.close()
    client = await started(tmp_path, {"RECORDER": "on"})
    try:
        channel = client.server.app[CHANNELS]["recorder"]
        await wait_for(lambda: len(channel.sent) == 1)
        assert channel.sent[0][2] == "What was decided in Weekly sync?"
    finally:
        await client.close()


async def test_commands_start_list_status_cancel_help(tmp_path: Path, recorder) -> None:
    client = await started(tmp_path, {"RECORDER": "on"})
    try:
        dispatcher = client.server.app[SERVICES].dispatcher
        # not decision_review: a chat start names no decision, and starts on its review date
        assert (
            "Flows: metric_breach (Metric breach decision), post_meeting (Post-meeting decision check)."
            in run_command(dispatcher, ALICE, CONV, "help").text
        )
        bad = run_command(dispatcher, ALICE, CONV, "start nope")
        assert not bad.ok and "There is no flow 'nope'" in bad.text
        started_run = run_command(dispatcher, ALICE, CONV, "start post_meeting <@B> Weekly sync", {"<@B>": BOB})
        assert started_run.text == "Started run #1 (post_meeting): 'Weekly sync', with bob."
        listed = run_command(dispatcher, ALICE, CONV, "list")
        assert listed.runs[0]["id"] == 1 and "#1 post_meeting: Weekly sync" in listed.text
        status = run_command(dispatcher, BOB, CONV, "status 1")
        assert (
            status.text
            == "Run #1 post_meeting 'Weekly sync': active; waiting for alice to answer \"What was decided in Weekly sync?\"."
        )
        refused = run_command(dispatcher, BOB, CONV, "cancel 1")
        assert not refused.ok and "Only the facilitator (alice)" in refused.text
        assert (
            run_command(dispatcher, ALICE, CONV, "cancel").text == "Say which run: cancel RUN (the number from 'list')."
        )
        done = run_command(dispatcher, ALICE, CONV, "cancel 1")
        assert done.ok and done.text == "Run #1 ('Weekly sync') cancelled by alice. The transcript is kept."
        assert "No open decision runs here" in run_command(dispatcher, ALICE, CONV, "list").text
        assert "I don't know 'dance'" in run_command(dispatcher, ALICE, CONV, "dance").text
    finally:
        await client.close()


async def test_replies_for_a_channel_that_is_off_are_kept_and_said_once(tmp_path: Path, recorder, caplog) -> None:
    client = await started(tmp_path, {})  # the recorder channel is off in this server
    try:
        services = client.server.app[SERVICES]
        for room in ("room-1", "room-2"):
            run_command(services.dispatcher, ALICE, ConversationKey("recorder", room), "start post_meeting", {})
            services.notify("recorder")
        said = [r.message for r in caplog.records if "wait in the outbox" in r.message]
        assert said == [
            "Replies for 'recorder' wait in the outbox: that channel is not on in this server;"
            " they go out once the channel is on (see decisionbot serve --help)."
        ]
        assert services.db.execute("SELECT count(*) FROM messages WHERE delivered_at IS NULL").fetchone() == (2,)
    finally:
        await client.close()
