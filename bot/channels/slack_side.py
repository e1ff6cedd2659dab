"""Slack calls made on the side of the outbox: a command's answer, a question redrawn once
answered or taken away, a file shared in a thread, a root taken back, a Home tab published. They are not queued in the
ledger, so they are retried here, in their own task: a 429 waits ``Retry-After`` (and holds the
channel in the pacing the outbox's posts take, so those wait too), a 5xx or a network error waits
a backoff, until ``SIDE_RETRY_FOR`` has passed. A post whose answer timed out or was cut off is
not made again (Slack may have taken it: it would show twice); a redraw or a deletion is. A
refusal for good (``channel_not_found``, a token refused, a file upload's bad request) is not
retried. What is given up is logged, as is a wait cut short by a stopping server (the call is
then not made); the bot token refused (revoked, the app uninstalled: every call fails alike) is
one warning an outage (:class:`TokenOutage`), not one a call, and one info line once a call goes
through again; ``/healthz`` says it meanwhile. The redraws of one message go out in the order they
were asked for (:class:`Redraws`): a later one (a moved question's, linking its new thread) is not
overtaken by an earlier one retried meanwhile, which it supersedes."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import texts
from bot.channels import ChannelDown, DeliveryFailed, RetryLater
from bot.channels.slack_blocks import TEXT_LIMIT, fit
from bot.channels.slack_calls import call, json_call
from bot.channels.slack_limits import Pacer
from bot.store import group_requests, iso, utc_now

log = logging.getLogger("decisionbot.slack")

#: How long a side call is retried. What it carries is for someone now (the answer to a command
#: they just typed, a question's widgets taken away once answered); ten minutes outlasts Slack's
#: rate-limit windows (a minute) and a short outage, while an answer arriving later than that
#: would surprise more than help (the person has asked again, or the outbox's own replies, kept
#: for a day, have moved the run on).
SIDE_RETRY_FOR = 600.0
#: The first wait before a retry, doubled after each refusal up to SIDE_BACKOFF_MOST; a 429
#: waits at least its ``Retry-After``, so a storm of ``Retry-After: 0`` does not spin.
SIDE_BACKOFF_FIRST = 0.5
SIDE_BACKOFF_MOST = 30.0

#: The side calls that change nothing more when made twice (a redraw, a deletion, a Home tab
#: published): retried also after a failure that leaves it unknown whether Slack took the first (a
#: timeout, a dropped answer).
IDEMPOTENT = frozenset({"chat.update", "chat.delete", "views.publish"})


def maybe_taken(exc: RetryLater) -> bool:
    """Whether Slack may have taken a call refused with ``exc``: its answer timed out or was cut
    off (a refused connection, or a connection that timed out, never reached Slack; nor did a 429)."""
    cause = exc.__cause__
    if isinstance(cause, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)):
        return False
    cut_off = (TimeoutError, aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError)
    return isinstance(cause, cut_off)


#: A call to make (again): a coroutine cannot be awaited twice, so each try makes a new one.
Request = Callable[[], Awaitable[AsyncSlackResponse]]


async def side_call(
    method: str,
    request: Request,
    pacer: Pacer,
    channel: str | None,
    retry_for: float = SIDE_RETRY_FOR,
    down: Callable[[ChannelDown], object] | None = None,
    wanted: Callable[[], bool] = lambda: True,
) -> bool:
    """Make ``request`` (Slack's ``method``, in ``channel``), retrying what Slack refused for now
    for ``retry_for`` seconds at most, while it is still ``wanted`` (a redraw superseded meanwhile is
    not made again: False); whether Slack took it (a refusal is logged; the token refused is told to
    ``down`` instead, when given, which says so once an outage)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + retry_for
    backoff = SIDE_BACKOFF_FIRST
    while True:
        try:
            await call(request())
            return True
        except ChannelDown as exc:  # the token refused: the outbox tells of it and holds its replies
            if down is not None:
                down(exc)
                return False
            refused: Exception = exc
        except RetryLater as exc:
            if method not in IDEMPOTENT and maybe_taken(exc):
                log.warning(texts.slack_side_call_failed(method, str(exc)))
                return False  # Slack may have taken it: a post made again would show twice
            if exc.rate_limited and channel:
                pacer.hold(channel, exc.seconds)
            wait = max(exc.seconds, backoff)
            if loop.time() + wait > deadline:
                refused = exc
            else:
                backoff = min(backoff * 2, SIDE_BACKOFF_MOST)
                try:
                    await asyncio.sleep(wait)
                except asyncio.CancelledError:
                    log.warning(texts.slack_side_call_stopped(method, str(exc)))
                    raise
                if not wanted():
                    return False  # superseded while it waited: what supersedes it goes instead
                continue
        except (DeliveryFailed, SlackClientError) as exc:  # (a file upload refused: SlackRequestError)
            refused = exc
        log.warning(texts.slack_side_call_failed(method, str(refused)))
        return False


@dataclass
class TokenOutage:
    """Slack refusing the bot token for one kind of call (the side calls; the Home tabs): since
    when and why, and how many calls were refused meanwhile. It says so itself: one warning an
    outage (``said``: of the call's method and Slack's error), not one a call, and one info line
    once a call goes through again (``said_again``: of the calls refused meanwhile)."""

    said: Callable[[str, str], str]
    said_again: Callable[[int], str]
    error: str | None = None
    since: str | None = None  # UTC ISO-8601
    missed: int = 0

    def refused(self, method: str, exc: ChannelDown) -> None:
        """A call (Slack's ``method``) refused for the token: said when it begins an outage."""
        self.missed += 1
        if self.error is None:
            self.error, self.since = exc.reason, iso(utc_now())
            log.warning(self.said(method, exc.reason))

    def works(self) -> None:
        """A call went through: the outage it ends said over, with the calls refused meanwhile."""
        if self.error is not None:
            log.info(self.said_again(self.missed))
            self.error, self.since, self.missed = None, None, 0


def bot_token_refused(
    outbox: tuple[str, str] | None, others: dict[str, TokenOutage], worked: str | None = None
) -> tuple[str, str, list[str]] | None:
    """Slack refusing the bot token as the calls taught: ``outbox``, the replies' (error, since);
    ``others``, the other kinds of call by name (``side``, ``home``), those refused before the token
    last ``worked`` (a reply delivered since) left out. Its first error, since when, and what waits
    meanwhile (``replies`` first); None while no call is refused."""
    found = [(outbox[1], outbox[0], "replies")] if outbox else []
    for what, o in others.items():
        if o.error is not None and o.since is not None and o.since > (worked or ""):
            found.append((o.since, o.error, what))
    if not found:
        return None
    since, error, _ = min(found)
    return error, since, [what for *_, what in found]


@dataclass
class _Redrawn:
    """The redraws under way of one message: one made at a time (``turn``), the number of the
    latest asked for, and how many are under way."""

    turn: asyncio.Lock
    latest: int = 0
    under_way: int = 0


class Redraws:
    """The redraws (``chat.update``) under way, per message: each made once the one asked for before
    it is done with (taken, given up or superseded), so that Slack shows the latest asked for; one
    superseded by a later one before it is made, or while it waits to be retried, is not made
    (again). A message is remembered only while redraws of it are under way."""

    def __init__(self) -> None:
        self.messages: dict[tuple[str, str], _Redrawn] = {}

    def ask(self, channel: str, ts: str) -> tuple[_Redrawn, int]:
        """A redraw of ``channel``/``ts`` asked for: its message's line, and its number in it."""
        line = self.messages.get((channel, ts))
        if line is None:
            line = self.messages[(channel, ts)] = _Redrawn(asyncio.Lock())
        line.latest += 1
        line.under_way += 1
        return line, line.latest

    def done(self, channel: str, ts: str, line: _Redrawn) -> None:
        line.under_way -= 1
        if not line.under_way:
            self.messages.pop((channel, ts), None)


class SideCalls:
    """The side calls of :class:`bot.channels.slack_send.Poster`, each in a task of its own
    (``spawn``) on the ``side`` client; ``side_retry_for``: how long each is retried."""

    side: AsyncWebClient
    pacer: Pacer
    spawn: Callable[[Coroutine[Any, Any, Any]], None]
    side_retry_for: float
    side_token: TokenOutage  # the bot token refused for these calls

    @cached_property
    def redraws(self) -> Redraws:
        return Redraws()

    def update_later(self, channel: str, ts: str, payload: dict[str, Any]) -> None:
        """Redraw message ``channel``/``ts`` as ``payload``, after the redraws of it asked for
        before (and instead of those not made yet: :class:`Redraws`)."""
        update = partial(json_call, self.side, "chat.update", channel=channel, ts=ts, **payload)
        self.spawn(self._redraw(channel, ts, update, *self.redraws.ask(channel, ts)))

    async def _redraw(self, channel: str, ts: str, update: Request, line: _Redrawn, number: int) -> bool:
        """Redraw ``number`` of a message, made in its turn unless a later one was asked for."""
        try:
            async with line.turn:
                if line.latest != number:
                    return False  # superseded before it went out

                def wanted() -> bool:
                    return line.latest == number

                return await self._side("chat.update", update, channel, wanted)
        finally:
            self.redraws.done(channel, ts, line)

    def upload_later(self, channel: str, thread_ts: str, attachment: dict[str, str]) -> None:
        """Share a file in a thread (files.getUploadURLExternal, the upload, files.completeUploadExternal).
        Best effort after the message it belongs to: a failure is logged, the file stays in the
        ledger (``decisionbot runs invite RUN``)."""
        request = partial(
            self.side.files_upload_v2,
            channel=channel,
            thread_ts=thread_ts,
            filename=attachment["filename"],
            title=attachment["filename"],
            content=attachment["content"],
        )
        self.spawn(self._side("files.upload", request, channel))

    def ephemeral_later(self, channel: str, user: str, mrkdwn: str | list[str], thread_ts: str | None = None) -> None:
        """Answer ``user`` privately (``mrkdwn``: anything people typed already escaped; a list:
        the parts of a long answer, see slack_blocks.mrkdwn_parts, posted in order)."""
        post = partial(json_call, self.side, "chat.postEphemeral", channel=channel, user=user, thread_ts=thread_ts)
        self.spawn(self._in_order("chat.postEphemeral", channel, mrkdwn, post))

    def say_later(self, channel: str, mrkdwn: str | list[str]) -> None:
        post = partial(json_call, self.side, "chat.postMessage", channel=channel)
        self.spawn(self._in_order("chat.postMessage", channel, mrkdwn, post))

    async def _in_order(
        self, method: str, channel: str, mrkdwn: str | list[str], post: Callable[..., Awaitable[AsyncSlackResponse]]
    ) -> None:
        """The parts one after the other, each retried until Slack takes it; the rest not at all
        once one is given up (they would read out of order, a part missing). A part too long for
        Slack (a note quoting a long answer) keeps its start and its end."""
        for part in [mrkdwn] if isinstance(mrkdwn, str) else mrkdwn:
            if not await self._side(method, partial(post, text=fit(part, TEXT_LIMIT)), channel):
                return

    async def _side(
        self, method: str, request: Request, channel: str, wanted: Callable[[], bool] = lambda: True
    ) -> bool:
        """A side call made for a request (a command's answer, a redraw) goes once what the request
        wrote is committed; not at all when it was lost (the request comes again). Retried while
        Slack refuses it for now (see :mod:`bot.channels.slack_side`); whether Slack took it."""
        try:
            await group_requests.request_stored()
        except sqlite3.Error:
            return False
        return await self.retried(method, request, channel, wanted)

    async def retried(
        self, method: str, request: Request, channel: str, wanted: Callable[[], bool] = lambda: True
    ) -> bool:
        """``request`` made now, retried while Slack refuses it for now and it is ``wanted``; whether
        Slack took it. The bot token refused is said once an outage, and its end once (see
        :class:`TokenOutage`)."""
        down = partial(self.side_token.refused, method)
        taken = await side_call(method, request, self.pacer, channel, self.side_retry_for, down, wanted)
        if taken:
            self.side_token.works()
        return taken
