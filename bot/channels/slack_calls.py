"""One Slack Web API call, and Slack's refusals in the outbox's terms: :class:`RetryLater` on 429
(after ``Retry-After``), 5xx, transient errors and network failures; :class:`ChannelDown` when Slack
refuses the token itself (revoked, the app uninstalled: no message's fault, every call fails alike);
:class:`DeliveryFailed` on any other ``ok: false``, which no retry would change."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import texts
from bot.channels import ChannelDown, DeliveryFailed, RetryLater, retry_after

#: Errors worth another try; any other ``ok: false`` is permanent for that message.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
)
#: Slack's refusals of the token a call was made with (revoked, expired, the app uninstalled, the
#: workspace or the bot user deactivated): the channel is down, whatever the message.
CREDENTIALS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
#: Seconds a Web API call waits for Slack's answer, then is given up as a network failure (the
#: outbox tries again; a side post is not made again: slack_side). The timeout of the session the
#: Slack channel's clients call through (slack_sdk applies its own ``timeout`` argument only to a
#: session it opens itself).
CALL_TIMEOUT = 10.0


#: Refusals that say the conversation itself will not take the bot's messages (not this message).
CONVERSATION_REFUSED = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "thread_not_found"}
)
#: Refusals that say the person cannot be written to.
PERSON_REFUSED = frozenset({"cannot_dm_bot", "user_not_found", "user_disabled", "user_not_visible"})
#: ... because they left the workspace: they cannot answer anywhere (no remedy). Not
#: ``user_not_found``: Slack says it as well of a person it does not show the bot (of another
#: organization, in a Slack Connect channel), who can answer in the run's thread; one who left
#: is ``user_disabled`` (their account is kept, deactivated).
PERSON_GONE = frozenset({"user_disabled"})


def placed(exc: DeliveryFailed, direct: bool) -> DeliveryFailed:
    """A refusal of a message to a direct message (``direct``) or to the run's conversation, with
    what was refused and why in plain words (for the notice the run's facilitator gets)."""
    code = exc.code or str(exc)
    if direct or code in PERSON_REFUSED:
        where = "direct"
    else:
        where = "conversation" if code in CONVERSATION_REFUSED else "message"
    remedy = texts.slack_remedy(code) if where == "conversation" else "" if code in PERSON_GONE else None
    return exc.placed(where, texts.slack_refusal(code, where == "direct"), remedy)


def api_error(exc: SlackApiError) -> str:
    """Slack's error code (``channel_not_found``), or the HTTP status when the body had none."""
    data = exc.response.data
    error = data.get("error") if isinstance(data, dict) else None
    return str(error or f"HTTP {exc.response.status_code}")


def rate_limited(exc: SlackApiError) -> float | None:
    """Seconds Slack's rate limit said to wait (its 429's ``Retry-After``); None for another refusal."""
    if exc.response.status_code != 429 and api_error(exc) != "ratelimited":
        return None
    return retry_after(header(exc.response.headers, "Retry-After"))


def header(headers: Mapping[str, Any] | None, name: str) -> Any:
    """A response header's value (as slack_sdk keeps it: a string or a list of them) by its name in
    any case; None when it is not there."""
    wanted = name.lower()
    return next((value for key, value in (headers or {}).items() if key.lower() == wanted), None)


def refusal(exc: SlackApiError) -> RetryLater | DeliveryFailed:
    status = exc.response.status_code
    error = api_error(exc)
    if (seconds := rate_limited(exc)) is not None:
        return RetryLater(seconds, f"HTTP 429 {error}", rate_limited=True)
    if status >= 500 or error in TRANSIENT:
        return RetryLater(2.0, error)
    if error in CREDENTIALS:
        return ChannelDown(error)
    return DeliveryFailed(error, code=error)


def json_call(client: AsyncWebClient, method: str, **args: Any) -> Awaitable[AsyncSlackResponse]:
    """``method`` (``chat.postMessage``, ``chat.update`` ...) with ``args`` as its JSON body, through
    the client's ``api_call`` as its generated method (``client.chat_postMessage``) would make it,
    None values left out, without what that method does to its keyword arguments first (copied
    twice, searched for Block Kit objects, checked for a text): the bot passes plain dicts, always
    with a text. About 8% less of the client's cost of a post (callgrind, a chat.postMessage with
    widgets against the fake API: 796k -> 730k instructions)."""
    return client.api_call(method, json={name: value for name, value in args.items() if value is not None})


async def call(request: Awaitable[AsyncSlackResponse], timeout: float | None = None) -> AsyncSlackResponse:
    """One Web API call; Slack's refusals and network failures as the outbox understands them.
    The calls time out after CALL_TIMEOUT (their session's); ``timeout`` is for a caller in a hurry."""
    try:
        return await (asyncio.wait_for(request, timeout) if timeout else request)
    except SlackApiError as exc:
        raise refusal(exc) from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise RetryLater(2.0, f"network: {type(exc).__name__}") from exc
