"""Fixtures shared by the Slack test modules: a fake Web API that knows Alice (UA) and Bob (UB),
which a module overrides with its own ``fake`` when it needs other people or time zones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_user("UA", "Alice")
    fake.add_user("UB", "Bob")
    yield fake
    await fake.stop()


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    """The real server with the Slack channel on, talking to this module's ``fake``."""
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()
