"""Whether a Slack channel takes the bot's posts, as far as its latest posts taught: the roots of
``/decision start`` under way there, and a refusal for good learnt there lately (the bot not in it,
the channel gone or archived, posting restricted).

A start that cannot post its own root (a burst: the channel's pacing foresees Slack's 429) would
start its run in the channel itself, its first question becoming its thread's root later. It asks
this first: a refusal for good learnt there, or learnt by the roots under way there (waited on,
within the command's 3 s), refuses it too, with the same answer as theirs; nothing is started. A
post that goes through, a root or a reply, says the channel takes them again (the bot invited).

:func:`asked` asks Slack itself (``conversations.info``): the check of the channels routes name
(:mod:`bot.triggers.route_channels`), and of a channel Slack says the bot lost before its runs are
told (:mod:`bot.channels.slack_lifecycle`: the event may come after the bot's return)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels import DeliveryFailed
from bot.channels.slack_calls import call, placed

#: Refusals of a post that say the channel takes none of the bot's posts until someone acts.
CLOSED = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})
#: Seconds a refusal for good is trusted without a post to check it (the bot may be invited since,
#: and Slack's ``member_joined_channel`` may not reach the app).
REFUSAL_KEPT = 60.0
#: Channels whose refusal is kept at most; beyond, those older than REFUSAL_KEPT are forgotten.
KEPT_AT_MOST = 1_000


class Postable:
    """The roots under way per channel, and the refusals for good learnt lately."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._underway: dict[str, set[asyncio.Future[str]]] = {}
        self._refused: dict[str, tuple[str, float]] = {}  # channel -> (Slack's code, when learnt)
        self.takes: Callable[[str], None] = lambda channel: None  # told each time a channel takes posts
        self.refuses: Callable[[str, str], None] = lambda channel, code: None  # ... refuses them (Slack's code)

    def track(self, channel: str, posting: asyncio.Future[str]) -> None:
        """A root being posted in ``channel``: what Slack answers it is learnt, and waited on."""
        self._underway.setdefault(channel, set()).add(posting)
        posting.add_done_callback(partial(self._settled, channel))

    def _settled(self, channel: str, posting: asyncio.Future[str]) -> None:
        underway = self._underway.get(channel, set())
        underway.discard(posting)
        if not underway:
            self._underway.pop(channel, None)
        if posting.cancelled():
            return
        exc = posting.exception()
        if exc is None:
            self.works(channel)
        elif isinstance(exc, DeliveryFailed):
            self.refused(channel, exc.code or str(exc))

    def works(self, channel: str) -> None:
        """A post went through in ``channel`` (or Slack says it takes them): it takes the bot's posts."""
        self._refused.pop(channel, None)
        self.takes(channel)

    def refused(self, channel: str, code: str) -> None:
        """Slack refused a post in ``channel`` with ``code``: kept when it refuses the channel itself."""
        if code not in CLOSED:
            return
        now = self.clock()
        if len(self._refused) >= KEPT_AT_MOST:
            self._refused = {k: v for k, v in self._refused.items() if now - v[1] < REFUSAL_KEPT}
        self._refused[channel] = (code, now)
        self.refuses(channel, code)

    def known(self, channel: str) -> str | None:
        """Slack's code for a refusal for good learnt lately in ``channel``; None: none known."""
        found = self._refused.get(channel)
        if found is None or self.clock() - found[1] >= REFUSAL_KEPT:
            return None
        return found[0]

    async def refusal(self, channel: str, timeout: float) -> str | None:
        """The refusal for good of ``channel``: known already, or learnt by a root under way there
        within ``timeout`` seconds; None when none is (a root went through meanwhile, or none is
        under way). TimeoutError: roots are still under way there, what Slack says of them unknown."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (code := self.known(channel)) is None and (underway := self._underway.get(channel)):
            left = deadline - asyncio.get_running_loop().time()
            done, _ = await asyncio.wait(set(underway), timeout=max(0.0, left), return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise TimeoutError(f"the posts under way in {channel} are not answered yet")
            if any(not f.cancelled() and f.exception() is None for f in done):
                return None  # one went through: the channel takes posts
        return code


async def asked(client: AsyncWebClient, channel: str, timeout: float | None = None) -> DeliveryFailed | None:
    """What Slack says now of the bot's posts in ``channel`` (``conversations.info``: a member, not
    archived): the refusal a post there would meet (placed: why and the fix), or None when it takes
    them. Raises RetryLater (Slack out of reach, its rate limit, the token refused) or DeliveryFailed
    (a scope missing: ``channels:read`` for a public channel, ``groups:read`` a private one) when
    Slack cannot tell; ``timeout``: seconds Slack is given to answer (RetryLater after them)."""
    return (await described(client, channel, timeout))[0]


async def described(
    client: AsyncWebClient, channel: str, timeout: float | None = None
) -> tuple[DeliveryFailed | None, dict[str, Any]]:
    """:func:`asked`, with the channel as ``conversations.info`` describes it (its name, its
    workspace: ``context_team_id``); empty when Slack refused to describe it."""
    try:
        found = await call(client.conversations_info(channel=channel), timeout)
    except DeliveryFailed as exc:
        if exc.code not in CLOSED:
            raise
        return placed(exc, direct=False), {}
    info = found.get("channel") or {}
    code = "is_archived" if info.get("is_archived") else "not_in_channel" if info.get("is_member") is False else None
    return (None if code is None else placed(DeliveryFailed(code, code=code), direct=False)), info
