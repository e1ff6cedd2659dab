"""Shared helpers: the tests' clock at NOW (tests/clock.py), a ledger that can be closed and
reopened ("a process restart"), and a Dispatcher + Scheduler built anew on each open."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message
from bot.scheduler import Scheduler
from bot.store import open_db
from tests.clock import Clock
from tests.flows_support import shipped_flows

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday, 16:00 in Paris
ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CAROL = Actor("console:carol", "carol")
CONV = ConversationKey("console", "room")


class Process:
    """One 'process' of the bot on a ledger file: open, work, close; then a new one."""

    def __init__(self, path: Path, flows: Path, clock: Clock, env: dict[str, str] | None = None):
        self.path, self.flows, self.clock, self.env = path, flows, clock, env or {}
        self.db = open_db(path)
        self.bot = Dispatcher(self.db, FlowCatalog(flows, self.db), PARIS, clock=clock)
        self.scheduler = Scheduler(self.bot, self.env)

    def restart(self) -> Process:
        self.db.conn.close()
        return Process(self.path, self.flows, self.clock, self.env)

    def say(self, actor: Actor, text: str, conv: ConversationKey = CONV) -> list[tuple[str | None, str, str]]:
        result = self.bot.handle(Message(conv, actor, text))
        assert result is not None, f"{actor.name}: {text!r} found no open run"
        return [(r.to.name if r.to else None, r.kind, r.text) for r in result.outcome.replies]

    def rows(self, sql: str, *params: object) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def outbox(self, after: int = 0) -> list[tuple]:
        return self.rows(
            "SELECT run_id, actor_name, kind, private, text FROM messages WHERE direction = 'out' AND id > ? ORDER BY id",
            after,
        )

    def last_message_id(self) -> int:
        return self.rows("SELECT coalesce(max(id), 0) FROM messages")[0][0]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A copy of the shipped flows without routes.yaml and checks.yaml (tests write their own)."""
    return shipped_flows(tmp_path / "flows")


@pytest.fixture
def proc(tmp_path: Path, flows: Path, clock: Clock):
    process = Process(tmp_path / "t.db", flows, clock)
    yield process
    process.db.conn.close()
