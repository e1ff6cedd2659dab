"""Socket Mode's connection: slack_sdk's client, but patient with a refused SLACK_APP_TOKEN and
with Slack out of reach (the network, Slack's edge down): slack_sdk tries again every 5 s and logged an
ERROR each time (and an INFO "Reconnecting..."), thousands an hour. This client says it once
(``Outage``: a warning when it starts, one at most a minute while it lasts, an info line when a
connection opens again) and quiets slack_sdk's own lines meanwhile.

Socket Mode turned off in the app's settings.

When Slack drops the websocket or asks for a new one, slack_sdk opens another connection
(``apps.connections.open``). Once the app-level token is revoked (or the app removed) that call is
refused, and slack_sdk asks again every 5 s, forever, logging its own errors that name no
setting. This client waits instead: a minute, then twice as long each time up to ten minutes,
and tells the channel (``refused``: our log line naming SLACK_APP_TOKEN, ``/healthz``) until Slack
takes the token again (``accepted``). Other failures go on as slack_sdk handles them.

Socket Mode turned off in the app's settings is Slack's ``disconnect`` with reason
``link_disabled``; slack_sdk takes it as any other ``disconnect`` and connects again at once,
and a connection Slack disables again as soon as it opens made that a loop of hundreds of
connections a second. This client waits as for a refused token (``turned_off``), and tells the
channel once a connection has stayed open ``settle`` seconds without another ``link_disabled``
(``turned_on``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import texts
from bot.channels import ChannelDown, RetryLater
from bot.channels.slack_calls import CREDENTIALS, api_error, refusal
from bot.errors import ConfigError
from bot.outbox import doubling

#: Seconds before Socket Mode asks Slack again for a connection after it refused the app token,
#: or said Socket Mode is turned off for the app (``link_disabled``), doubling up to RETRY_MOST.
RETRY_FIRST = 60.0
RETRY_MOST = 600.0
#: Seconds a connection opened after ``link_disabled`` stays open without another one before
#: Socket Mode counts as on again.
SETTLE = 5.0
#: Seconds between the warnings that Slack is still out of reach (the first is at once).
OUTAGE_REPEAT = 60.0
#: What a try to reach Slack fails with when the network or Slack's edge is down.
UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError)
#: How long the connection may stay down before /healthz lists Slack as failing (a reconnect, even
#: a few failed tries, is not an outage an operator is paged for).
DOWN_SHOWN = 60.0

#: A Socket Mode URL's one-time ticket: whoever holds an unspent one can open the app's connection
#: and read its events, so no log line carries it.
_TICKET = re.compile(r"(ticket=)[^&\s'\")]+")
#: slack_sdk's DEBUG lines that carry a whole frame: an envelope (its verification token,
#: response_url, what people wrote) or the bot's acknowledgement.
_FRAME = re.compile(r"(Received message \(type: \S+|Sending a message|Failed to send a message)\b.*", re.DOTALL)


def without_secrets(text: str) -> str:
    """``text`` (a failure, one of slack_sdk's log lines) without a Socket Mode ticket or a frame's payload."""
    text = _FRAME.sub(
        lambda m: (
            m.group(1)
            + (", its payload left out of the log)" if "(" in m.group(1) else " (its payload left out of the log)")
        ),
        text,
    )
    return _TICKET.sub(r"\1(left out)", text)


log = logging.getLogger("decisionbot.slack")


async def first_url(web_client: AsyncWebClient, app_token: str, within: float) -> str:
    """The first connection's URL, at start-up: a token Slack refuses (or any refusal no retry
    changes) stops the start naming SLACK_APP_TOKEN; Slack's passing failures (429 after its
    ``Retry-After``, 5xx, the network) are asked again for ``within`` seconds, then stop the start
    saying what failed, not blaming the token."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            opened = await web_client.apps_connections_open(app_token=app_token)
            return str(opened["url"])
        except SlackApiError as exc:
            passing = refusal(exc)
            if isinstance(passing, ChannelDown) or not isinstance(passing, RetryLater):
                raise ConfigError(texts.slack_app_token_refused(api_error(exc))) from exc
            failure, wait = api_error(exc), passing.seconds
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            failure, wait = type(exc).__name__, 1.0
        if loop.time() + wait > deadline:
            raise ConfigError(texts.slack_socket_open_failed(failure, within))
        await asyncio.sleep(wait)


