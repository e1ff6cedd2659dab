"""Socket Mode's connection: slack_sdk's client, but patient with a refused SLACK_APP_TOKEN.

When Slack drops the websocket or asks for a new one, slack_sdk opens another connection
(``apps.connections.open``). Once the app-level token is revoked (or the app removed) that call is
refused, and slack_sdk asks again every 5 s, forever, logging its own errors that name no
setting. This client waits instead: a minute, then twice as long each time up to ten minutes,
and tells the channel (``refused``: our log line naming SLACK_APP_TOKEN, ``/healthz``) until Slack
takes the token again (``accepted``). Other failures go on as slack_sdk handles them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_calls import CREDENTIALS, api_error
from bot.outbox import doubling

#: Seconds before Socket Mode asks Slack again for a connection after it refused the app token,
#: doubling up to RETRY_MOST.
RETRY_FIRST = 60.0
RETRY_MOST = 600.0


class SocketClient(SocketModeClient):
    def __init__(
        self,
        app_token: str,
        web_client: AsyncWebClient,
        refused: Callable[[str], None],
        accepted: Callable[[], None],
    ):
        super().__init__(app_token=app_token, web_client=web_client)
        self.refused = refused
        self.accepted = accepted
        self.retry_first, self.retry_most = RETRY_FIRST, RETRY_MOST

    async def issue_new_wss_url(self) -> str:
        """A new connection's URL; while Slack refuses the token, asked again slowly (the wait is
        cut short by ``close``, which cancels the task waiting). Whatever leaves here (the URL, or
        another failure slack_sdk retries as usual) leaves slack_sdk's own reconnecting on."""
        tries = 0
        try:
            while True:
                try:
                    opened = await self.web_client.apps_connections_open(app_token=self.app_token)
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
