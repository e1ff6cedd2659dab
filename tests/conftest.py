"""Fixtures shared by the test modules:
- Slack: a fake Web API (``fake``) that knows ``slack_people``, Alice (UA) and Bob (UB) unless a
  module overrides that fixture with other people or time zones;
- the engine's turn-by-turn modules (tests/test_engine_turns*.py): a ledger (``db``) and the
  dispatcher of the shipped flows on it (``bot``);
- the server: the channel that records what it is sent (``recorder``), and a flows folder of the
  test's own (``folder``);
- Teams with authentication on: Microsoft's login faked (``login``), and the keys that sign tokens
  served locally (``openid``);
- a ledger an older decisionbot wrote (``old_ledger``: see tests/test_ledger_upgrade.py)."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.channels import REGISTRY, register
from bot.dispatch import Dispatcher
from bot.store import open_db, write_lock
from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.login import FakeLogin
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, harness
from tests.teams_support import LocalKeysTeams
from tests.test_engine_turns import make_bot
from tests.test_server import Recorder


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
def recorder() -> Iterator[type[Recorder]]:
    """The channel that records what it is sent (tests/test_server.py), registered for the test."""
    register(Recorder)
    Recorder.refusals = []
    yield Recorder
    REGISTRY.pop("recorder", None)


@pytest.fixture
def login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLogin]:
    """Microsoft's login services, faked behind an HTTPS proxy that botbuilder's and MSAL's
    ``requests`` go through (the environment says so; nothing of the bot is replaced)."""
    with OpenIdServer() as keys, FakeLogin(tmp_path, keys) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def openid(login: FakeLogin) -> Iterator[OpenIdServer]:
    """Teams with authentication on, taking its signing keys from this local OpenID server."""
    original = REGISTRY["teams"]
    with OpenIdServer() as server:
        LocalKeysTeams.openid_url = server.metadata_url
        REGISTRY["teams"] = LocalKeysTeams
        yield server
    REGISTRY["teams"] = original


@pytest.fixture
def slack_people() -> SlackPeople:
    """Whom the fake Web API knows; a module that needs other people or zones overrides this."""
    return dict(ALICE_AND_BOB)


@pytest.fixture
async def fake(slack_people: SlackPeople) -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    for user_id, (name, tz) in slack_people.items():
        fake.add_user(user_id, name, tz=tz)
    yield fake
    await fake.stop()


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    """The real server with the Slack channel on, talking to this module's ``fake``."""
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A flows folder of the test's own: the shipped flows without routes, checks or handovers."""
    return shipped_flows(tmp_path / "flows")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "t.db")
    yield database
    database.conn.close()


@pytest.fixture
def bot(db: Database) -> Dispatcher:
    return make_bot(db)


#: A ledger commit 956d256 wrote, six migrations behind (tests/test_ledger_upgrade.py says what it holds).
OLD_LEDGER = Path(__file__).resolve().parent / "fixtures" / "ledger-956d256.db.gz"


@pytest.fixture
def old_ledger(tmp_path: Path) -> Path:
    """A copy of ``OLD_LEDGER``, unpacked, for the test to open."""
    path = tmp_path / "decisions.db"
    with gzip.open(OLD_LEDGER) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 another socket listens on, for the test's length."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
