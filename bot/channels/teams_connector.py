"""Bot Framework plumbing for the Teams channel: its settings, what botbuilder's token checks
read, and a thin Bot Connector REST client on the server's shared aiohttp session.

botbuilder's own ConnectorClient sends through ``requests`` in a thread pool with a client per
turn; this one posts the same JSON on the shared session and turns the connector's refusals into
the outbox's terms: 429 and 5xx (and network errors) are :class:`RetryLater` with the
``Retry-After`` the service asked for, other 4xx are :class:`DeliveryFailed`. A 401 is tried once
more with a token asked of Azure AD anew; a second one is that reply's :class:`RetryLater` (Azure AD
took the credentials: one service URL refuses them), Azure AD refusing the bot's credentials is
:class:`ChannelDown` (see :mod:`bot.channels.teams_tokens`, which fetches the tokens from
botbuilder's credentials); with no app id (local development) no Authorization header
is sent, as botbuilder does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jwt
from aiohttp import ClientError, ClientResponse, ClientSession, web
from botbuilder.schema import Activity, ChannelAccount

from bot import texts
from bot.channels import ChannelDown, DeliveryFailed, RetryLater, retry_after
from bot.channels.teams_tokens import Tokens
from bot.errors import ConfigError
from bot.outbox import backoff
from bot.refusals import RefusalLog

log = logging.getLogger("decisionbot.teams")

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str
    password: str
    app_type: str
    tenant_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TeamsSettings:
        """The Bot Framework's usual variables; a missing secret is a ConfigError naming it."""
        app_id = env.get("MicrosoftAppId", "").strip()
        raw_type = env.get("MicrosoftAppType", "").strip() or "MultiTenant"
        app_type = APP_TYPES.get(raw_type.lower())
        if app_type is None:
            raise ConfigError(texts.teams_bad_app_type(raw_type))
        password = env.get("MicrosoftAppPassword", "")
        tenant = env.get("MicrosoftAppTenantId", "").strip()
        if app_id and app_type != "UserAssignedMSI" and not password:
            raise ConfigError(texts.teams_needs("MicrosoftAppPassword", app_type))
        if app_id and app_type != "MultiTenant" and not tenant:
            raise ConfigError(texts.teams_needs("MicrosoftAppTenantId", app_type))
        if not app_id and app_type != "MultiTenant":  # authentication off is for local development only
            raise ConfigError(texts.teams_type_needs_app_id(app_type))
        return cls(app_id, password, app_type, tenant)


class AuthConfig:
    """The configuration object botbuilder reads (``APP_ID``, ``APP_PASSWORD`` ...)."""

    def __init__(self, settings: TeamsSettings):
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.tenant_id


def auth_view(body: dict[str, Any]) -> Activity:
    """The fields of an activity botbuilder's token validation reads (channel, service URL, and
    for the Emulator's skill calls the recipient's role), without a full msrest deserialization."""
    recipient = body.get("recipient")
    if not isinstance(recipient, dict):
        recipient = {}
    return Activity(
        channel_id=body.get("channelId"),
        service_url=body.get("serviceUrl"),
        recipient=ChannelAccount(id=recipient.get("id"), role=recipient.get("role")),
        relates_to=body.get("relatesTo"),
    )


def claimed_view(header: str | None) -> Activity:
    """For a body that is no activity: the service URL its token claims (read unverified), so that
    the token's check, signature, issuer, audience and all, is made as for a usable body's; a
    forged token is refused with its 401, and only a genuine one learns what is wrong with its body."""
    try:
        claims = jwt.decode((header or "").removeprefix("Bearer "), options={"verify_signature": False})
    except jwt.PyJWTError:
        claims = {}
    url = claims.get("serviceurl") if isinstance(claims, dict) else None
    # no claim: a URL none equals, so that the token is refused as one without it always is
    return auth_view({"serviceUrl": url if isinstance(url, str) else "about:no-serviceurl-claim"})


#: The one Authorization header botbuilder takes: ``Bearer`` (so spelt), one space, a JWT (three
#: base64url parts; any other value is refused by its ``JwtTokenExtractor`` all the same).
_BEARER = re.compile(r"Bearer [A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*")


def refused_unread(request: web.Request, token_required: bool, refusals: RefusalLog) -> web.Response | None:
    """The answer to a request refused on its headers alone, before its body (up to the server's
    1 MB) is read or parsed: a body that is not JSON (415); no Authorization header while tokens
    are checked (``MicrosoftAppId`` set), or one that cannot hold a token (401, logged as every
    refused token is). None: read the body, and the token is checked then."""
    if request.content_type != "application/json":
        return web.json_response({"error": texts.teams_bad_request(texts.teams_not_json_type())}, status=415)
    header = request.headers.get("Authorization")
    if (header is None and not token_required) or (header is not None and _BEARER.fullmatch(header)):
        return None
    refusals.tell("NoBearerToken", texts.teams_request_refused, "NoBearerToken", texts.teams_no_bearer(header is None))
    return web.json_response({"error": texts.teams_unauthorized("NoBearerToken")}, status=401)


