"""Fixtures shared by the Slack test modules; each module says who its fake Web API knows (its
own ``fake`` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    """The real server with the Slack channel on, talking to this module's ``fake``."""
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()
