"""Slack's ``response_url``: what a slash command or a click did, told there when it is not known
within Slack's 3 s (a start whose channel's pace is held by other starts, or whose thread's root
Slack is slow to take; a command or a click waiting for the ledger's write lock, a backup holding
it), instead of "no answer in time", a 503 and Slack's red warning, for work that may still finish.

A command is answered within Slack's 3 s with its outcome when it is known by then, else with an
honest "working on it"; a click is acknowledged, and told "still saving your answer" at its
response_url (``replace_original`` false: the question stays as it is). The work goes on
(LATE_WITHIN at most, its wait for the ledger included), and once what it wrote is committed
(nothing is said that was not stored) its outcome is told there: "Started run #N", or the refusal
and its fix; a click's answer is shown by the question's usual redraw. Work that cannot be stored
(the ledger busy past LATE_WITHIN, its group commit lost, a failure) keeps nothing and says so: a
click's person is told to press again. A server stopping lets such work finish within
STOP_GRACE; what is still under way then is stopped, nothing of it kept, and its person told
so. What is told at a response_url is kept in the ledger as the outbox keeps a private reply
(``transcript.record_told``: delivered, or given up with why). Slack takes such a post for 30
minutes, 5 times.

The URL is a capability (whoever holds it may answer the person): it is never logged, and only one
on Slack's hosts (or, in tests, the fake Web API's of ``SLACK_API_URL``) is ever called; a command
or click without one answers within its 3 s as before (a click the ledger would not take: 503), but
a Home tab's click, which never has one, is told on the tab itself (:meth:`LateAnswers.home_click`). A
post Slack answers 429 or 5xx, or that the network loses, is made again (``POST_TRIES`` in all);
one that cannot be made is one log line, and the run, if started, is kept."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlite_utils import Database

from bot import texts
from bot.channels import STOP_GRACE, retry_after
from bot.channels import slack_blocks as blocks
from bot.channels import slack_messages as messages
from bot.channels.slack_calls import CALL_TIMEOUT, header
from bot.channels.slack_events import Answer, Clicked, as_dict
from bot.channels.slack_turns import NAME
from bot.model import ConversationKey
from bot.store import group, group_requests, kept_write, transcript, write_lock
from bot.store.transcript import Told

log = logging.getLogger("decisionbot.slack")
#: slack_sdk's webhook client logs the URL it posts to at DEBUG (and its retries at INFO): its
#: logger says nothing below WARNING, whatever the server's level.
hook_log = logging.getLogger("decisionbot.slack.response_url")
hook_log.setLevel(logging.WARNING)

#: Seconds of Slack's 3 s a click is given to be stored before it is acknowledged and its person
#: told "still saving" (a slash command: its own budget, ``slack_starts.SLASH_BUDGET``).
IN_TIME = 2.5
#: Seconds a slash command answered "working on it" (or a click "still saving") may take in all
#: (its wait for the ledger's write lock included), then it gives up as one that met no answer in
#: time (a start's root taken back if it comes later; nothing started, nothing kept).
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
    """Posts to Slack's ``response_url``s, those of Slack's hosts (or SLACK_API_URL's) alone."""

    def __init__(self, session: aiohttp.ClientSession, api_url: str):
        self.session = session
        self.origins = {("https", host, 443) for host in SLACK_HOOKS}
        fake = _origin(api_url)  # SLACK_API_URL's origin when it is not Slack's: a local fake in tests
        if fake is not None and fake[1] != "slack.com" and not fake[1].endswith(".slack.com"):
            self.origins.add(fake)

    def usable(self, url: str) -> bool:
        """Whether ``url`` is Slack's (on its hosts, or SLACK_API_URL's): no other is ever called."""
        return bool(url) and _origin(url) in self.origins

    async def post(self, url: str, body: dict[str, Any], user: str) -> tuple[int, str]:
        """POST ``body`` (an ephemeral answer) to ``url``, made again on 429, 5xx and network
        failures (``POST_TRIES`` in all); the posts made and, when Slack did not take it, why (""
        when it did). One that cannot be made is logged, without its URL."""
        if not self.usable(url):  # (checked by the caller too: a foreign URL is never called)
            log.warning(texts.slack_late_answer_lost(user, "not a Slack response_url"))
            return 0, "not a Slack response_url"
        client = AsyncWebhookClient(
            url, timeout=int(CALL_TIMEOUT), session=self.session, logger=hook_log, retry_handlers=[]
        )
        payload = {"response_type": "ephemeral", **body}
        pause, problem, attempt = POST_RETRY_FIRST, "", 0
        for attempt in range(1, POST_TRIES + 1):
            if attempt > 1:
                await asyncio.sleep(pause)
                pause *= 2
            try:
                sent = await client.send_dict(payload)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                problem = type(exc).__name__
                continue
            if sent.status_code == 200:
                return attempt, ""
            problem = f"HTTP {sent.status_code} {str(sent.body or '')[:80]}".strip()
            if sent.status_code == 429:
                pause = retry_after(header(sent.headers, "Retry-After"))
            elif sent.status_code < 500:  # expired_url, used_url, no_text: no retry changes it
                break
        log.warning(texts.slack_late_answer_lost(user, problem))
        return attempt, problem


def shown(payload: Mapping[str, Any], answer: str) -> str:
    """What a click stands for as its person saw it, as mrkdwn: its button's or option's label
    ("Act now"), else the answer (a person's live mention, a date)."""
    action = as_dict(payload["actions"][0])
    label = as_dict(action.get("text") or as_dict(action.get("selected_option")).get("text")).get("text")
    return blocks.answer_text(label if isinstance(label, str) and label.strip() else answer)


@dataclass
class Late:
    """Work answered within Slack's 3 s whose outcome may be told at ``url`` later: a slash
    command's, or a click's (``answer``: what it stands for, as mrkdwn; None for a command)."""

    url: str
    user: str
    channel: str
    thread: str | None = None
    run_id: int | None = None
    answer: str | None = None
    stored: bool = True  # False once nothing of it could be stored
    about: str = ""  # a command's delivery id: the run a start of it began is kept with what it is told

    def failed(self, command_text: str) -> Answer:
        """What its person is told when nothing of it could be stored."""
        self.stored = False
        if self.answer is None:
            return Answer(body=blocks.ephemeral(command_text))
        return Answer(body={"text": texts.slack_click_not_saved(self.answer)})

    def stopped(self) -> Answer:
        """What its person is told when the server stopped it (nothing of it kept)."""
        self.stored = False
        if self.answer is None:
            return Answer(body=blocks.ephemeral(texts.slack_late_stopped_told()))
        return Answer(body={"text": texts.slack_late_click_stopped_told(self.answer)})

    def told(self, text: str, kind: str, attempts: int, problem: str) -> Told:
        """What the ledger keeps of ``text`` told at its URL (``kind``: info, or error when what was
        asked was not done; ``problem``: why Slack did not take it, "" when it did)."""
        conversation = str(ConversationKey(NAME, self.channel, self.thread))
        about = {"via": "response_url", "about": "command" if self.answer is None else "click"}
        person = f"{NAME}:{self.user}"
        return Told(
            run_id=self.run_id,
            channel=NAME,
            conversation=conversation,
            actor_id=person,
            kind=kind,
            text=text,
            payload=about,
            attempts=attempts,
            problem=problem,
            started=self.about,
        )


class LateAnswers:
    """Slash commands and clicks answered in time, their outcome told at their response_url when
    it comes later (and kept in the ledger); at a stop, the work under way finished or told."""

    def __init__(self, urls: ResponseUrls, db: Database, clock: Callable[[], datetime]):
        self.urls, self.db, self.clock = urls, db, clock
        self.under_way: dict[asyncio.Task[Answer], Late] = {}  # the work, in time or late
        self.telling: set[asyncio.Task[None]] = set()

    async def command(
        self, command: messages.Slash, arrived: float, in_time: float, carry_out: Callable[[float], Awaitable[Answer]]
    ) -> Answer:
        """``carry_out(budget)``'s answer (``budget``: seconds from ``arrived``, the loop's time) when
        it comes within ``in_time``; else, when the command came with Slack's response_url, "working
        on it", the command given LATE_WITHIN in all (its wait for the ledger's write lock too) and
        its outcome told there. Without one, all within ``in_time``, as before."""
        if not self.urls.usable(command.response_url):
            return await carry_out(in_time)
        late = Late(command.response_url, command.user, command.channel, about=command.platform_id)
        work, answer = await self._in_time(late, partial(carry_out, LATE_WITHIN), arrived + in_time)
        if answer is not None:
            return answer
        self._spawn_tell(self._later(late, work))
        return Answer(body=blocks.ephemeral(texts.slack_working_on_it()))

    async def click(
        self, payload: Mapping[str, Any], click: Clicked, arrived: float, carry_out: Callable[[], Awaitable[None]]
    ) -> None:
        """A click's turn, acknowledged within IN_TIME of ``arrived``: stored by then, or "still
        saving" told at its response_url and the turn given LATE_WITHIN in all; not stored after all
        (nor by then), its person told there to press again. Without a response_url, as before
        (``LedgerBusy``: 503)."""
        url = str(payload.get("response_url") or "")
        if not self.urls.usable(url):
            return await carry_out()
        late = Late(url, click.user, click.channel, click.thread_ts, click.run_id, shown(payload, click.answer))

        async def turn() -> Answer:
            await carry_out()
            return Answer()

        work, answer = await self._in_time(late, turn, arrived + IN_TIME)
        if answer is None:
            self._spawn_tell(self._later(late, work, {"text": texts.slack_still_saving(late.answer or "")}))
        elif answer.body is not None:  # not stored: said at once (Slack shows nothing of a click's ack)
            self._spawn_tell(self._tell(late, answer.body))

    async def home_click(
        self,
        user: str,
        command: str,
        arrived: float,
        carry_out: Callable[[], Awaitable[None]],
        tell: Callable[[str], None],
    ) -> None:
        """A Home tab click (``command``: what it stands for, ``done A12``), which comes with no
        response_url: acknowledged within IN_TIME of ``arrived``; not stored by then, its person told
        on the tab itself (``tell``: a note published on top of it) "still saving", and the click
        given LATE_WITHIN in all; its answer then shown as the tab's usual redraw, or, stored after
        all not, "press it again" told there."""
        late = Late("", user, "", answer=command)

        async def turn() -> Answer:
            await carry_out()
            return Answer()

        work, answer = await self._in_time(late, turn, arrived + IN_TIME)
        if answer is None:
            tell(texts.home_still_saving(command))
            self._spawn_tell(self._home_later(late, work, tell))
        elif answer.body is not None:
            tell(texts.home_click_not_saved(command))

    async def _home_later(self, late: Late, work: asyncio.Task[Answer], tell: Callable[[str], None]) -> None:
        """A Home click's outcome on its tab once known: nothing to say once stored (the redraw says it)."""
        await asyncio.wait({work})
        if work.cancelled() or work.result().body is not None:
            command = late.answer or ""
            tell(texts.home_click_stopped(command) if work.cancelled() else texts.home_click_not_saved(command))

    async def _in_time(
        self, late: Late, work: Callable[[], Awaitable[Answer]], until: float
    ) -> tuple[asyncio.Task[Answer], Answer | None]:
        """Start ``work``; its outcome when it comes by ``until``, else None (it goes on)."""
        task = asyncio.ensure_future(self._outcome(late, work))
        self.under_way[task] = late
        task.add_done_callback(lambda done: self.under_way.pop(done, None))
        done, _ = await asyncio.wait({task}, timeout=max(0.0, until - asyncio.get_running_loop().time()))
        if not done:
            return task, None
        return task, late.stopped() if task.cancelled() else task.result()

    async def _outcome(self, late: Late, work: Callable[[], Awaitable[Answer]]) -> Answer:
        """``work``'s answer once what it wrote is committed; when nothing of it could be stored
        (the ledger busy past LATE_WITHIN, its commit lost, a failure), what its person is told.
        Its writes are its own (``track``): a failure or a stop takes them all back."""
        written = group_requests.track()
        write_lock.wait_for_lock_until(LATE_WITHIN)
        try:
            answer = await work()
            await group_requests.request_stored()
        except write_lock.LedgerBusy as exc:
            group.abandon(written, exc)
            command = late.answer is None
            log.warning(texts.slack_command_ledger_busy(str(exc)) if command else
                        texts.slack_click_ledger_busy(late.user, str(exc)))  # fmt: skip
            return late.failed(texts.slack_ledger_busy())
        except sqlite3.Error as exc:  # its group lost (logged where it was): nothing of it kept
            group.abandon(written, exc)
            return late.failed(texts.slack_ledger_busy())
        except Exception as exc:
            group.abandon(written, exc)
            log.exception(texts.slack_late_work_failed(late.user) if late.answer is None else
                          texts.slack_late_click_failed(late.user))  # fmt: skip
            return late.failed(texts.slack_late_work_failed_told())
        except BaseException as exc:  # stopped (see stop): nothing of it kept
            group.abandon(written, exc)
            raise
        return answer

    def _spawn_tell(self, telling: Coroutine[Any, Any, None]) -> None:
        """Tell off the request, in a context of its own: what it keeps is no request's (it is
        kept however the request's group fares, see ``kept_write``)."""
        task = asyncio.get_running_loop().create_task(telling, context=contextvars.Context())
        self.telling.add(task)
        task.add_done_callback(self.telling.discard)

    async def _later(self, late: Late, work: asyncio.Task[Answer], first: dict[str, Any] | None = None) -> None:
        """``first`` told at once (a click's "still saving"), then ``work``'s outcome once it comes
        (a click's answer stored: its question's redraw says it; a repeat of a command: nothing)."""
        if first is not None:
            await self._tell(late, first)
        await asyncio.wait({work})
        answer = late.stopped() if work.cancelled() else work.result()
        if answer.body is not None:
            await self._tell(late, answer.body)

    async def _tell(self, late: Late, body: dict[str, Any]) -> None:
        """``body`` posted at the URL (a click's: beside its question, never over it), and kept."""
        if late.answer is not None:
            body = {**body, "replace_original": False}
        kind = "info" if late.stored else "error"  # (as it stands now: the work may fail meanwhile)
        attempts, problem = await self.urls.post(late.url, body, late.user)
        told = late.told(str(body.get("text") or ""), kind, attempts, problem)
        try:
            await group.writable(self.db.conn)
            kept_write(self.db, partial(transcript.record_told, told=told, now=self.clock()))
        except sqlite3.Error as exc:
            log.warning(texts.slack_late_not_kept(f"{type(exc).__name__}: {exc}"))

    async def stop(self) -> None:
        """The work under way given STOP_GRACE to finish; what is still under way then is
        stopped (nothing of it kept) and its person told so; what is being told given as long."""
        if self.under_way:
            _, cut = await asyncio.wait(set(self.under_way), timeout=STOP_GRACE)
            for task in cut:
                log.warning(texts.slack_late_cut(self.under_way[task].user, STOP_GRACE))
                task.cancel()
            if cut:
                await asyncio.wait(cut)
        deadline = asyncio.get_running_loop().time() + STOP_GRACE
        await asyncio.sleep(0)  # (a click cut in its 3 s has its person told from its own task)
        while self.telling and (left := deadline - asyncio.get_running_loop().time()) > 0:
            await asyncio.wait(set(self.telling), timeout=left)
        for telling in list(self.telling):
            telling.cancel()
