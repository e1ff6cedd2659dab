"""Delivering one queued reply to Teams (the outbox calls this through ``TeamsChannel.deliver``).

Where it goes:
- a reply for one person alone (``Reply.private``) goes to the bot's personal chat with them,
  created proactively (``POST /v3/conversations``) the first time and remembered; but an error
  about what they wrote (``This question is for ...``, a run that has ended) goes where they wrote
  (:mod:`bot.channels.teams_personal`; delivered there, its row names that chat, private);
- any other reply to one person but a question (a re-prompt, help, a correction's answer) goes
  where they last wrote to the run: there when it was that chat, to the run's thread when it was
  the thread (help typed in the thread is answered in it, even while their question waits in
  private); to that chat when they never wrote and the run's latest question to them was sent there;
- in a channel, a run lives in the reply chain of the bot's first message of that run: the first
  reply opens a new thread (``POST /v3/conversations`` with the channel), the rest reply in it (a run
  started in a reply chain holding none, a channel meeting's, replies there from the first);
- anywhere else, into the conversation, with an @mention of the person asked in group chats and
  channels.
Prompts that expect an answer go as Adaptive Cards and are remembered for the submit and the
update. The connector's refusals arrive as ``RetryLater`` / ``DeliveryFailed`` for the outbox.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from bot import texts
from bot.channels import DeliveryFailed, teams_stale
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.channels.said_alone import SaidAlone
from bot.channels.teams_connector import Connector
from bot.channels.teams_personal import PersonalChats
from bot.channels.teams_posts import Card
from bot.channels.teams_store import POST_REFUSED, REMOVED_WHY, Reference, TeamsStore
from bot.model import Actor, Reply, is_placeholder
from bot.outbox import Queued
from bot.store import group, group_requests, runs, transcript

log = logging.getLogger("decisionbot.teams")

#: Tries of a card update (showing an answer) refused for now (429, 5xx, network): with the
#: backoff between them, about half a minute, as a command's answer (``SAY_TRIES``).
UPDATE_TRIES = 4


class TeamsOutbound(PersonalChats):
    def __init__(
        self,
        store: TeamsStore,
        connector: Connector,
        clock: Callable[[], datetime],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ):
        self.store = store
        self.connector = connector
        self.clock = clock
        self.said = SaidAlone()
        self.spawn = spawn  # background work (card updates), awaited at the channel's stop
        self.takes: Callable[[str], None] = lambda conversation: None  # a post there went through
        self.refuses: Callable[[str, str], None] = lambda conversation, code: None  # ... refused (403, 404)
        self.moved: Callable[[int], None] = lambda run_id: None  # a run's thread gone: its questions asked again

    async def deliver(self, item: Queued) -> str:
        """Deliver ``item``; a refusal says what was refused (a personal chat with the person, the
        run's conversation, or the message) and why in plain words, for the facilitator's notice."""
        try:
            return await self._deliver(item)
        finally:
            if item.reply.kind == "summary":  # the run ended (however: chat, the CLI, another process)
                await self._close_cards_of(item.reply.run_id)
            elif item.reply.kind == "prompt" and item.part == 0:  # asked someone: maybe instead of another
                await self._close_unasked(item.reply.run_id)

    async def _close_cards_of(self, run_id: int) -> None:
        """A run that ended takes no more answers: its cards still open say so, as Slack takes its
        widgets away (a late submit is refused: teams_stale)."""
        run = runs.load_run(self.store.db.conn, run_id)
        if run is None or run.status not in runs.ENDED:
            return
        shown = cards.card_text(texts.teams_card_run_ended(run.status))
        await group.writable(self.store.db.conn, math.inf)
        for card in self.store.close_run_cards(run_id, self.clock()):
            self.spawn(self.replace_card(card, cards.closed_card(card.card, shown)))

    async def _close_unasked(self, run_id: int) -> None:
        """Cards of people the run no longer asks (their action given to someone else, their
        question handed on) say why and take no answer, as Slack redraws its questions: before,
        they kept asking until clicked."""
        conn = self.store.db.conn
        found = teams_stale.unasked(conn, self.store.open_cards(run_id))
        if found:
            await group.writable(conn, math.inf)
        for card, why in found:
            if self.store.close_card(card.message_id, self.clock()):
                self.spawn(self.replace_card(card, cards.closed_card(card.card, cards.card_text(why))))

    async def _deliver(self, item: Queued) -> str:
        reply = item.reply
        base = acts.base_of(reply.conversation)
        ref = self.store.reference(base)
        try:
            chat = await self._to_personal_chat(reply, ref, base)
        except DeliveryFailed as exc:  # no personal chat with them
            raise _placed(exc, "direct") from exc
        if chat is not None:
            try:
                posted = await self._post(item, chat, chat.conversation_id, base, mention=False)
            except DeliveryFailed as exc:  # their chat refuses the bot (403, 404), or this message (400, 413)
                if exc.code in POST_REFUSED:  # recorded as a channel's is: the ledger says why
                    await self._refused(chat.conversation_id, exc.code)
                raise _placed(exc, "direct" if exc.code in (None, "403", "404") else "message") from exc
            await self._taken(chat.conversation_id)
            self._note_said(item, chat)  # its row names that chat from its mark on, for them alone
            return posted
        try:
            posted = await self._to_conversation(item, ref, base)
        except DeliveryFailed as exc:
            if exc.plain is not None:  # said already (a conversation the bot was never told of)
                raise
            where = "conversation" if exc.code in (None, "403", "404") else "message"
            if exc.code in POST_REFUSED:  # recorded; the routes naming it say so at once
                await self._refused(base, exc.code)
            said = self.store.refusal(base) if where == "conversation" else None
            if said in REMOVED_WHY:  # Teams said why (the bot removed, the channel deleted): that, not a guess
                raise exc.placed(where, *texts.teams_route_refused(said)) from exc
            raise _placed(exc, where) from exc
        await self._taken(base)
        if ref is not None and ref.conversation_type == "personal":  # a run living in a personal chat
            self._note_said(item, ref)  # its rows are for that person alone, as a question asked there is
        return posted

    async def _refused(self, base: str, code: str) -> None:
        """A post in conversation ``base`` refused ``code``: the ledger records it (``refused``), so
        that ``/healthz`` says so after a restart too; told at once (the outbox goes on if the ledger
        cannot be written: its next refusal records it)."""
        with contextlib.suppress(sqlite3.Error):
            await group.writable(self.store.db.conn, math.inf)
            self.store.refuse_posts(base, code, self.clock())
        self.refuses(base, code)

    async def _taken(self, base: str) -> None:
        """A post in conversation ``base`` went through: whatever the ledger said of it is lifted."""
        if self.store.refusal(base) is not None:
            with contextlib.suppress(sqlite3.Error):
                await group.writable(self.store.db.conn, math.inf)
                self.store.takes_posts(base, self.clock())
        self.takes(base)

    async def _to_conversation(self, item: Queued, ref: Reference | None, base: str) -> str:
        reply = item.reply
        if ref is None:  # never told of it (no install, no message): no address to post to, Teams not asked
            raise DeliveryFailed(texts.teams_no_reference(base)).placed("conversation", *texts.teams_never_there())
        to = reply.to  # not the placeholder of a run nobody has taken: nobody to name
        mention = to is not None and to.channel == acts.CHANNEL and not is_placeholder(to.id)
        mention = mention and ref.conversation_type != "personal" and item.part == 0  # a reply in parts names once
        if reply.conversation.thread:
            return await self._post(item, ref, acts.conversation_id(reply.conversation), base, mention)
        if ref.conversation_type == "channel":
            root = self.store.thread_of(reply.run_id, base)
            if root is None:
                return await self._open_thread(item, ref, mention)
            try:
                return await self._post(item, ref, f"{base};messageid={root}", base, mention)
            except DeliveryFailed as exc:
                if exc.code != "404":
                    raise
            root = await self._thread_gone(reply.run_id, ref, root)
            return await self._post(item, ref, f"{base};messageid={root}", base, mention)
        return await self._post(item, ref, base, base, mention)

    async def _thread_gone(self, run_id: int, ref: Reference, old: str) -> str:
        """The run's thread refused a reply 404 (its root deleted), not the channel: the run goes on
        in a new thread, opened by a line saying so, as Slack's does; its root. A channel gone too
        refuses that post, and is recorded so."""
        base = ref.conversation_id
        log.warning(texts.teams_thread_gone(run_id, base, old))
        await group.writable(self.store.db.conn, math.inf)
        self.store.forget_thread(run_id, base, old)
        run = runs.load_run(self.store.db.conn, run_id)
        title = str(run.context.trigger.get("title") or run.flow_id) if run is not None else ""
        bot = {"id": ref.bot_id, "name": ref.bot_name or ""}
        said = cards.text_messages(bot, base, texts.teams_thread_moved(run_id, title))[0]
        root = await self._new_thread(ref, said)
        await group.writable(self.store.db.conn, math.inf)
        self.store.save_thread(run_id, base, root, self.clock())
        self.moved(run_id)
        return root

    def _named(self, reply: Reply) -> Reply:
        """A person given by bare id (a trigger's ``--facilitator 29:1abc``) is mentioned by the name
        Teams last told us: an ``<at>`` mention shows its text as typed, the raw id included."""
        to = reply.to
        if to is None or not to.id.startswith("teams:") or to.name not in (to.id, to.id.split(":", 1)[1]):
            return reply
        known = self.store.person(to.id.split(":", 1)[1])
        return replace(reply, to=Actor(to.id, known.name)) if known is not None else reply

    def _activity(
        self, item: Queued, ref: Reference, target: str, run_base: str, mention: bool
    ) -> tuple[dict[str, Any], bool]:
        """The reply as an activity; a question already answered (typed while its card waited in
        the outbox) goes out as its answered card: one call instead of a post and an update."""
        reply = self._named(item.reply) if mention else item.reply
        people = self.store.members(run_base) if (reply.expects or {}).get("type") == "person" else []
        bot = {"id": ref.bot_id, "name": ref.bot_name or ""}
        activity = cards.reply_activity(
            reply, bot=bot, conversation=target, message_id=item.id, mention=mention, people=people
        )
        attachments = activity.get("attachments") or []
        late = (
            transcript.answer_after(self.store.db.conn, reply.run_id, reply.step, reply.to.id, item.id)
            if attachments and reply.to
            else None
        )
        if late is not None:
            by, typed = late
            shown = cards.answer_display(None, reply.expects, typed)
            attachments[0] = {**attachments[0], "content": cards.answered_card(attachments[0]["content"], by, shown)}
        return activity, late is not None

    async def _post(self, item: Queued, ref: Reference, target: str, run_base: str, mention: bool) -> str:
        activity, answered = self._activity(item, ref, target, run_base, mention)
        activity_id = await self.connector.send(ref.service_url, target, activity)
        await group.writable(self.store.db.conn, math.inf)  # what it teaches is kept, the loop serving meanwhile
        card = self._remember_card(item, activity, ref.service_url, target, activity_id, answered)
        await self._answered_meanwhile(card)
        return activity_id

    async def _open_thread(self, item: Queued, ref: Reference, mention: bool) -> str:
        """The run's first message in a channel: a new post, whose replies hold the run."""
        activity, answered = self._activity(item, ref, ref.conversation_id, ref.conversation_id, mention)
        root = await self._new_thread(ref, activity)
        await group.writable(self.store.db.conn, math.inf)
        self.store.save_thread(item.reply.run_id, ref.conversation_id, root, self.clock())
        thread = f"{ref.conversation_id};messageid={root}"
        await self._answered_meanwhile(self._remember_card(item, activity, ref.service_url, thread, root, answered))
        return root

    async def _new_thread(self, ref: Reference, activity: dict[str, Any]) -> str:
        """Post ``activity`` as a new post of channel ``ref`` (``POST /v3/conversations``): its id,
        the root of its reply chain."""
        params = {
            "isGroup": True,
            "bot": {"id": ref.bot_id, "name": ref.bot_name or ""},
            "channelData": {"channel": {"id": ref.conversation_id}, "tenant": {"id": ref.tenant_id}},
            "tenantId": ref.tenant_id,
            "activity": activity,
        }
        created = await self.connector.create_conversation(ref.service_url, params)
        root = str(created.get("activityId") or acts.split_conversation(str(created.get("id") or ""))[1] or "")
        if not root:
            raise DeliveryFailed(f"POST /v3/conversations gave no thread id: {created}")
        return root

    def _remember_card(
        self,
        item: Queued,
        activity: dict[str, Any],
        service_url: str,
        conversation: str,
        activity_id: str,
        answered: bool,
    ) -> Card | None:
        """Store a sent card (to update it once answered); None when there is nothing to update."""
        attachments = activity.get("attachments") or []
        if not attachments or not activity_id:
            return None
        reply: Reply = item.reply
        card = Card(
            message_id=item.id,
            run_id=reply.run_id,
            step=reply.step,
            to_id=reply.to.id if reply.to else None,
            conversation_id=conversation,
            activity_id=activity_id,
            service_url=service_url,
            card=attachments[0]["content"],
            expects=reply.expects,
        )
        self.store.save_card(card, self.clock(), answered=answered)
        return None if answered else card

    async def _answered_meanwhile(self, card: Card | None) -> None:
        """A question answered (typed) before its card got out: show the card answered at once."""
        if card is None or card.to_id is None:
            return
        # an answer taken during the send is committed with its group first (its own turn could
        # not find this card, saved only now); a later answer finds the card and updates it
        with contextlib.suppress(sqlite3.Error):
            await group.settled(self.store.db.conn)
        late = transcript.answer_after(self.store.db.conn, card.run_id, card.step, card.to_id, card.message_id)
        if late is not None:
            await group.writable(self.store.db.conn, math.inf)
        if late is not None and self.store.close_card(card.message_id, self.clock()):
            by, typed = late
            await self.update_card(card, by, cards.answer_display(None, card.expects, typed))

    async def update_card(self, card: Card, by: str, shown: str) -> None:
        """Replace a prompt's card with its question and the answer, once the request that took the
        answer is committed (not when it was lost: it comes again); 429, 5xx and network errors are
        retried (``UPDATE_TRIES``), a last refusal is logged: the answer is stored either way."""
        await self.replace_card(card, cards.answered_card(card.card, by, shown))

    async def replace_card(self, card: Card, content: dict[str, Any]) -> None:
        """Replace a posted card with ``content``, as :meth:`update_card` does."""
        try:
            await group_requests.request_stored()
        except sqlite3.Error:
            return
        activity = {"type": "message", "attachments": [{"contentType": cards.CARD_TYPE, "content": content}]}
        await self.connector.retrying(
            partial(self.connector.update, card.service_url, card.conversation_id, card.activity_id, activity),
            UPDATE_TRIES,
            texts.teams_card_update_failed,
        )


def _placed(exc: DeliveryFailed, where: str) -> DeliveryFailed:
    return exc.placed(where, texts.teams_refusal(exc.code, where))
