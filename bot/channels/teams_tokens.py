"""Bearer tokens for the Bot Connector, and the bot's credentials refused while serving.

Tokens come from botbuilder's credentials object (``MicrosoftAppCredentials``: MSAL asking Azure
AD with ``MicrosoftAppId`` and ``MicrosoftAppPassword``). Azure AD refusing them (the client
secret expired or rotated: ``invalid_client`` AADSTS7000215/7000222; the app unknown or disabled:
``unauthorized_client`` AADSTS700016/7000112; ``invalid_grant``; the tenant unknown) is not a
reply's fault and heals only when an operator acts, so it is :class:`ChannelDown`: the outbox
keeps every reply and tries one now and then. So is a managed identity (``UserAssignedMSI``) the
host does not have. A Bot Connector 401 that comes again right after a token fetched anew
(``connector_refused``) is not: Azure AD accepted the credentials, and one conversation's service
URL refusing them says nothing of the others', so it is that reply's :class:`RetryLater` (its day
of retries counting) and one warning for that URL. Network errors, Azure AD's 5xx and a throttled
tenant discovery (429) stay :class:`RetryLater`. Each outage is one error of ours naming the
variables to fix (never the secret), ``failing`` tells ``/healthz`` until a call goes through
again, and that is one info line and ``on_accepted`` (the channel's outbox sender woken: it ends
its hold at once).

At start-up (:meth:`Tokens.check`) one token is asked and kept for the first reply: the same
refusals stop the start (a ConfigError naming the variables, as Slack's refused token does);
Azure AD unreachable, failing or slow is one warning, and the credentials are tried at the first
reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity, ManagedIdentityAppCredentials

from bot import texts
from bot.channels import ChannelDown, RetryLater
from bot.errors import ConfigError
from bot.outbox import DOWN_FIRST, DOWN_MOST
from bot.store import iso, utc_now

log = logging.getLogger("decisionbot.teams")

TOKEN_TTL = 600.0  # seconds a token is reused before asking MSAL again (it caches too)
WARN_EVERY = 3600.0  # seconds between warnings of one service URL's connector 401
#: Seconds the start-up waits for Azure AD's answer to the credentials before serving without it.
CHECK_TIMEOUT = 5.0

#: OAuth errors of Azure AD's token endpoint that refuse the bot's own credentials.
REFUSED = {"invalid_client", "unauthorized_client", "invalid_grant", "invalid_tenant"}
#: AADSTS codes saying the app id is not known (in that tenant), or the tenant is not.
APP_UNKNOWN = {"700016"}
TENANT_UNKNOWN = {"90002", "900023"}
#: HTTP statuses of MSAL's tenant discovery saying the tenant is not known (a 429 or a 408 does not).
DISCOVERY_UNKNOWN = {400, 404}
#: OAuth errors a managed identity endpoint (IMDS) answers for an identity the host does not have.
MSI_REFUSED = {"invalid_request", "invalid_client", "unauthorized_client", "invalid_grant", "access_denied"}
#: What a managed identity refused is fixed with.
MSI_VARIABLES = ("MicrosoftAppType", "MicrosoftAppId")

_MSAL_ERROR = re.compile(r"error: (?P<error>[\w.-]+), error_description: (?P<description>.*)", re.DOTALL)
_AADSTS = re.compile(r"AADSTS(\d+)")
_DISCOVERY = re.compile(r"OIDC Discovery failed on .*?HTTP status: (?P<status>\d+)", re.DOTALL)
_STATUS = re.compile(r"^\s*(\d{3})\b")  # App Service's identity endpoint: "400, No managed identity found ..."


class MsiRefused(Exception):
    """The managed identity endpoint answered an error, not a token (botbuilder's KeyError)."""

    def __init__(self, result: dict[str, Any]):
        self.error = str(result.get("error") or "")
        self.description = str(result.get("error_description") or "")
        super().__init__(f"{self.error}: {self.description}"[:300])


@dataclass(frozen=True)
class Refusal:
    kind: str  # secret, app, tenant (Azure AD) or connector (the Bot Connector's 401)
    error: str  # what was refused, for the log and /healthz: "invalid_client AADSTS7000215: ..."
    variables: tuple[str, ...]  # what to fix


def aad_refusal(exc: BaseException, tenant_id: str) -> Refusal | None:
    """What a failure of ``get_access_token`` says of the credentials, if it refuses them."""
    if isinstance(exc, MsiRefused):
        return msi_refusal(exc)
    discovery = _DISCOVERY.search(str(exc.__context__ or "")) if isinstance(exc, ValueError) and tenant_id else None
    if discovery is not None:  # MSAL could not discover the tenant: any 4xx, a throttle (429) too
        codes = set(_AADSTS.findall(str(exc.__context__)))
        if int(discovery["status"]) in DISCOVERY_UNKNOWN or codes & TENANT_UNKNOWN:
            return Refusal("tenant", "tenant not found", ("MicrosoftAppTenantId",))
        return None
    if not isinstance(exc, PermissionError):
        return None
    found = _MSAL_ERROR.search(str(exc))
    if found is None:
        return None
    error, description = found["error"], found["description"].split(" Trace ID:")[0].strip()
    code = _AADSTS.search(description)
    aadsts = code.group(1) if code else ""
    said = f"{error} {description[:200]}".strip()
    if aadsts in TENANT_UNKNOWN:
        return Refusal("tenant", said, ("MicrosoftAppTenantId",))
    if aadsts in APP_UNKNOWN:
        variables = ("MicrosoftAppId", "MicrosoftAppTenantId") if tenant_id else ("MicrosoftAppId",)
        return Refusal("app", said, (*variables, "MicrosoftAppPassword"))
    if error in REFUSED:
        return Refusal("secret", said, ("MicrosoftAppPassword",))
    return None


def msi_refusal(exc: MsiRefused) -> Refusal | None:
    """A managed identity endpoint's error: the identity refused (a 4xx: 400/404 the host does not
    have it, 401/403 the endpoint refused the request's header), or for now (408, 429, 5xx: the
    endpoint busy or failing)."""
    said = f"{exc.error} {exc.description[:200]}".strip()
    status = _STATUS.match(exc.description)
    if status is not None:  # App Service / Functions: the endpoint's own status first
        code = int(status.group(1))
        refused = 400 <= code < 500 and code not in (408, 429)
    else:  # a VM's IMDS: OAuth errors
        refused = exc.error in MSI_REFUSED
    return Refusal("identity", said, MSI_VARIABLES) if refused else None


async def bot_credentials(auth: Any, app_id: str) -> Any:
    """botbuilder's credentials for the bot's own calls (``MicrosoftAppCredentials``, or
    ``ManagedIdentityAppCredentials``), as its connector factory makes them for a turn."""
    claims = ClaimsIdentity(
        {AuthenticationConstants.AUDIENCE_CLAIM: app_id, AuthenticationConstants.APP_ID_CLAIM: app_id}, True
    )
    client = await auth.create_connector_factory(claims).create("https://smba.trafficmanager.net/", None)
    return client.config.credentials


class Tokens:
    """Bearer tokens for the connector from a botbuilder credentials object (None: auth off),
    and whether the credentials are refused now."""

    def __init__(
        self, credentials: Any | None, tenant_id: str = "", on_accepted: Callable[[], None] | None = None
    ) -> None:
        self.credentials = credentials
        self.tenant_id = tenant_id
        self.on_accepted = on_accepted  # the credentials work again: the channel's outbox may send
        self._token: str | None = None
        self._until = 0.0
        self.refusal: tuple[Refusal, str] | None = None  # refused since (iso); None while they work
        self.warned: dict[str, float] = {}  # service URL -> when its connector 401 was told (monotonic)
        self.msi = isinstance(credentials, ManagedIdentityAppCredentials)

    async def get(self) -> str | None:
        if self.credentials is None:
            return None
        if self._token is None or time.monotonic() > self._until:
            try:
                self._token = await asyncio.to_thread(self._fetch)
            except Exception as exc:  # MSAL and the network: try again later
                refusal = aad_refusal(exc, self.tenant_id)
                if refusal is None:
                    raise RetryLater(30.0, f"token: {exc}") from exc
                self._drop_client()  # the next try asks Azure AD, not MSAL's memory of this answer
                raise self.refused(refusal) from exc
            self._until = time.monotonic() + TOKEN_TTL
        return self._token

    async def check(self, timeout: float = CHECK_TIMEOUT) -> None:
        """At start-up: one token, kept for the first reply. Credentials refused (what ``get``
        holds the channel for) are a ConfigError naming what to fix: serve does not start. Azure
        AD (or the identity endpoint) unreachable, failing (5xx, 429) or silent for ``timeout``
        seconds: one warning, and the first reply tries them. Asked in a daemon thread of its own:
        an endpoint that never answers holds neither the start nor the process's exit."""
        if self.credentials is None:  # authentication off (DECISIONBOT_TEAMS=on): nothing to check
            return
        try:
            token = await asyncio.wait_for(_in_a_thread(self._fetch), timeout)
        except TimeoutError:  # its answer, when it comes, stays in MSAL's cache for the first reply
            log.warning(texts.teams_credentials_unchecked(self.msi, None, timeout))
            return
        except Exception as exc:
            self._drop_client()  # the first reply asks anew (not MSAL's memory of a refusal or a 5xx)
            refusal = aad_refusal(exc, self.tenant_id)
            if refusal is None:
                log.warning(texts.teams_credentials_unchecked(self.msi, f"{type(exc).__name__}: {exc}"[:300], timeout))
                return
            told = texts.teams_credentials_refused_at_start(refusal.kind, refusal.error, refusal.variables)
            raise ConfigError(told) from exc
        self._token, self._until = token, time.monotonic() + TOKEN_TTL

    def _fetch(self) -> str:
        credentials: Any = self.credentials
        try:
            return str(credentials.get_access_token())
        except KeyError:  # botbuilder's managed identity: MSAL answered an error, not a token; ask why
            app = getattr(credentials, "app", None) if self.msi else None
            if app is None:
                raise
            result = app.acquire_token_for_client(resource=credentials.oauth_scope)
            if "access_token" in result:  # it went through this time
                return str(result["access_token"])
            raise MsiRefused(result) from None

    def forget(self, fresh: bool = False) -> None:
        """Drop the token; ``fresh``: MSAL's copy too, so the next one is asked of Azure AD."""
        self._token = None
        if fresh:
            self._drop_client()

    def _drop_client(self) -> None:
        credentials: Any = self.credentials
        if getattr(credentials, "app", None) is not None:  # botbuilder's MSAL client, with its caches
            credentials.app = None
        if self.msi:  # its tokens are kept class-wide, not in the client: the next one is asked anew
            cache = ManagedIdentityAppCredentials.global_token_cache
            for token in list(cache.search(cache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(token)

    def connector_refused(self, service_url: str, reason: str) -> RetryLater:
        """The Bot Connector said 401 to a token just fetched anew: Azure AD took the credentials, so
        this reply (its conversation's service URL) is refused, not the channel. One warning a
        service URL an hour (other conversations there may work: this one's retries are not told)."""
        if self.msi:
            variables: tuple[str, ...] = ("MicrosoftAppId", "MicrosoftAppType", "MicrosoftAppTenantId")
        else:
            variables = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId")
        self.forget(fresh=True)
        now = time.monotonic()
        if now - self.warned.get(service_url, -WARN_EVERY) >= WARN_EVERY:
            if len(self.warned) >= 1000:  # a bound, not a memory of every service URL ever refused
                self.warned.clear()
            self.warned[service_url] = now
            log.warning(texts.teams_connector_refused(service_url, reason[:300], variables))
        return RetryLater(5.0, f"connector: {reason[:300]}")

    def refused(self, refusal: Refusal) -> ChannelDown:
        """Note the refusal (one error line an outage, naming what to fix); the outbox's ChannelDown."""
        if self.refusal is None or self.refusal[0].kind != refusal.kind:
            self.refusal = (refusal, iso(utc_now()))
            told = texts.teams_credentials_refused(
                refusal.kind, refusal.error, refusal.variables, DOWN_FIRST, DOWN_MOST
            )
            log.error(told)
        return ChannelDown(f"token: {refusal.error}")

    def accepted(self) -> None:
        """A call went through: the credentials work (again); the outbox's hold ends now."""
        if self.refusal is not None:
            self.refusal = None
            log.info(texts.teams_credentials_work_again())
            if self.on_accepted is not None:
                self.on_accepted()

    def failing(self) -> str | None:
        if self.refusal is None:
            return None
        refusal, since = self.refusal
        return texts.teams_failing(refusal.kind, refusal.error, refusal.variables, since)


def _in_a_thread(fetch: Callable[[], str]) -> asyncio.Future[str]:
    """``fetch()`` in a daemon thread, as a future of the running loop (the default executor's
    threads are waited for at exit: a login endpoint that never answers would hold it)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
            loop.call_soon_threadsafe(lambda: None if future.done() else outcome())  # done: timed out

    def run() -> None:
        try:
            token = fetch()
        except BaseException as exc:  # handed to the waiting start-up, as to_thread would
            settle(functools.partial(future.set_exception, exc))  # (exc is unbound after the except)
        else:
            settle(functools.partial(future.set_result, token))

    threading.Thread(target=run, name="teams-credentials-check", daemon=True).start()
    return future
