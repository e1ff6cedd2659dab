"""The person picked in an Adaptive Card's people picker (an Azure AD object id, or a Teams user
id): someone the channel has seen, or a member of the conversation the Bot Connector describes,
asked once more after a refusal for now (a 429, a 5xx), so that a hiccup of Teams' is not the
picker's "I don't know '<id>'", one of their three misses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from bot import texts
from bot.channels import DeliveryFailed, RetryLater, Services
from bot.channels import teams_activities as acts
from bot.channels.teams_connector import Connector
from bot.channels.teams_posts import Card
from bot.channels.teams_store import TeamsStore
from bot.model import Actor
from bot.store import group

log = logging.getLogger("decisionbot.teams")

#: The longest wait before asking the connector again for a person picked in a card (of Teams' 15 s).
MEMBER_RETRY_MOST = 2.0


async def people_in(
    store: TeamsStore,
    connector: Connector,
    services: Services,
    value: Mapping[str, Any],
    card: Card,
    inbound: acts.Inbound,
) -> dict[str, Actor]:
    """The person a people picker returned, by the value picked: someone seen, or a member the
    connector knows (remembered as picked in this conversation); nobody when neither."""
    picked = str(value.get("answer") or "").strip()
    if (card.expects or {}).get("type") != "person" or not picked:
        return {}
    found = store.person(picked)
    if found is None:
        with contextlib.suppress(RetryLater, DeliveryFailed):
            member = await _member(connector, inbound, picked)
            if member.get("id"):
                found = acts.actor(member)
                ref = store.reference(inbound.base_id)
                if ref is not None:
                    await group.writable(services.db.conn)
                    now = services.dispatcher.clock()
                    picked_by = frozenset({found.platform_id})  # picked here: this chat is not theirs
                    store.remember(ref, lambda: {}, [(found, member.get("aadObjectId"))], now, mentioned=picked_by)
    return {picked: found} if found else {}


async def _member(connector: Connector, inbound: acts.Inbound, picked: str) -> dict[str, Any]:
    """The connector's member ``picked``, asked once more after a refusal for now; logged when it
    fails again."""
    try:
        return await connector.member(inbound.service_url, inbound.base_id, picked)
    except RetryLater as exc:
        await asyncio.sleep(min(max(exc.seconds, 0.5), MEMBER_RETRY_MOST))
    try:
        return await connector.member(inbound.service_url, inbound.base_id, picked)
    except RetryLater as exc:
        log.warning(texts.teams_member_lookup_failed(picked, exc.reason))
        raise
