"""The full-text index is kept off the turns: messages are indexed in batches by upkeep (the
server's housekeeping, the end of every CLI command that wrote, ``db migrate``), incrementally,
and a change of an indexed message's text still follows at once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from bot.analytics import schema, search
from bot.cli import main
from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message
from bot.server import SERVICES, create_app
from bot.store import open_db

ROOT = Path(__file__).resolve().parents[2]
ALICE = Actor("console:alice", "alice")
ROOM = ConversationKey("console", "room")


def dispatcher(path: Path) -> Dispatcher:
    db = open_db(path)
    return Dispatcher(db, FlowCatalog(ROOT / "flows", db), ZoneInfo("UTC"))


def say(d: Dispatcher, text: str) -> None:
    assert d.handle(Message(ROOM, ALICE, text)) is not None


def integrity(conn) -> None:
    conn.execute(f"INSERT INTO {schema.FTS_TABLE} ({schema.FTS_TABLE}) VALUES ('integrity-check')")


def test_turns_do_not_index_upkeep_does_in_batches_and_only_once(tmp_path: Path) -> None:
    d = dispatcher(tmp_path / "l.db")
    run_command(d, ALICE, ROOM, "start post_meeting Quokka sync")
    say(d, "We move the wombat launch to March")
    conn = d.db.conn
    assert search.search(conn, "wombat") == []  # written, not yet indexed
    assert schema.unindexed(conn) == 3  # the first question, the answer, the next question
    assert schema.upkeep(d.db, batch=2) == 2
    assert schema.upkeep(d.db, batch=2) == 1
    assert schema.upkeep(d.db) == 0 and schema.unindexed(conn) == 0
    assert [r["text"] for r in search.search(conn, "wombat")] == ["We move the wombat launch to March"]
    integrity(conn)


def test_a_cli_command_leaves_the_index_complete_however_many_batches_it_takes(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    d = dispatcher(path)
    run_command(d, ALICE, ROOM, "start post_meeting Sync")
    say(d, "We adopt the bilby plan")
    conn = d.db.conn
    columns = ", ".join(c for (_, c, *_) in conn.execute("PRAGMA table_info(messages)") if c != "id")
    while schema.unindexed(conn) <= 2 * schema.INDEX_BATCH:  # more than two batches, as after a demo history
        conn.execute(f"INSERT INTO messages ({columns}) SELECT {columns} FROM messages")
    conn.close()
    args = ["--db", str(path), "--flows", str(ROOT / "flows")]
    ran = CliRunner().invoke(main, [*args, "jobs", "run-due"])  # a command that writes (runs list only reads)
    assert ran.exit_code == 0, ran.output
    found = CliRunner().invoke(main, [*args, "transcripts", "search", "bilby", "--limit", "10000", "--json"])
    assert found.exit_code == 0 and "not in the full-text index" not in found.output
    conn = open_db(path).conn
    assert schema.unindexed(conn) == 0
    (expected,) = conn.execute("SELECT count(*) FROM messages WHERE text LIKE '%bilby%'").fetchone()
    assert len(json.loads(found.stdout)) == expected > schema.INDEX_BATCH


def test_an_indexed_message_that_changes_is_reindexed_and_an_unindexed_one_is_left_alone(tmp_path: Path) -> None:
    d = dispatcher(tmp_path / "l.db")
    run_command(d, ALICE, ROOM, "start post_meeting Sync")
    say(d, "We buy a wombat")
    conn = d.db.conn
    schema.upkeep(d.db)
    indexed = conn.execute("SELECT id FROM messages WHERE text = 'We buy a wombat'").fetchone()[0]
    conn.execute("UPDATE messages SET text = 'We buy a numbat' WHERE id = ?", (indexed,))
    say(d, "Order the food")
    fresh = conn.execute("SELECT id FROM messages WHERE text = 'Order the food'").fetchone()[0]
    conn.execute("UPDATE messages SET text = 'Order the hay' WHERE id = ?", (fresh,))
    integrity(conn)  # an external-content 'delete' of a row never indexed would corrupt it
    assert search.search(conn, "wombat") == [] and len(search.search(conn, "numbat")) == 1
    schema.upkeep(d.db)
    assert [r["text"] for r in search.search(conn, "hay")] == ["Order the hay"]
    conn.execute("DELETE FROM messages WHERE id = ?", (indexed,))
    assert search.search(conn, "numbat") == []
    integrity(conn)


async def test_the_server_indexes_new_messages_within_a_second(tmp_path: Path) -> None:
    client = TestClient(TestServer(create_app(tmp_path / "s.db", ROOT / "flows", env={})))
    await client.start_server()
    try:
        services = client.server.app[SERVICES]
        run_command(services.dispatcher, ALICE, ROOM, "start post_meeting Sync")
        say(services.dispatcher, "We adopt the platypus plan")
        conn = services.db.conn
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3.0
        while not search.search(conn, "platypus"):
            assert loop.time() < deadline, "not indexed by the server's housekeeping"
            await asyncio.sleep(0.05)
        assert schema.unindexed(conn) == 0
    finally:
        await client.close()


def test_search_says_when_the_index_is_behind_and_db_migrate_catches_up(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    d = dispatcher(path)
    run_command(d, ALICE, ROOM, "start post_meeting Sync")
    say(d, "We adopt the echidna plan")
    d.db.conn.close()
    args = ["--db", str(path), "--flows", str(ROOT / "flows")]
    behind = CliRunner().invoke(main, [*args, "transcripts", "search", "echidna"])
    assert behind.exit_code == 0 and "(none)" in behind.output
    assert "the 3 newest message(s) are not in the full-text index yet" in behind.output
    assert f"To index them now: decisionbot --db {path} db migrate" in behind.output  # this ledger, not the default
    migrated = CliRunner().invoke(main, [*args, "db", "migrate"])
    assert migrated.exit_code == 0, migrated.output
    found = CliRunner().invoke(main, [*args, "transcripts", "search", "echidna"])
    assert "echidna" in found.output and "not in the full-text index" not in found.output
