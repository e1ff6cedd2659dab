"""The outbox's posts and the side calls go through AsyncWebClient.api_call with their JSON body
made here (slack_calls.json_call), not through the generated methods (chat_postMessage ...), whose
handling of keyword arguments is 8% of the client's cost of a post: Slack receives the same
body (None values left out, as those methods do), and its refusals are read the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels import RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.slack_calls import call, json_call
from bot.model import ConversationKey, Reply
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token="xoxb-test", base_url=fake.url, session=session)


def question() -> dict[str, Any]:
    reply = Reply(
        run_id=7,
        conversation=ConversationKey.parse("slack:C1"),
        text="Is it decided?",
        kind="prompt",
        expects={"type": "yes_no"},
    )
    return blocks.message(reply, 41, "UA")


CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("chat.postMessage", "chat_postMessage", {"channel": "C1", "thread_ts": None, **question()}),
    ("chat.postMessage", "chat_postMessage", {"channel": "C1", "thread_ts": "1700000000.000001", "text": "Noted."}),
    ("chat.update", "chat_update", {"channel": "C1", "ts": "1700000000.000002", **blocks.withdrawn("Is it?")}),
    ("chat.postEphemeral", "chat_postEphemeral", {"channel": "C1", "user": "UA", "text": "No.", "thread_ts": None}),
]


@pytest.mark.parametrize(("method", "generated", "args"), CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
async def test_slack_gets_the_body_the_generated_method_sends(
    client: AsyncWebClient, fake: FakeSlack, method: str, generated: str, args: dict[str, Any]
) -> None:
    by_method = await call(getattr(client, generated)(**args))
    by_json = await call(json_call(client, method, **args))
    made = fake.of(method)
    assert len(made) == 2
    assert made[1].args == made[0].args and made[1].token == made[0].token == "xoxb-test"
    assert ("thread_ts" in made[1].args) == (args.get("thread_ts") is not None)  # no null sent
    assert by_json["ok"] and by_json.data.keys() == by_method.data.keys()


async def test_a_refusal_of_a_json_call_is_read_as_before(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.refuse("chat.postMessage", status=429, retry_after="7")
    with pytest.raises(RetryLater) as refused:
        await call(json_call(client, "chat.postMessage", channel="C1", text="Hello"))
    assert refused.value.seconds == 7.0 and refused.value.reason.startswith("HTTP 429")
