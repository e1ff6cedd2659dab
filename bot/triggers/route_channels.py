"""The channels routes name (``routes.yaml``, ``DECISIONBOT_DEFAULT_CHANNEL``), checked once at
``serve``'s start-up, in the background (readiness does not wait for it): one each platform can
tell of (``Channel.post_problem``: Slack's ``conversations.info``) that the bot cannot post in
(not a member, archived, gone) is one warning per route naming it, the channel and the fix, and is
listed in ``/healthz`` (``routes_refused``); a platform that cannot be asked (a scope missing,
out of reach) is one info line, and nothing more is checked on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping

from bot import texts
from bot.channels import Channel, DeliveryFailed, RetryLater
from bot.model import ConversationKey
from bot.triggers import parse_channel
from bot.triggers.router import Router

log = logging.getLogger("decisionbot.triggers")

#: Seconds a check waits out the platform's rate limit at most before it stops asking.
RATE_WAIT_AT_MOST = 30.0


def named(router: Router) -> Iterator[tuple[str, str, ConversationKey]]:
    """Each route naming a channel, with the default route's: (route, as named, conversation)."""
    for route in [*router.routes(), router.default()]:
        if route.channel:
            try:
                yield route.name, route.channel, parse_channel(route.channel)
            except ValueError:  # refused at load (routes validate names it): not this check's
                continue


async def check(router: Router, channels: Mapping[str, Channel]) -> dict[str, str]:
    """Every route's channel asked once of its platform, as served: route -> why the bot cannot
    post there (each logged, with the fix)."""
    refused: dict[str, str] = {}
    asked: dict[ConversationKey, DeliveryFailed | None] = {}
    unreachable: set[str] = set()  # platforms that cannot be asked: said once, not asked again
    for route, spec, conversation in named(router):
        channel = channels.get(conversation.channel)
        if channel is None or conversation.channel in unreachable:
            continue
        where = ConversationKey(conversation.channel, conversation.conversation)
        if where not in asked:
            try:
                asked[where] = await _ask(channel, where)
            except (RetryLater, DeliveryFailed) as exc:
                unreachable.add(conversation.channel)
                log.info(texts.route_channels_unchecked(conversation.channel, str(exc)))
                continue
        problem = asked[where]
        if problem is not None:
            plain = problem.plain or str(problem)
            log.warning(texts.route_channel_refused(route, spec, plain, problem.remedy))
            refused[route] = f"{spec}: {plain}"
    return refused


async def _ask(channel: Channel, conversation: ConversationKey) -> DeliveryFailed | None:
    """The platform's answer, its rate limit waited out (RATE_WAIT_AT_MOST in all)."""
    waited = 0.0
    while True:
        try:
            return await channel.post_problem(conversation)
        except RetryLater as exc:
            if not exc.rate_limited or waited + exc.seconds > RATE_WAIT_AT_MOST:
                raise
            waited += exc.seconds
            await asyncio.sleep(exc.seconds)
