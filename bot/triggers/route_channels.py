"""The channels routes name (``routes.yaml``, ``DECISIONBOT_DEFAULT_CHANNEL``) and the checks of
``checks.yaml`` that name a channel of their own, checked at ``serve``'s start-up and again each
time either file changes (:func:`watch`), in the background (readiness does not wait for it): one
each platform can tell of (``Channel.post_problem``: Slack's ``conversations.info``; Teams: the ledger's
mark of a conversation Teams said the bot was removed from) that the bot
cannot post in (not a member, archived, gone) is one warning per route or check naming it, the
channel and the fix, and is listed in ``/healthz`` (``routes_refused``: replaced by each check, so
a route fixed in the file, or its channel fixed before the file changed, leaves it; one whose
platform could not be asked keeps what was known of it; one whose channel takes the bot's posts
since, the bot invited, the channel unarchived or a post there gone through, leaves it at once:
``Services.takes_posts``; one whose channel refuses them since, the bot removed, the channel
archived or a post there refused so, joins it at once, with its warning: ``Services.refuses_posts``);
a platform that cannot be asked (a scope missing, out of reach) is one info line a check, and
nothing more is asked of it that time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import texts
from bot.channels import Channel, DeliveryFailed, RetryLater
from bot.errors import ConfigError
from bot.model import ConversationKey
from bot.triggers import parse_channel
from bot.triggers.checks_file import Check
from bot.triggers.router import Router, Stamp

if TYPE_CHECKING:
    from bot.triggers.checks import CheckRunner

log = logging.getLogger("decisionbot.triggers")

#: Seconds a check waits out the platform's rate limit at most before it stops asking.
RATE_WAIT_AT_MOST = 30.0
#: Seconds between two looks at routes.yaml and checks.yaml for a change (a stat of each: ``CheckRunner.stamp``).
WATCH_EVERY = 1.0
#: The key of a check naming its own channel, in ``routes_refused`` (routes go by their names).
CHECK_KEY = "check:"


@dataclass
class Checked:
    """What one check found: route (or ``check:NAME``) -> why the bot cannot post there; and the
    routes whose platform could not be asked."""

    refused: dict[str, str] = field(default_factory=dict)
    unasked: set[str] = field(default_factory=set)
    named: dict[str, tuple[str, ConversationKey]] = field(default_factory=dict)  # each route's, as named


class Known:
    """What ``/healthz`` lists (``routes_refused``), given to ``tell`` at each change: what the
    checks found, less each route whose channel takes the bot's posts since (:meth:`takes_posts`:
    the bot invited, the channel unarchived, a post there gone through), with each route whose
    channel refuses them since (:meth:`refuses_posts`: the bot removed, archived), at once."""

    def __init__(self, tell: Callable[[dict[str, str]], None]) -> None:
        self.tell = tell
        self.refused: dict[str, tuple[str, ConversationKey]] = {}  # route -> why, its channel
        self.fixed: set[ConversationKey] | None = None  # while a check asks: the channels fixed meanwhile
        self.lost: set[ConversationKey] = set()  # ... and those lost meanwhile
        self.named: dict[str, tuple[str, ConversationKey]] = {}  # route -> its channel, as the last check found

    def checking(self) -> None:
        self.fixed, self.lost = set(), set()

    def checked(self, found: Checked | None) -> None:
        """A check's findings (None: it failed), the routes it did not ask keeping what was known;
        a refusal of a channel fixed while it asked is not kept, one of a channel lost meanwhile is."""
        fixed, self.fixed = self.fixed or set(), None
        if found is None:
            return
        kept = {r: known for r, known in self.refused.items() if r in found.unasked or known[1] in self.lost}
        new = {r: (why, found.named[r][1]) for r, why in found.refused.items() if found.named[r][1] not in fixed}
        self.refused = kept | new
        self.named = found.named
        self._tell()

    def takes_posts(self, platform: str, channel: str) -> None:
        """``platform``'s ``channel`` takes the bot's posts now: the routes naming it are fixed."""
        if not self.refused and self.fixed is None:  # (after every post: most often nothing to do)
            return
        where = ConversationKey(platform, channel)
        if self.fixed is not None:
            self.fixed.add(where)
            self.lost.discard(where)
        gone = [route for route, (_, found) in self.refused.items() if found == where]
        for route in gone:
            del self.refused[route]
        if gone:
            self._tell()

    def refuses_posts(self, platform: str, channel: str, why: str, fix: str | None) -> None:
        """``platform``'s ``channel`` refuses the bot's posts now (``why``, ``fix``: None, the usual):
        the routes naming it are listed at once, each one warning (not again while listed)."""
        where = ConversationKey(platform, channel)
        if self.fixed is not None:
            self.fixed.discard(where)
            self.lost.add(where)
        new = {r: (spec, found) for r, (spec, found) in self.named.items() if found == where and r not in self.refused}
        for route, (spec, found) in new.items():
            log.warning(texts.route_channel_refused(route, spec, why, fix))
            self.refused[route] = (f"{spec}: {why}", found)
        if new:
            self._tell()

    def _tell(self) -> None:
        self.tell({route: why for route, (why, _) in self.refused.items()})


def named(router: Router, checks: Sequence[Check] = ()) -> Iterator[tuple[str, str, ConversationKey]]:
    """Each route naming a channel, with the default route's, then each enabled check naming its
    own: (route or ``check:NAME``, as named, conversation)."""
    found = [(route.name, route.channel) for route in [*router.routes(), router.default()]]
    found += [(f"{CHECK_KEY}{c.name}", c.hints.get("channel")) for c in checks if c.enabled]
    for name, spec in found:
        if isinstance(spec, str) and spec:
            try:
                yield name, spec, parse_channel(spec)
            except ValueError:  # refused at load (routes validate names it): not this check's
                continue


async def check(
    router: Router, channels: Mapping[str, Channel], checks: Sequence[Check] = (), when: str = texts.AT_START
) -> Checked:
    """Every route's (and check's) channel asked once of its platform, as served; each refusal
    logged, with the fix."""
    found = Checked()
    asked: dict[ConversationKey, DeliveryFailed | None] = {}
    unreachable: set[str] = set()  # platforms that cannot be asked: said once, not asked again
    for route, spec, conversation in named(router, checks):
        channel = channels.get(conversation.channel)
        if channel is None:
            continue
        if conversation.channel in unreachable:
            found.unasked.add(route)
            continue
        where = ConversationKey(conversation.channel, conversation.conversation)
        found.named[route] = (spec, where)
        if where not in asked:
            try:
                asked[where] = await _ask(channel, where)
            except (RetryLater, DeliveryFailed) as exc:
                unreachable.add(conversation.channel)
                found.unasked.add(route)
                log.info(texts.route_channels_unchecked(conversation.channel, str(exc), when))
                continue
        problem = asked[where]
        if problem is not None:
            plain = problem.plain or str(problem)
            log.warning(texts.route_channel_refused(route, spec, plain, problem.remedy))
            found.refused[route] = f"{spec}: {plain}"
    return found


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


async def watch(runner: CheckRunner, channels: Mapping[str, Channel], known: Known) -> None:
    """Check at once, then each time routes.yaml or checks.yaml changes (as ``runner`` tells it,
    the stamps it reads them again by: :meth:`CheckRunner.stamp`, looked at every WATCH_EVERY
    seconds), into ``known`` (the routes not asked this time keep what the check before found of
    them). A file broken since is one info line, and what was found before is kept."""
    seen: tuple[Stamp, Stamp] | None = None
    while True:
        stamp = runner.stamp()
        if stamp != seen:
            when = texts.AT_START if seen is None else texts.AFTER_CHANGE
            seen = stamp
            known.checking()
            found: Checked | None = None
            try:
                found = await check(runner.router, channels, runner.config().checks, when)
            except ConfigError as exc:  # routes.yaml broken: its next use says so
                log.info(texts.route_channels_unchecked(None, str(exc), when))
            except Exception as exc:  # the next change is checked all the same
                log.warning(texts.route_channels_unchecked(None, f"{type(exc).__name__}: {exc}", when))
            known.checked(found)
        await asyncio.sleep(WATCH_EVERY)
