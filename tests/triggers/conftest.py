"""Shared helpers: a fixed clock, a ledger that can be closed and reopened ("a process
restart"), and a Dispatcher + Scheduler built anew on each open."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message
from bot.scheduler import Scheduler
from bot.store import open_db

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday, 16:00 in Paris
ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CAROL = Actor("console:carol", "carol")
CONV = ConversationKey("console", "room")


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, **delta: float) -> datetime:
        self.now = NOW + timedelta(**delta)
        return self.now


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
    return Clock()


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A copy of the shipped flows without routes.yaml and checks.yaml (tests write their own)."""
    folder = tmp_path / "flows"
    folder.mkdir()
    for name in ("post_meeting", "metric_breach", "decision_review"):
        shutil.copy(ROOT / "flows" / f"{name}.yaml", folder)
    return folder


@pytest.fixture
def proc(tmp_path: Path, flows: Path, clock: Clock):
    process = Process(tmp_path / "t.db", flows, clock)
    yield process
    process.db.conn.close()