class Connector:
    def __init__(self, http: ClientSession, tokens: Tokens):
        self.http = http
        self.tokens = tokens

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """POST an activity into a conversation (a thread: ``...;messageid=<root>``); its new id."""
        data = await self._call("POST", _url(service_url, conversation_id, "activities"), activity)
        return str(data.get("id") or "")

    async def reply(self, service_url: str, conversation_id: str, reply_to: str, activity: dict[str, Any]) -> str:
        body = {**activity, "replyToId": reply_to}
        data = await self._call("POST", _url(service_url, conversation_id, "activities", reply_to), body)
        return str(data.get("id") or "")

    async def say(
        self, service_url: str, conversation_id: str, reply_to: str | None, activity: dict[str, Any], tries: int
    ) -> bool:
        """Post ``activity`` (in reply to ``reply_to`` when given), retrying 429, 5xx and network
        errors up to ``tries`` times; a last refusal is logged, not raised: whether it was posted."""

        async def post() -> None:
            if reply_to:
                await self.reply(service_url, conversation_id, reply_to, activity)
            else:
                await self.send(service_url, conversation_id, activity)

        return await self.retrying(post, tries, lambda problem: texts.teams_send_failed(conversation_id, problem))

    async def retrying(self, call: Callable[[], Awaitable[Any]], tries: int, failed: Callable[[str], str]) -> bool:
        """Make ``call`` (a side call outside the outbox: a command's answer, a card shown answered),
        again after 429, 5xx and network errors (backing off, as ``Retry-After`` says), up to
        ``tries`` times; a refusal for good or the last one is logged with ``failed(problem)``."""
        for attempt in range(1, tries + 1):
            try:
                await call()
                return True
            except ChannelDown as exc:  # the credentials are refused: logged once already, no use asking again now
                log.info(failed(str(exc)))
                return False
            except RetryLater as exc:
                if attempt == tries:
                    log.warning(failed(str(exc)))
                    return False
                await asyncio.sleep(min(max(exc.seconds, backoff(attempt)), 30.0))
            except DeliveryFailed as exc:
                log.warning(failed(str(exc)))
                return False
        return False

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> None:
        body = {**activity, "id": activity_id}
        await self._call("PUT", _url(service_url, conversation_id, "activities", activity_id), body)

    async def create_conversation(self, service_url: str, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v3/conversations: a personal chat with someone, or a new thread in a channel."""
        return await self._call("POST", f"{service_url.rstrip('/')}/v3/conversations", params)

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> dict[str, Any]:
        """One member of a conversation, by Teams id, Azure AD object id or UPN."""
        return await self._call("GET", _url(service_url, conversation_id, "members", member_id), None)

    async def _call(self, method: str, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
        for again in (False, True):
            token = await self.tokens.get()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                async with self.http.request(method, url, json=body, headers=headers) as resp:
                    if resp.status < 300:
                        self.tokens.accepted()
                        return _json(await resp.text())
                    if resp.status == 401 and token and not again:  # stale, or refused: once more, anew
                        self.tokens.forget(fresh=True)
                        continue
                    await self._refused(resp, bool(token))
            except (TimeoutError, ClientError) as exc:
                raise RetryLater(1.0, f"network: {exc.__class__.__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # _refused always raises

    async def _refused(self, resp: ClientResponse, authorized: bool) -> None:
        detail = (await resp.text())[:300]
        reason = f"HTTP {resp.status} {resp.method} {resp.url.path}: {detail}"
        if resp.status == 429 or resp.status >= 500:
            named = resp.status == 429 and "Retry-After" in resp.headers  # the connector often names no wait
            raise RetryLater(retry_after(resp.headers.get("Retry-After")), reason, rate_limited=named)
        if resp.status == 401 and authorized:  # again, right after a token fetched anew: this URL's refusal
            raise self.tokens.connector_refused(_service(str(resp.url)), reason)
        if resp.status == 401:  # no token sent (authentication off): the connector wants one
            raise RetryLater(5.0, reason)
        raise DeliveryFailed(reason, code=str(resp.status))


def _url(service_url: str, conversation_id: str, *parts: str) -> str:
    path = "/".join(quote(p, safe="") for p in (conversation_id, *parts))
    return f"{service_url.rstrip('/')}/v3/conversations/{path}"


def _service(url: str) -> str:
    """The service URL a Bot Connector call went to (a conversation's, or a region's)."""
    return url.split("/v3/", 1)[0]


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