class Outage:
    """Slack out of reach: one warning when it starts, then one at most every ``repeat`` seconds
    while the tries fail, and one info line when a connection opens again."""

    def __init__(self, every: Callable[[], float], repeat: float = OUTAGE_REPEAT):
        self.every, self.repeat = every, repeat  # every: how often slack_sdk tries again
        self.since: float | None = None
        self.told_at = 0.0
        self.tries = 0

    @property
    def on(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        now, failure = time.monotonic(), without_secrets(f"{type(exc).__name__}: {exc}")
        self.tries += 1
        if self.since is None:
            self.since = self.told_at = now
            log.warning(texts.slack_socket_out_of_reach(failure, self.every(), self.repeat))
        elif now - self.told_at >= self.repeat:
            self.told_at = now
            log.warning(texts.slack_socket_still_out_of_reach(failure, now - self.since, self.tries))

    def down_for(self) -> float:
        """Seconds the connection has been down (0 while it is up)."""
        return 0.0 if self.since is None else time.monotonic() - self.since

    def ended(self) -> None:
        if self.since is not None:
            log.info(texts.slack_socket_reached_again(time.monotonic() - self.since, self.tries))
            self.since, self.tries = None, 0


class _QuietWhileOut(logging.LoggerAdapter):  # type: ignore[type-arg]
    """slack_sdk's logger, its lines (an ERROR every 5 s, "Reconnecting...") DEBUG while Slack is
    out of reach: the Outage says it instead. At any level, no line carries a frame's payload or a
    connection's ticket (:func:`without_secrets`): ``--log-level debug`` logs no secret either."""

    def __init__(self, logger: logging.Logger, outage: Outage):
        super().__init__(logger, {})
        self.outage = outage

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str):
            msg = without_secrets(msg)
        fault = kwargs.pop("exc_info", None)
        if fault:  # logger.exception's traceback, kept, but scrubbed: it may repeat a URL and its ticket
            fault = sys.exc_info() if fault is True else fault
            error = fault if isinstance(fault, BaseException) else fault[1]
            if error is not None:
                msg = f"{msg}\n" + without_secrets("".join(traceback.format_exception(error)).rstrip())
        super().log(logging.DEBUG if self.outage.on else level, msg, *args, **kwargs)


