"""Slack's ``Retry-After`` taken sanely: a 429 of ``users.info`` saying ``0`` (or a negative
number) does not make the lookups made again in the background hammer Slack, and one saying
``inf``, a huge number or no number at all holds them back a bounded while, not for good. The real
server and slack-sdk against the fake Web API."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import pytest

from bot.channels import RETRY_AFTER_MOST, retry_after
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, slash_body, wait_for


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0.0),
        ("2", 2.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        ("inf", RETRY_AFTER_MOST),
        ("1e308", RETRY_AFTER_MOST),
        ("nan", 1.0),
        ("soon", 1.0),
        ("", 1.0),
        (None, 1.0),
        (["3"], 3.0),
    ],  # fmt: skip
)
def test_retry_after_is_a_finite_wait_of_zero_to_its_bound(header: object, seconds: float) -> None:
    found = retry_after(header)
    assert math.isfinite(found) and found == seconds


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack):
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


async def named(slack: Harness, user: str = "UNEW") -> None:
    resp = await slack.post(slash_body(user, "help"), form=True)
    assert resp.status == 200


@pytest.mark.parametrize("header", ["0", "-3"])
async def test_a_429_saying_retry_at_once_does_not_hammer_users_info(
    slack: Harness, fake: FakeSlack, header: str
) -> None:
    """Before: the lookup made again met the 429 at once and was made again with no pause at all,
    some thirty calls in a second (every refusal queued here spent)."""
    fake.refuse("users.info", times=30, status=429, retry_after=header)
    began = time.monotonic()
    await named(slack)
    await asyncio.sleep(1.5)
    calls = [c for c in fake.of("users.info") if c.at - began < 1.5]
    assert 1 <= len(calls) <= 3  # the first, then about one a second (RATE_LIMITED_LEAST)


@pytest.mark.parametrize("header", ["inf", "1e308", "nan", "soon"])
async def test_a_429_with_an_absurd_retry_after_holds_lookups_a_bounded_while(
    slack: Harness, fake: FakeSlack, header: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``inf`` (or 1e308) held every lookup back for good (the background lookups slept
    forever); now the person is looked up again once the bounded wait has passed."""
    monkeypatch.setattr("bot.channels.RETRY_AFTER_MOST", 1.0)  # (120 s: too long for a test)
    fake.refuse("users.info", times=1, status=429, retry_after=header)
    await named(slack)
    assert await wait_for(lambda: len(fake.of("users.info")) >= 2, timeout=6)
    held = slack.channel.held
    assert not held.waiting or math.isfinite(held.until)
