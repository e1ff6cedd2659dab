"""The bot's personal chat with one person, for :class:`bot.channels.teams_delivery.TeamsOutbound`:
which replies go there instead of the run's conversation, the chat created proactively
(``POST /v3/conversations``) the first time and remembered, a command's answer told there off the
outbox (``tell_alone``), and a reply delivered there noted as said there: the outbox's mark makes
its ``messages`` row name that chat (``teams:a:...``, as the answers typed there are stored), for
its person alone."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from functools import partial

from bot import texts
from bot.channels import DeliveryFailed
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.channels.said_alone import SaidAlone
from bot.channels.teams_connector import Connector
from bot.channels.teams_store import POST_REFUSED, Reference, TeamsStore
from bot.model import Actor, ConversationKey, Reply
from bot.outbox import Queued
from bot.store import group

log = logging.getLogger("decisionbot.teams")


class PersonalChats:
    """Personal chats: found, created, posted to outside the outbox, and what was said there kept."""

    store: TeamsStore
    connector: Connector
    clock: Callable[[], datetime]
    said: SaidAlone  # replies delivered to a personal chat, until the outbox asks (said_in)

    async def _to_personal_chat(self, reply: Reply, ref: Reference | None, run_base: str) -> Reference | None:
        """The personal chat a reply goes to instead of the run's conversation, or None: a reply
        for one person alone but an error; and any other reply to someone (a re-prompt, help, a
        correction's answer, an error about what they wrote), but a question, when they last wrote
        to the run from their personal chat, or never wrote and the run's latest question to them
        was sent there (an error: never wrote). Written to from the run's conversation, they are
        answered there, @mentioned: where they asked, as Slack shows its private errors in the
        thread (Teams has no message for one person alone there)."""
        to = reply.to
        if to is None or to.channel != acts.CHANNEL:
            return None
        if reply.private and reply.kind != "error":
            return await self._personal_chat(to, ref, run_base)
        if reply.kind in ("prompt", "notice"):  # a notice not private goes to the run's conversation
            return None
        spoke_in, asked_alone = self.store.heard_from(reply.run_id, to.id)
        if reply.private and spoke_in is None:  # an error for someone who never wrote to the run
            return await self._personal_chat(to, ref, run_base)
        if spoke_in is not None:
            key = ConversationKey.parse(spoke_in)
            there = self.store.reference(acts.base_of(key)) if key.channel == acts.CHANNEL and not key.thread else None
            if there is not None and there.conversation_type == "personal":
                return there
            return None
        return await self._personal_chat(to, ref, run_base) if asked_alone else None

    def _note_said(self, item: Queued, chat: Reference) -> None:
        """``item`` was delivered to the personal chat ``chat``: noted for the outbox's mark
        (``Channel.said_in``), which makes its row name the chat, private, as Slack's direct messages do."""
        self.said.note(item, str(acts.key_for(chat.conversation_id)))

    async def tell_alone(self, person: Actor, base: str, text: str, tries: int) -> bool:
        """``text`` for ``person`` alone, off the outbox (a command's answer asked in the
        conversation ``base``: their actions), in their personal chat, created the first time;
        429, 5xx and network errors tried again up to ``tries`` times. False when that chat could
        not be had, or the text not posted there (logged)."""
        chats: list[Reference] = []

        async def find() -> None:
            chats.append(await self._personal_chat(person, self.store.reference(base), base))

        if not await self.connector.retrying(find, tries, partial(texts.teams_personal_chat_failed, person.id)):
            return False
        chat = chats[0]
        bot = {"id": chat.bot_id, "name": chat.bot_name or ""}
        for activity in cards.text_messages(bot, chat.conversation_id, text):
            if not await self.connector.say(chat.service_url, chat.conversation_id, None, activity, tries):
                return False
        return True

    async def _personal_chat(self, person: Actor, ref: Reference | None, run_base: str) -> Reference:
        """The bot's 1:1 chat with ``person``; created through the connector the first time."""
        known = self.store.personal_chat(person.platform_id)
        found = self.store.reference(known) if known else None
        if found is not None:
            return found
        if ref is None:
            raise DeliveryFailed(texts.teams_no_reference(run_base))
        params = {
            "isGroup": False,
            "bot": {"id": ref.bot_id, "name": ref.bot_name or ""},
            "members": [{"id": person.platform_id}],
            "channelData": {"tenant": {"id": ref.tenant_id}},
            "tenantId": ref.tenant_id,
        }
        try:
            created = await self.connector.create_conversation(ref.service_url, params)
        except DeliveryFailed as exc:  # not installed for them (403): recorded, as their chat refusing a post is
            if exc.code in POST_REFUSED:
                await group.writable(self.store.db.conn, math.inf)
                self.store.refuse_personal_chat(person, exc.code, self.clock())
            raise
        if not created.get("id"):
            raise DeliveryFailed(f"POST /v3/conversations gave no conversation id: {created}")
        service_url = str(created.get("serviceUrl") or ref.service_url)
        chat = Reference(str(created["id"]), "personal", service_url, ref.tenant_id, ref.bot_id, ref.bot_name)
        reference = {
            "bot": {"id": ref.bot_id, "name": ref.bot_name},
            "user": {"id": person.platform_id, "name": person.name},
            "conversation": {"id": chat.conversation_id, "conversationType": "personal", "tenantId": ref.tenant_id},
            "channelId": "msteams",
            "serviceUrl": chat.service_url,
        }
        await group.writable(self.store.db.conn, math.inf)
        self.store.remember(chat, lambda: reference, [(person, None)], self.clock())
        return chat
