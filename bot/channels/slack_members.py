"""Who of a started run's people cannot see it: the participants a ``/decision start`` (typed, or
chosen on the form) names who are not members of the run's channel, told to its facilitator
privately once the run started (once a start: a repeat of the command starts nothing), with the
fix: invite them, or they answer only what the flow asks them directly, by direct message. A
facilitator not in the channel either (a form sent from the Home tab) is told by direct message.

Slack says who is in a channel with ``conversations.members`` (``channels:read`` for a public
channel, ``groups:read`` a private one), a page at a time: asked off the start's path, after it,
and no further than the page where the last of the people is found. In the bot's own direct
message nobody else can be, and no call is made. A refusal (a scope missing, Slack's rate limit,
the bot not in the channel) or Slack out of reach never touches the run: one log line, no warning."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from slack_sdk.web.async_client import AsyncWebClient

from bot import texts
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.slack_calls import call
from bot.channels.slack_dms import is_dm
from bot.channels.slack_send import Poster
from bot.model import Actor

log = logging.getLogger("decisionbot.slack")

#: Members asked for per page (Slack's most is 1,000; it may give fewer).
PAGE = 1000
#: Pages read at most: a channel larger than that (and the people not found in it) is not judged.
PAGES_AT_MOST = 20
#: Seconds Slack is given to answer each page.
PAGE_WITHIN = 5.0


class TooMany(Exception):
    """The channel has more members than PAGES_AT_MOST pages: not read to its end."""


def participants(mentions: Mapping[str, Actor], others: Mapping[str, str], user: str, bot: str | None) -> list[Actor]:
    """The people a start names (``mentions``; not what names no one person, ``others``), each
    once, but its writer (``user``, the facilitator) and the bot."""
    found: dict[str, Actor] = {}
    for word, actor in mentions.items():
        if word not in others and actor.channel == "slack" and actor.platform_id not in (user, bot):
            found.setdefault(actor.platform_id, actor)
    return list(found.values())


async def members_among(client: AsyncWebClient, channel: str, wanted: Iterable[str]) -> set[str]:
    """Which of ``wanted`` (user ids) are members of ``channel``: its member list read a page at a
    time until all are found or the list ends. Raises RetryLater or DeliveryFailed (Slack's
    refusal, as :func:`bot.channels.slack_calls.call` says it) and :class:`TooMany`."""
    looked_for = set(wanted)
    found: set[str] = set()
    cursor: str | None = None
    for _ in range(PAGES_AT_MOST):
        page = await call(client.conversations_members(channel=channel, limit=PAGE, cursor=cursor), PAGE_WITHIN)
        found |= looked_for & {str(member) for member in page.get("members") or ()}
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if found == looked_for or cursor is None:
            return found
    raise TooMany(f"more than {PAGES_AT_MOST * PAGE} members")


async def warn_absent(
    poster: Poster, run_id: int, channel: str, user: str, thread: str | None, people: list[Actor]
) -> None:
    """Tell ``user`` (who started run ``run_id`` in ``channel``, its thread ``thread``) privately which
    of ``people`` are not in the channel, if any (said once the start is committed): in the run's
    thread, or by direct message when ``user`` is not in the channel either (a form sent from the
    Home tab), where Slack would refuse a private message to them."""
    if is_dm(channel):  # the bot's direct message with its writer: nobody else is in it
        absent, there = people, True
    else:
        try:
            present = await members_among(poster.side, channel, [user, *(p.platform_id for p in people)])
        except (RetryLater, DeliveryFailed, TooMany) as exc:
            error = exc.code or str(exc) if isinstance(exc, DeliveryFailed) else str(exc)
            log.info(texts.slack_members_unknown(run_id, channel, error))
            return
        absent, there = [p for p in people if p.platform_id not in present], user in present
    if not absent:
        return
    named = [blocks.mention(p.platform_id) for p in absent]
    if there:
        poster.ephemeral_later(channel, user, texts.slack_people_not_in_channel(run_id, named, is_dm(channel)), thread)
        return
    try:
        direct = await poster.dm_channel(user)
    except (RetryLater, DeliveryFailed) as exc:
        log.info(texts.slack_members_untold(run_id, user, str(exc)))
        return
    where = blocks.channel_link(channel)
    poster.say_later(direct, texts.slack_people_not_in_channel(run_id, named, False, where))
