"""Bearer tokens for the Bot Connector, and the bot's credentials refused while serving.

Tokens come from botbuilder's credentials object (``MicrosoftAppCredentials``: MSAL asking Azure
AD with ``MicrosoftAppId`` and ``MicrosoftAppPassword``). Azure AD refusing them (the client
secret expired or rotated: ``invalid_client`` AADSTS7000215/7000222; the app unknown or disabled:
``unauthorized_client`` AADSTS700016/7000112; ``invalid_grant``; the tenant unknown) is not a
reply's fault and heals only when an operator acts, so it is :class:`ChannelDown`: the outbox
keeps every reply and tries one now and then. So is a Bot Connector 401 that comes again right
after a token fetched anew (``connector_refused``): the token is for an app the Azure Bot is not.
Network errors and Azure AD's 5xx stay :class:`RetryLater`. Each outage is one error of ours
naming the variables to fix (never the secret), ``failing`` tells ``/healthz`` until a call goes
through again, and that is one info line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.channels import ChannelDown, RetryLater
from bot.outbox import DOWN_FIRST, DOWN_MOST
from bot.store import iso, utc_now

log = logging.getLogger("decisionbot.teams")

TOKEN_TTL = 600.0  # seconds a token is reused before asking MSAL again (it caches too)

#: OAuth errors of Azure AD's token endpoint that refuse the bot's own credentials.
REFUSED = {"invalid_client", "unauthorized_client", "invalid_grant", "invalid_tenant"}
#: AADSTS codes saying the app id is not known (in that tenant), or the tenant is not.
APP_UNKNOWN = {"700016"}
TENANT_UNKNOWN = {"90002", "900023"}

_MSAL_ERROR = re.compile(r"error: (?P<error>[\w.-]+), error_description: (?P<description>.*)", re.DOTALL)
_AADSTS = re.compile(r"AADSTS(\d+)")


@dataclass(frozen=True)
class Refusal:
    kind: str  # secret, app, tenant (Azure AD) or connector (the Bot Connector's 401)
    error: str  # what was refused, for the log and /healthz: "invalid_client AADSTS7000215: ..."
    variables: tuple[str, ...]  # what to fix


def aad_refusal(exc: BaseException, tenant_id: str) -> Refusal | None:
    """What a failure of ``get_access_token`` says of the credentials, if it refuses them."""
    if isinstance(exc, ValueError) and tenant_id and "OIDC Discovery failed" in str(exc.__context__ or ""):
        # MSAL could not discover the tenant: a 4xx for a tenant Azure AD does not know
        return Refusal("tenant", "tenant not found", ("MicrosoftAppTenantId",))
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


class Tokens:
    """Bearer tokens for the connector from a botbuilder credentials object (None: auth off),
    and whether the credentials are refused now."""

    def __init__(self, credentials: Any | None, tenant_id: str = ""):
        self.credentials = credentials
        self.tenant_id = tenant_id
        self._token: str | None = None
        self._until = 0.0
        self.refusal: tuple[Refusal, str] | None = None  # refused since (iso); None while they work

    async def get(self) -> str | None:
        if self.credentials is None:
            return None
        if self._token is None or time.monotonic() > self._until:
            try:
                self._token = await asyncio.to_thread(self.credentials.get_access_token)
            except Exception as exc:  # MSAL and the network: try again later
                refusal = aad_refusal(exc, self.tenant_id)
                if refusal is None:
                    raise RetryLater(30.0, f"token: {exc}") from exc
                self._drop_client()  # the next try asks Azure AD, not MSAL's memory of this answer
                raise self.refused(refusal) from exc
            self._until = time.monotonic() + TOKEN_TTL
        return self._token

    def forget(self, fresh: bool = False) -> None:
        """Drop the token; ``fresh``: MSAL's copy too, so the next one is asked of Azure AD."""
        self._token = None
        if fresh:
            self._drop_client()

    def _drop_client(self) -> None:
        credentials: Any = self.credentials
        if getattr(credentials, "app", None) is not None:  # botbuilder's MSAL client, with its caches
            credentials.app = None

    def connector_refused(self, reason: str) -> ChannelDown:
        """The Bot Connector said 401 to a token just fetched anew."""
        variables = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId")
        self.forget(fresh=True)
        return self.refused(Refusal("connector", reason[:300], variables))

    def refused(self, refusal: Refusal) -> ChannelDown:
        """Note the refusal (one error line an outage, naming what to fix); the outbox's ChannelDown."""
        if self.refusal is None or self.refusal[0].kind != refusal.kind:
            self.refusal = (refusal, iso(utc_now()))
            told = texts.teams_credentials_refused(
                refusal.kind, refusal.error, refusal.variables, DOWN_FIRST, DOWN_MOST
            )
            log.error(told)
        return ChannelDown(f"{'token' if refusal.kind != 'connector' else 'connector'}: {refusal.error}")

    def accepted(self) -> None:
        """A call went through: the credentials work (again)."""
        if self.refusal is not None:
            self.refusal = None
            log.info(texts.teams_credentials_work_again())

    def failing(self) -> str | None:
        if self.refusal is None:
            return None
        refusal, since = self.refusal
        return texts.teams_failing(refusal.kind, refusal.error, refusal.variables, since)
