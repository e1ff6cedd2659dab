"""The fixtures of the tests of actions and reviews: a clock the tests move (tests/clock.py), and a dispatcher on a
real ledger with the shipped post_meeting and decision_review flows (tests/actions/support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.dispatch import Dispatcher
from tests.actions.support import START, dispatcher
from tests.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def bot(tmp_path: Path, clock: Clock) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, clock)
