"""Slack calls made on the side of the outbox (a command's answer, a question redrawn once
answered, the parts of a long answer): a 429, a 5xx or a network error is retried, waiting
Retry-After, for SIDE_RETRY_FOR; a refusal for good is not; a 429 holds the channel's pacing."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from bot.channels import slack_blocks as blocks
from bot.channels.slack_limits import Pacer
from bot.channels.slack_send import Poster
from bot.channels.slack_side import side_call
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for


def poster(slack: Harness) -> Poster:
    found = slack.channel.poster
    assert found is not None
    return found


def texts_posted(fake: FakeSlack, channel: str) -> list[str]:
    return [p["text"] for p in fake.posted() if p["channel"] == channel]


async def test_the_answer_to_a_direct_message_command_survives_a_429_storm(slack: Harness, fake: FakeSlack) -> None:
    """Bob DMs `list` while Slack answers 429 three times (Retry-After: 0): he hears back."""
    fake.refuse("chat.postMessage", times=3, status=429, retry_after="0")
    await slack.event(message("UB", "list", channel="DUB"))
    await wait_for(lambda: texts_posted(fake, "DUB"), timeout=8)
    assert len(fake.of("chat.postMessage")) == 4


async def test_the_answered_by_redraw_survives_a_429_storm(slack: Harness, fake: FakeSlack) -> None:
    """A question answered with its people picker while chat.update answers 429 three times: it is
    redrawn "Answered by ...", its picker gone, all the same."""
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan"):
        await slack.event(message("UA", text, thread_ts=thread))
    owner_question = (await slack.posts(4))[3]
    fake.refuse("chat.update", times=3, status=429, retry_after="0")
    assert (await slack.click("UA", owner_question, {"type": "users_select", "selected_user": "UB"})).status == 200
    redrawn = await wait_for(
        lambda: [c for c in fake.of("chat.update") if c.result.get("ok") and c.args["ts"] == owner_question["ts"]],
        timeout=8,
    )
    assert redrawn[0].args["blocks"][1]["elements"][0]["text"] == "Answered by <@UA>: <@UB>"
    assert not [b for b in redrawn[0].args["blocks"] if b["type"] == "actions"]


async def test_the_parts_of_a_long_answer_go_in_order_through_429s_and_5xx(slack: Harness, fake: FakeSlack) -> None:
    fake.refuse("chat.postMessage", times=2, after=1, status=429, retry_after="0")
    fake.refuse("chat.postMessage", times=1, status=503)
    poster(slack).say_later("C9", ["one", "two", "three"])
    await wait_for(lambda: len(texts_posted(fake, "C9")) == 3, timeout=10)
    assert texts_posted(fake, "C9") == ["one", "two", "three"]
    assert len(fake.of("chat.postMessage")) == 6


async def test_a_refusal_for_good_is_not_retried(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refuse("chat.update", error="channel_not_found")
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        poster(slack).update_later("C9", "1.000001", blocks.withdrawn("Who owns it?"))
        await wait_for(lambda: "Slack chat.update failed: channel_not_found" in caplog.text)
    await asyncio.sleep(1.0)  # longer than the first wait before a retry
    assert len(fake.of("chat.update")) == 1


async def test_a_429_holds_the_channel_for_the_outboxs_own_posts(slack: Harness, fake: FakeSlack) -> None:
    """Slack's Retry-After for a side call holds the channel in the pacing the outbox's posts take."""
    pacer = poster(slack).pacer = Pacer()
    fake.refuse("chat.postEphemeral", status=429, retry_after="2")
    poster(slack).ephemeral_later("C9", "UA", "Nothing is waiting for you.")
    await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert pacer.wait("C9", 1) > 1.0  # the outbox's reply 1 waits its turn after the 429
    assert pacer.wait("C8", 2) == 0.0  # another channel does not
    await wait_for(lambda: [c for c in fake.of("chat.postEphemeral") if c.result.get("ok")], timeout=5)


async def test_a_side_call_refused_for_longer_than_its_bound_is_given_up(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    poster(slack).side_retry_for = 1.0
    fake.refuse("chat.update", times=100, status=429, retry_after="0")
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        poster(slack).update_later("C9", "1.000001", blocks.withdrawn("Who owns it?"))
        await wait_for(lambda: "Slack chat.update failed: HTTP 429 ratelimited" in caplog.text, timeout=5)
    tried = len(fake.of("chat.update"))
    assert 2 <= tried < 10
    await asyncio.sleep(1.0)
    assert len(fake.of("chat.update")) == tried


async def test_a_stopping_server_ends_a_side_calls_wait_with_a_log_line(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refuse("chat.postMessage", status=429, retry_after="60")
    with caplog.at_level(logging.WARNING):
        poster(slack).say_later("C9", "Nothing is waiting for you.")
        await wait_for(lambda: fake.of("chat.postMessage"))
        await asyncio.wait_for(slack.client.close(), 5)
    said = [r.getMessage() for r in caplog.records]
    assert any("Slack chat.postMessage was not made" in line and "stopped" in line for line in said), said
    assert not [line for line in said if "destroyed" in line or "exception was never retrieved" in line]
    assert len(fake.of("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("failure", "method", "calls"),
    [
        (TimeoutError(), "chat.postMessage", 1),  # its answer timed out: Slack may have posted it
        (aiohttp.ServerDisconnectedError(), "chat.postEphemeral", 1),  # cut off after it was sent
        (TimeoutError(), "chat.update", 2),  # a redraw made twice shows once
        (
            aiohttp.ClientConnectorError(
                ConnectionKey("slack.com", 443, True, True, None, None, None), OSError(111, "refused")
            ),
            "chat.postMessage",
            2,
        ),
    ],
)
async def test_a_post_slack_may_have_taken_is_not_made_again(failure: Exception, method: str, calls: int) -> None:
    """A side post whose answer timed out or was cut off is given up (made again it would show
    twice); a redraw is made again, and so is a post that never reached Slack (connection refused)."""
    made: list[int] = []

    async def request() -> dict[str, bool]:
        made.append(1)
        if len(made) == 1:
            raise failure
        return {"ok": True}

    taken = await side_call(method, request, Pacer(), "C1")  # type: ignore[arg-type]
    assert (taken, len(made)) == (calls == 2, calls)
