"""The Slack channel's tokens refused while serving: the bot token (the outbox's replies, and the
calls beside it: side calls, Home tabs) and the app token of Socket Mode, and Socket Mode turned
off for the app. Each outage is one log line naming its variable, and one when Slack takes the
token again; meanwhile ``failing`` tells ``/healthz`` what waits (the outbox keeps the replies,
``ChannelDown``; Socket Mode asks again slowly)."""

from __future__ import annotations

import logging
import sqlite3

from bot import texts
from bot.channels import slack_lifecycle as lifecycle
from bot.channels.slack_side import TokenOutage, bot_token_refused
from bot.channels.slack_socket import SocketClient
from bot.outbox import DOWN_FIRST, DOWN_MOST
from bot.store import iso, utc_now

log = logging.getLogger("decisionbot.slack")


class TokenHealth:
    """Which of the Slack channel's tokens Slack refuses now, since when and why."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn  # the server's connection: the open runs' channels, told when the app is gone
        self.refused: dict[str, tuple[str, str]] = {}  # a token Slack refuses while serving: its error, since
        self.socket_off: str | None = None  # since when Slack has Socket Mode turned off for the app
        self.socket: SocketClient | None = None  # its retries, as the log lines tell them
        self.beside: dict[str, TokenOutage] = {}  # the bot token refused beside the outbox, by kind of call
        self.token_worked: str | None = None  # a reply delivered since a refusal beside: when (UTC ISO-8601)

    def failing(self) -> str | None:
        refused = {name: (error, since, ["replies"]) for name, (error, since) in self.refused.items()}
        if bot := bot_token_refused(self.refused.get("SLACK_BOT_TOKEN"), self.beside, self.token_worked):
            refused["SLACK_BOT_TOKEN"] = bot
        told = [texts.slack_failing(name, *state) for name, state in sorted(refused.items())]
        if self.socket_off is not None:
            told.append(texts.slack_socket_mode_off_failing(self.socket_off))
        return " ".join(told) or None

    def _refused(self, variable: str, error: str, told: str) -> None:
        if variable not in self.refused:  # one line an outage
            self.refused[variable] = (error, iso(utc_now()))
            log.error(told)

    def _accepted(self, variable: str, told: str) -> None:
        if self.refused.pop(variable, None) is not None:
            log.info(told)

    def bot_token_refused(self, reason: str) -> None:
        """A reply refused for the bot token: the outbox holds the channel's replies."""
        self._refused("SLACK_BOT_TOKEN", reason, texts.slack_bot_token_refused(reason, DOWN_FIRST, DOWN_MOST))

    def bot_token_works(self) -> None:
        """A reply delivered: the bot token works, and what was refused beside before is not failing."""
        self._accepted("SLACK_BOT_TOKEN", texts.slack_bot_token_works_again())
        if any(o.error for o in self.beside.values()):
            self.token_worked = iso(utc_now())

    def bot_token_gone(self, kind: str) -> None:
        """Slack says the app was uninstalled or its bot token revoked: failing at once, not at the next call."""
        channels = lifecycle.open_channels(self.conn)  # to invite the bot back to, once reinstalled
        self._refused("SLACK_BOT_TOKEN", kind, texts.slack_token_gone(kind, channels))

    def app_token_refused(self, error: str) -> None:
        assert self.socket is not None
        told = texts.slack_app_token_refused_serving(error, self.socket.retry_first, self.socket.retry_most)
        self._refused("SLACK_APP_TOKEN", error, told)

    def app_token_accepted(self) -> None:
        self._accepted("SLACK_APP_TOKEN", texts.slack_app_token_works_again())

    def socket_mode_off(self) -> None:
        if self.socket_off is None:  # one line an outage
            assert self.socket is not None
            self.socket_off = iso(utc_now())
            log.error(texts.slack_socket_mode_off(self.socket.retry_first, self.socket.retry_most))

    def socket_mode_on(self) -> None:
        if self.socket_off is not None:
            self.socket_off = None
            log.info(texts.slack_socket_mode_on_again())
