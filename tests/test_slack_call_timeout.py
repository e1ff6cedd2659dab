"""A Slack Web API call that is never answered is given up after CALL_TIMEOUT (slack_sdk applies
its own ``timeout`` only to a session it opens itself; the channel's calls go through a session
with that timeout), then handled as any timeout: the outbox tries the reply again; a side post
is not made again (Slack may have taken it); a redraw is."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels import slack
from bot.channels import slack_blocks as blocks
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for

TIMEOUT = 0.5  # seconds: CALL_TIMEOUT in these tests


@pytest.fixture
async def quick(tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """The server with the Slack channel on, its Web API calls given up after TIMEOUT."""
    monkeypatch.setattr(slack, "CALL_TIMEOUT", TIMEOUT)
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


async def test_an_outbox_reply_slack_never_answers_is_given_up_and_sent_again(quick: Harness, fake: FakeSlack) -> None:
    await quick.slash("UA", "start post_meeting Weekly")
    thread = (await quick.posts(2))[0]["ts"]
    fake.hang("chat.postMessage")
    began = time.monotonic()
    await quick.event(message("UA", "We ship in March", thread_ts=thread))  # the next question: from the outbox
    await quick.posts(3, timeout=8)
    assert time.monotonic() - began < 8  # not the session's 30 s
    calls = fake.of("chat.postMessage")
    assert len(calls) == 4 and calls[3].args["text"] == calls[2].args["text"]  # the reply that hung, sent again


async def test_a_side_post_slack_never_answers_is_given_up_and_not_made_again(
    quick: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.hang("chat.postMessage")
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        await quick.event(message("UB", "list", channel="DUB"))  # its answer goes on the side
        await wait_for(lambda: "Slack chat.postMessage failed: network: TimeoutError" in caplog.text, timeout=5)
    assert len(fake.of("chat.postMessage")) == 1  # Slack may have posted it: not made twice


async def test_a_redraw_slack_never_answers_is_made_again(quick: Harness, fake: FakeSlack) -> None:
    fake.hang("chat.update")
    assert quick.channel.poster is not None
    quick.channel.poster.update_later("C9", "1.000001", blocks.withdrawn("Who owns it?"))
    await wait_for(lambda: [c for c in fake.of("chat.update") if c.result.get("ok")], timeout=5)
    assert len(fake.of("chat.update")) == 2
