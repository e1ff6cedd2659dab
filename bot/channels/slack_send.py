"""Outbound Slack: where each queued reply goes, pacing per channel, and Slack's refusals
turned into the outbox's terms (see :mod:`bot.channels.slack_calls`).

Where a reply goes:
- a private prompt (an owner's step) goes to its addressee by direct message (opened at Slack's pace
  and kept: :mod:`bot.channels.slack_dms`); a person of another
  organization (Slack Connect) whose direct message Slack refuses is asked in the run's thread
  instead, mentioning them, from then on;
- a private error goes to its addressee as an ephemeral message in the run's thread, or by
  direct message when they last spoke to the run there;
- other replies addressed to someone (help, re-prompts, notes) follow where that person last
  spoke to the run (the thread or a direct message); prompts and everything else go to the
  run's thread;
- a run started in a bare channel (a trigger's route) has no thread yet: its first message is
  posted in the channel and becomes the thread's root (``slack_threads``); the rest follow it.

What Slack's answer to a post teaches the ledger, and a question answered before it reached Slack:
:mod:`bot.channels.slack_posted`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlite_utils import Database

from bot import texts
from bot.bounded import Bounded
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.said_alone import SaidAlone
from bot.channels.slack_calls import call, json_call, placed
from bot.channels.slack_dms import DirectMessages, is_dm
from bot.channels.slack_limits import Pacer
from bot.channels.slack_postable import Postable
from bot.channels.slack_posted import Posted, Target
from bot.channels.slack_side import SIDE_RETRY_FOR, TokenOutage
from bot.channels.slack_withdraw import slack_user
from bot.model import Reply
from bot.outbox import Queued
from bot.store import group
from bot.store import slack as store

log = logging.getLogger("decisionbot.slack")
#: How long the root of a run started by a slash command waits for its turn in its channel's
#: pacing at most (Slack shows an error when the command is not answered within 3 s).
ROOT_WAIT = 1.0
#: Seconds a root's post is given once Slack's ``Retry-After`` is waited out (a post takes ~0.1-0.3 s).
ROOT_CALL = 0.4


async def _not_moved(run_id: int, channel: str, thread_ts: str) -> bool:
    return False


class Poster(Posted):
    """Delivers the outbox's Slack replies (see the module's doc)."""

    def __init__(
        self,
        db: Database,
        client: AsyncWebClient,
        side: AsyncWebClient,
        clock: Callable[[], datetime],
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        pacer: Pacer | None = None,
    ):
        self.db = db
        self.client = client  # refusals raise: the outbox retries in order
        self.side = side  # updates and answers to commands, off the hot path: see slack_side
        self.side_retry_for = SIDE_RETRY_FOR
        self.side_token = TokenOutage(texts.slack_side_token_refused, texts.slack_side_token_works_again)
        self.clock = clock
        self.spawn = spawn
        #: Work a stopping server waits for, up to a call's timeout, before it closes its HTTP
        #: session: a root Slack posts late, to be taken back (see :meth:`spawn_to_finish`).
        self.finishing: set[asyncio.Future[Any]] = set()
        self.pacer = pacer or Pacer()
        self.dms = DirectMessages(db, client, clock)
        self.postable = Postable()  # which channels refuse the bot's posts, as its posts there taught
        self.said = SaidAlone()
        self._roots = 0
        #: Whether a Slack user's account is deactivated, as far as the channel knows (``users.info``,
        #: ``user_change``): Slack takes a post in their direct message all the same, read by nobody.
        self.deactivated: Callable[[str], bool] = lambda user: False
        #: Whether a Slack user is of another organization (Slack Connect), as far as the channel knows.
        self.external: Callable[[str], bool] = lambda user: False
        #: Slack refused a direct message to a user as ``user_disabled``: what the channel knows of them
        #: learns it, so that naming them again is refused at once, not after a day's cache.
        self.left: Callable[[str], None] = lambda user: None
        # people of another organization whose direct message Slack refused (lately: one forgotten is tried again)
        self._in_thread: Bounded[str, None] = Bounded()
        #: A run's thread refused as deleted (run, channel, thread): whether the run lives elsewhere now.
        self.thread_gone: Callable[[int, str, str], Awaitable[bool]] = _not_moved

    async def deliver(self, item: Queued) -> str | None:
        reply = item.reply
        if reply.conversation.channel != "slack":
            raise DeliveryFailed(f"not a Slack conversation: {reply.conversation}")
        try:
            target = await self.target(reply, item.id)
        except DeliveryFailed as exc:  # conversations.open refused: the person cannot be written to
            target = self._instead_of_dm(reply, exc)
        try:
            ts = await self._post(item, target)
        except DeliveryFailed as exc:
            if not target.ephemeral_to:
                self.postable.refused(target.channel, exc.code or str(exc))
            await self.dms.refused(target.channel, exc)
            if exc.code == "thread_not_found" and await self._moved(reply, target):
                raise RetryLater(0.0, texts.slack_thread_gone_retry(), attempt=False) from exc
            direct = bool(target.ephemeral_to) or target.channel != reply.conversation.conversation
            raise placed(exc, direct) from exc
        if not target.ephemeral_to:
            self.postable.works(target.channel)
        return ts

    async def _moved(self, reply: Reply, target: Target) -> bool:
        """A post refused as its thread is gone: whether the run lives elsewhere now (moved: see ``thread_gone``)."""
        if target.thread_ts is None or is_dm(target.channel):
            return False
        return await self.thread_gone(reply.run_id, target.channel, target.thread_ts)

    async def _post(self, item: Queued, target: Target) -> str | None:
        reply = item.reply
        if target.ephemeral_to:
            return await self._ephemeral(target, reply, item.id)
        user = slack_user(reply.to)
        mention = user if user and not is_dm(target.channel) and item.part == 0 else None
        payload = blocks.message(reply, item.id, mention, self._unnamed(reply))
        late = self._answered_already(item, payload)
        if late is not None:  # typed while it waited in the outbox: posted answered, no widgets
            payload = blocks.answered(payload["text"], late.user, late.text)
        wait = self.pacer.wait(target.channel, item.id)
        if wait > 0:
            if self.pacer.tell(target.channel):
                log.info(texts.slack_paced(target.channel))
            raise RetryLater(wait, "paced: about one message a second per channel", attempt=False)
        try:
            post = json_call(
                self.client, "chat.postMessage", channel=target.channel, thread_ts=target.thread_ts, **payload
            )
            sent = await call(post)
        except RetryLater as exc:
            if exc.rate_limited:
                self.pacer.hold(target.channel, exc.seconds)
                self._rate_limited("chat.postMessage", target.channel, exc.seconds)
            raise
        ts = str(sent["ts"])
        if self._requeued(item.id):  # its run moved while it was posted: taken back, its copy goes where it lives
            delete = partial(self.side.chat_delete, channel=target.channel, ts=ts)
            self.spawn(self.retried("chat.delete", delete, target.channel))
            raise RetryLater(0.0, texts.slack_requeued(), attempt=False)
        try:  # Slack has it: a ledger error from here on must not post it again
            await group.writable(self.db.conn, math.inf)  # what it teaches is kept, however long that takes
            self._remember(item, reply, target, ts, payload, answered=late)
            if late is None and "blocks" in payload:
                await self._answered_meanwhile(item, target.channel, ts, payload)
        except sqlite3.Error:
            log.exception(texts.slack_posted_not_remembered(item.id, target.channel, ts))
        for attachment in reply.attachments:  # a review's .ics: a file in the same thread
            self.upload_later(target.channel, target.thread_ts or ts, attachment)
        self._note_said(item, target)
        return ts

    def _requeued(self, message_id: int) -> bool:
        """Whether the reply was queued again elsewhere while it was posted (``outbox_rows.requeue``),
        or was a move's root another move replaced (``slack_move.rehome``)."""
        sql = "SELECT failed_at IS NOT NULL AND last_error IN (?, ?) FROM messages WHERE id = ?"
        row = self.db.conn.execute(sql, (texts.slack_requeued(), texts.slack_root_replaced(), message_id)).fetchone()
        return bool(row and row[0])

    def _unnamed(self, reply: Reply) -> frozenset[str]:
        return self.unnamed_of(reply.text, (reply.run_id,))

    def unnamed_of(self, text: str, run_ids: Sequence[int]) -> frozenset[str]:
        """The Slack user ids of the people the runs ``run_ids`` know only by them (their name was
        not found when they were named), when ``text`` may name one: shown as live mentions."""
        if not run_ids or not blocks.may_name_someone(text):
            return frozenset()
        marks = ", ".join("?" * len(run_ids))
        found = self.db.conn.execute(f"SELECT context FROM runs WHERE id IN ({marks})", tuple(run_ids)).fetchall()
        return frozenset(blocks.unnamed_in([json.loads(row[0]) for row in found]))

    def _instead_of_dm(self, reply: Reply, exc: DeliveryFailed) -> Target:
        """A person of another organization (Slack Connect) whose direct message Slack refuses is
        asked in the run's thread instead, mentioning them, from now on; anyone else's refusal is
        the reply's (given up, its run's facilitator told)."""
        user, thread = slack_user(reply.to), self._thread(reply)
        conv = reply.conversation.conversation
        if user is not None and exc.code == "user_disabled":
            self.left(user)
        if user is None or thread is None or is_dm(conv) or exc.code == "user_disabled" or not self.external(user):
            raise placed(exc, direct=True) from exc
        self._in_thread[user] = None
        log.info(texts.slack_asked_in_thread(user, exc.code or str(exc), reply.run_id))
        return Target(conv, thread)

    async def target(self, reply: Reply, ticket: int | None = None) -> Target:
        """Where ``reply`` goes (``ticket``: the outbox message, when a direct message is to open for it)."""
        conv = reply.conversation
        user = slack_user(reply.to)
        if user in self._in_thread and self._thread(reply) is not None:  # another organization's: no DM
            return Target(conv.conversation, self._thread(reply))
        if user and (reply.private or reply.kind not in ("prompt", "notice")):  # a notice: where it says
            by_dm = store.talks_by_dm(self.db.conn, reply.run_id, reply.to.id) if reply.to else False
            if reply.private and reply.kind == "error" and not by_dm and not is_dm(conv.conversation):
                return Target(conv.conversation, self._thread(reply), ephemeral_to=user)
            if reply.private or by_dm:
                return Target(await self.dm_channel(user, ticket), None)
        thread = self._thread(reply)
        root = thread is None and not is_dm(conv.conversation)
        return Target(conv.conversation, thread, becomes_root=root)

    def _thread(self, reply: Reply) -> str | None:
        if reply.conversation.thread or is_dm(reply.conversation.conversation):
            return reply.conversation.thread
        return store.run_thread(self.db.conn, reply.run_id, reply.conversation.conversation)

    async def dm_channel(self, user: str, ticket: int | None = None) -> str:
        """The direct message with Slack user ``user``, opened if need be (``ticket``: the outbox
        message it is for, held back until its turn to open; None: a click, see slack_dms)."""
        if self.deactivated(user):
            raise DeliveryFailed("user_disabled", code="user_disabled")
        return await self.dms.channel(user, ticket)

    def _rate_limited(self, method: str, where: str, seconds: float) -> None:
        if self.pacer.tell(f"429 {method}"):
            log.warning(texts.slack_call_rate_limited(method, where, seconds))

    async def _ephemeral(self, target: Target, reply: Reply, ticket: int) -> str | None:
        assert target.ephemeral_to is not None
        text = blocks.fit(blocks.live_people(blocks.escape(reply.text), self._unnamed(reply)), blocks.TEXT_LIMIT)
        try:
            ephemeral = json_call(
                self.client,
                "chat.postEphemeral",
                channel=target.channel,
                user=target.ephemeral_to,
                text=text,
                thread_ts=target.thread_ts,
            )
            sent = await call(ephemeral)
        except DeliveryFailed:  # not in that channel any more: tell them directly
            channel = await self.dm_channel(target.ephemeral_to, ticket)
            try:
                sent = await call(json_call(self.client, "chat.postMessage", channel=channel, text=text))
            except DeliveryFailed as exc:
                await self.dms.refused(channel, exc)
                raise
            return str(sent["ts"])
        return str(sent.get("message_ts") or "") or None

    def spawn_to_finish(self, work: Coroutine[Any, Any, Any]) -> None:
        """``work`` in the background, which a stopping server waits for (up to a call's timeout)
        before it closes its session: a root Slack answers for late is taken back even then."""
        task = asyncio.ensure_future(work)
        self.finishing.add(task)
        task.add_done_callback(self.finishing.discard)

    async def post_now(self, channel: str, text: str, until: float | None = None) -> str:
        """Post one message now (the root of a run started by a slash command, within Slack's 3 s);
        its ts. It takes its turn in the channel's pacing, waiting up to ``ROOT_WAIT`` for it, so a
        burst of starts is spread out and what follows in the channel is paced after it. A 429 is
        waited out (its ``Retry-After``) and the post made again when that ends before ``until``
        (the loop's time the answer is due by); with ``until``, a turn further off than ROOT_WAIT is
        not taken: RetryLater at once, as Slack would refuse the post (the caller starts the run
        without a root of its own: see ``slack_inbound``)."""
        self._roots -= 1
        ticket = self._roots  # its own: outbox ids are positive, and the next root takes the next
        wait = self.pacer.wait(channel, ticket)
        if wait > ROOT_WAIT and until is not None:  # a burst: it would go beyond Slack's pace, and be refused
            self.pacer.give_back(channel, ticket)
            raise RetryLater(wait, "paced: about one message a second per channel", attempt=False, rate_limited=True)
        if wait > 0:
            await asyncio.sleep(min(wait, ROOT_WAIT))
            self.pacer.forget(ticket)
        while True:
            try:
                sent = await call(json_call(self.client, "chat.postMessage", channel=channel, text=text))
            except RetryLater as exc:
                if not exc.rate_limited:
                    raise
                self.pacer.hold(channel, exc.seconds)
                if until is None or asyncio.get_running_loop().time() + exc.seconds + ROOT_CALL > until:
                    raise
                log.info(texts.slack_root_rate_limited(channel, exc.seconds))
                await asyncio.sleep(exc.seconds)
                continue
            return str(sent["ts"])
