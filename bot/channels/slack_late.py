"""Slack's ``response_url``: the outcome of a slash command that is not known within Slack's 3 s (a
start whose channel's pace is held by other starts, or whose thread's root Slack is slow to take;
any command waiting for the ledger's write lock) is told there once it is, instead of "no answer
in time" (or "the ledger is busy") for work that may still finish.

The command is answered within Slack's 3 s with its outcome when it is known by then, else with an
honest "working on it"; the work goes on (LATE_WITHIN at most, its wait for the ledger included),
and its outcome ("Started run #N", or the refusal and its fix) is posted to the command's
``response_url`` once what it wrote is committed (nothing is said that was not stored). Slack takes such a post for 30 minutes, 5 times.
The URL is a capability (whoever holds it may answer the person): it is never logged, and only one
on Slack's hosts (or, in tests, the fake Web API's of ``SLACK_API_URL``) is ever called; a command
without one answers within its 3 s as before. A post Slack answers 429 or 5xx, or that the network
loses, is made again (``POST_TRIES`` in all); one that cannot be made is one log line, and the run,
if started, is kept."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.slack_calls import CALL_TIMEOUT, header, retry_after
from bot.channels.slack_events import Answer
from bot.store import group_requests, write_lock

log = logging.getLogger("decisionbot.slack")
#: slack_sdk's webhook client logs the URL it posts to at DEBUG (and its retries at INFO): its
#: logger says nothing below WARNING, whatever the server's level.
hook_log = logging.getLogger("decisionbot.slack.response_url")
hook_log.setLevel(logging.WARNING)

#: Seconds a slash command answered "working on it" may take in all (its wait for the ledger's
#: write lock included), then it gives up as one that met no answer in time (a start's root taken
#: back if it comes later; nothing started).
LATE_WITHIN = 25.0
#: Posts to a response_url made at most (Slack answering 429 or 5xx, the network losing them).
POST_TRIES = 4
#: Seconds before the second post, doubled for each one after (a 429 waits its Retry-After).
POST_RETRY_FIRST = 1.0
#: The hosts Slack's response_urls are on (GovSlack's too), over HTTPS.
SLACK_HOOKS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, parts.hostname.lower(), port


class ResponseUrls:
    """Answers to slash commands told at their ``response_url`` (``spawn``: off the request)."""

    def __init__(self, session: aiohttp.ClientSession, api_url: str, spawn: Callable[[Coroutine[Any, Any, Any]], None]):
        self.session = session
        self.spawn = spawn
        self.origins = {("https", host, 443) for host in SLACK_HOOKS}
        fake = _origin(api_url)  # SLACK_API_URL's origin when it is not Slack's: a local fake in tests
        if fake is not None and fake[1] != "slack.com" and not fake[1].endswith(".slack.com"):
            self.origins.add(fake)

    def usable(self, url: str) -> bool:
        """Whether ``url`` is Slack's (on its hosts, or SLACK_API_URL's): no other is ever called."""
        return bool(url) and _origin(url) in self.origins

    async def in_time(self, work: asyncio.Future[Answer], url: str, user: str, until: float) -> Answer:
        """``work``'s answer when it comes by ``until`` (the loop's time); else "working on it",
        and its answer told at ``url`` once it comes."""
        try:
            return await asyncio.wait_for(asyncio.shield(work), max(0.0, until - asyncio.get_running_loop().time()))
        except TimeoutError:
            self.spawn(self._later(work, url, user))
            return Answer(body=blocks.ephemeral(texts.slack_working_on_it()))

    async def _later(self, work: asyncio.Future[Answer], url: str, user: str) -> None:
        """Tell ``work``'s outcome at ``url`` once what it wrote is committed (a lost commit: nothing
        was started, and it says so)."""
        try:
            answer = await work
            await group_requests.request_stored()
        except write_lock.LedgerBusy as exc:
            log.warning(texts.slack_command_ledger_busy(str(exc)))
            answer = Answer(body=blocks.ephemeral(texts.slack_ledger_busy()))
        except sqlite3.Error:  # its group lost (logged where it was): nothing of it kept
            answer = Answer(body=blocks.ephemeral(texts.slack_ledger_busy()))
        except Exception:
            log.exception(texts.slack_late_work_failed(user))
            answer = Answer(body=blocks.ephemeral(texts.slack_late_work_failed_told()))
        if answer.body is not None:  # (none: a repeat of a command carried out)
            await self.post(url, answer.body, user)

    async def post(self, url: str, body: dict[str, Any], user: str) -> bool:
        """POST ``body`` (an ephemeral answer) to ``url``, made again on 429, 5xx and network
        failures; whether Slack took it. One that cannot be made is logged, without its URL."""
        if not self.usable(url):  # (checked by the caller too: a foreign URL is never called)
            log.warning(texts.slack_late_answer_lost(user, "not a Slack response_url"))
            return False
        client = AsyncWebhookClient(
            url, timeout=int(CALL_TIMEOUT), session=self.session, logger=hook_log, retry_handlers=[]
        )
        payload = {"response_type": "ephemeral", **body}
        pause, problem = POST_RETRY_FIRST, ""
        for attempt in range(POST_TRIES):
            if attempt:
                await asyncio.sleep(pause)
                pause *= 2
            try:
                sent = await client.send_dict(payload)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                problem = type(exc).__name__
                continue
            if sent.status_code == 200:
                return True
            problem = f"HTTP {sent.status_code} {str(sent.body or '')[:80]}".strip()
            if sent.status_code == 429:
                pause = retry_after(header(sent.headers, "Retry-After"))
            elif sent.status_code < 500:  # expired_url, used_url, no_text: no retry changes it
                break
        log.warning(texts.slack_late_answer_lost(user, problem))
        return False