class _TicketSpending:
    """The client's aiohttp session as slack_sdk uses it, but a handshake that fails spends its
    URL: slack_sdk's ``connect()`` tries a failed handshake again with the URL it had, every 5 s
    for good, and a Socket Mode URL is a ticket for one connection (Slack refuses it again), so
    one blip as the bot reconnected left it deaf. With the URL spent, the next try asks for a new one."""

    def __init__(self, session: aiohttp.ClientSession, client: SocketClient):
        self._session, self._client = session, client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def ws_connect(self, url: str, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
        try:
            return await self._session.ws_connect(url, **kwargs)
        except Exception as exc:
            self._client.wss_uri = None  # spent: slack_sdk asks apps.connections.open before its next try
            if isinstance(exc, UNREACHABLE):
                self._client.outage.failed(exc)
            raise


class SocketClient(SocketModeClient):
    def __init__(
        self,
        app_token: str,
        web_client: AsyncWebClient,
        refused: Callable[[str], None],
        accepted: Callable[[], None],
        turned_off: Callable[[], None],
        turned_on: Callable[[], None],
    ):
        self.outage = Outage(every=lambda: self.ping_interval)
        sdk_log = logging.getLogger("slack_sdk.socket_mode.aiohttp")
        super().__init__(app_token=app_token, web_client=web_client, logger=_QuietWhileOut(sdk_log, self.outage))  # type: ignore[arg-type]
        self.refused, self.accepted = refused, accepted
        self.turned_off, self.turned_on = turned_off, turned_on
        self.retry_first, self.retry_most, self.settle = RETRY_FIRST, RETRY_MOST, SETTLE
        self.disabled = 0  # link_disabled in a row

    @property  # type: ignore[override]
    def aiohttp_client_session(self) -> Any:  # slack_sdk's own, or the new one it makes once that closed
        return _TicketSpending(self._session, self)

    @aiohttp_client_session.setter
    def aiohttp_client_session(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def run_message_listeners(self, message: dict[str, Any], raw_message: str) -> None:
        if message.get("type") == "disconnect" and message.get("reason") == "link_disabled":
            await self._link_disabled()
            return  # not slack_sdk's way (a new connection at once)
        if message.get("type") == "hello":
            self.outage.ended()
        if message.get("type") == "hello" and self.disabled:
            asyncio.get_running_loop().call_later(self.settle, self._settled, self.disabled)
        if "envelope_id" in message and not isinstance(message.get("payload", {}), (dict, str)):
            await self._refuse_envelope(message["envelope_id"])
            return  # slack_sdk would log a ValueError's traceback, and leave it for Slack to send again
        await super().run_message_listeners(message, raw_message)

    async def _refuse_envelope(self, envelope_id: Any) -> None:
        """An envelope whose payload is no object: acknowledged (sent again, it would be no
        better), and the log says why, as for any malformed payload."""
        log.warning(texts.slack_refused_payload("envelope payload is not an object"))
        try:
            await self.send_socket_mode_response(SocketModeResponse(envelope_id))
        except (ConnectionError, aiohttp.ClientError) as exc:
            log.warning(texts.slack_socket_ack_lost(str(envelope_id), f"{type(exc).__name__}: {exc}"))

    async def _link_disabled(self) -> None:
        """Slack turned Socket Mode off for the app: this connection is closed, and the next is
        asked for after a wait (in ``issue_new_wss_url``), unless another reconnection is under way."""
        self.disabled += 1
        self.turned_off()
        if self.current_session is not None:
            await self.current_session.close()
        await self.connect_to_new_endpoint()

    def _settled(self, disabled: int) -> None:
        if self.disabled == disabled and not self.closed:  # no link_disabled since that hello
            self.disabled = 0
            self.turned_on()

    async def issue_new_wss_url(self) -> str:
        """A new connection's URL; while Slack refuses the token, asked again slowly, and asked for
        only after a wait while Slack has Socket Mode turned off (the wait is cut short by
        ``close``, which cancels the task waiting). Whatever leaves here (the URL, or another
        failure slack_sdk retries as usual) leaves slack_sdk's own reconnecting on."""
        tries = 0
        try:
            if self.disabled:
                self.auto_reconnect_enabled = False  # else its monitor logs "Reconnecting..." every 5 s
                await asyncio.sleep(doubling(self.disabled, self.retry_first, self.retry_most))
            while True:
                try:
                    opened = await self.web_client.apps_connections_open(app_token=self.app_token)
                except UNREACHABLE as exc:
                    self.outage.failed(exc)  # slack_sdk tries again (every 5 s), quietly meanwhile
                    raise
                except SlackApiError as exc:
                    error = api_error(exc)
                    if error == "ratelimited":  # as slack_sdk does
                        headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
                        wait = float(headers.get("retry-after") or 30)
                    elif error in CREDENTIALS:
                        tries += 1
                        self.refused(error)
                        wait = doubling(tries, self.retry_first, self.retry_most)
                        self.auto_reconnect_enabled = False  # else its monitor logs "Reconnecting..." every 5 s
                    else:
                        raise
                    await asyncio.sleep(wait)
                    continue
                self.accepted()  # (the channel says so only after a refusal, perhaps of an earlier call)
                return str(opened["url"])
        finally:
            self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
