"""Fixtures shared by the Slack test modules: a fake Web API that knows Alice (UA) and Bob (UB),
which a module overrides with its own ``fake`` when it needs other people or time zones; and by
the engine's turn-by-turn modules (tests/test_engine_turns*.py): a ledger (``db``) and the
dispatcher of the shipped flows on it (``bot``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.dispatch import Dispatcher
from bot.store import open_db, write_lock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness
from tests.test_engine_turns import make_bot


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Commands run in-process (click's CliRunner) may set variables for the processes they start
    (``rasa-actions`` hands --db and --flows to rasa-sdk's workers through the environment): no
    test sees another's."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def _writes_wait_off_the_loop() -> Iterator[None]:
    """In the server every write takes the ledger's write lock through ``GroupCommit.writable``,
    so another process holding it is waited for with the event loop serving the rest (see
    bot.store.group): a write that would take it with SQLite's busy wait, stopping the loop, fails
    the test that made it, naming where it is."""
    write_lock.UNGATED = []
    yield
    found, write_lock.UNGATED = write_lock.UNGATED, None
    assert not found, "writes that wait for the lock with the loop stopped:\n" + "\n".join(dict.fromkeys(found))


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_user("UA", "Alice")
    fake.add_user("UB", "Bob")
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_with_carol(fake: FakeSlack) -> FakeSlack:
    """The fake Web API knowing Carol (UC) too; a module that needs her overrides ``fake`` with it."""
    fake.add_user("UC", "Carol")
    return fake


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    """The real server with the Slack channel on, talking to this module's ``fake``."""
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "t.db")
    yield database
    database.conn.close()


@pytest.fixture
def bot(db: Database) -> Dispatcher:
    return make_bot(db)
