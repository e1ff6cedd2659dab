"""Channel adapters and the small registry the server mounts them from.

A channel turns one platform's payloads into neutral :class:`~bot.model.Message` objects and
delivers :class:`~bot.model.Reply` objects back. Built-in channels register themselves exactly as
any other would, with :func:`register`; the server asks each registered channel whether it is
configured (from the environment) and mounts the ones that are. Channels never touch run state:
they call the dispatcher and the outbox.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from bot import texts
from bot.errors import ConfigError

if TYPE_CHECKING:
    from aiohttp import ClientSession, web
    from sqlite_utils import Database

    from bot.dispatch import Dispatcher
    from bot.model import Actor, ConversationKey, Reply
    from bot.outbox import Queued

#: Modules of the built-in channels served by ``decisionbot serve``; importing one registers it.
BUILTIN: tuple[str, ...] = ("bot.channels.slack", "bot.channels.teams")
#: A built-in channel whose libraries come with an extra: the module telling (without them)
#: whether the environment asks for the channel, and the extra to install.
EXTRAS: dict[str, tuple[str, str]] = {"bot.channels.teams": ("bot.channels.teams_switch", "teams")}


class RetryLater(Exception):
    """A delivery the platform refused for now (429, 5xx, a network error): try again later.
    ``attempt=False`` when nothing was refused (the bot's own pacing held the reply back);
    ``rate_limited`` when it waits for the platform's rate limit (its 429, or the bot's pacing
    foreseeing one): the pace of a burst, not a failure."""

    def __init__(self, seconds: float, reason: str, attempt: bool = True, rate_limited: bool = False):
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason
        self.attempt = attempt
        self.rate_limited = rate_limited


#: Seconds a stopping server gives the work under way to finish: the replies being sent (marked sent,
#: so the process taking its outbox over does not send them again), Socket Mode turns in flight
#: (what is cut short is not acknowledged: Slack sends it again) and answers told late at a
#: response_url (what is cut short is undone, its person told it was not done).
STOP_GRACE = 5.0
#: Seconds a platform's ``Retry-After`` is taken as at most: a larger one (a huge number, ``inf``)
#: is no platform's (Slack's limits reset within a minute, the Bot Connector's within seconds), and
#: would hold a conversation's replies back for good.
RETRY_AFTER_MOST = 120.0


def retry_after(value: Any) -> float:
    """Seconds a 429's (or a 5xx's) ``Retry-After`` header says to wait, made sane: missing, not a
    number (or NaN): 1; negative: 0; beyond RETRY_AFTER_MOST (``inf``): that. Slack's calls and the
    Bot Connector's read it so."""
    if isinstance(value, list):  # (slack_sdk gives a header's values as a list)
        value = value[0] if value else None
    try:
        seconds = float(str(value).strip()) if value is not None else 1.0
    except ValueError:
        return 1.0
    if seconds != seconds:  # NaN
        return 1.0
    return min(max(seconds, 0.0), RETRY_AFTER_MOST)


class ChannelDown(RetryLater):
    """The platform refuses the channel itself, not the reply (its token revoked, the app
    uninstalled): no reply can go out until the credentials work again. Nothing is given up: the
    outbox holds the whole channel and tries one reply now and then (``seconds`` is decided there)."""

    def __init__(self, reason: str):
        super().__init__(0.0, reason)


class DeliveryFailed(Exception):
    """A delivery the platform refused for good (a bad channel, a removed user): do not retry.

    What the channel knows of the refusal, for the notice the run's facilitator gets (see
    :mod:`bot.notices`): ``code``, the platform's own (``cannot_dm_bot``, ``403``); ``where``, what
    was refused: ``direct`` (a direct message or personal chat with the addressee), ``conversation``
    (the run's own conversation: the bot removed, the channel archived or gone) or ``message`` (the
    message itself: too long, malformed); ``plain``, the reason in plain words; ``remedy``, for a
    refused conversation, what lets the bot post there again ("Unarchive the channel"; "": nothing
    does; None: add the bot back, which fits most); for a refused person, "" when they cannot
    answer anywhere (they left: their account deactivated), None otherwise."""

    def __init__(
        self,
        reason: str,
        code: str | None = None,
        where: str | None = None,
        plain: str | None = None,
        remedy: str | None = None,
    ):
        super().__init__(reason)
        self.code = code
        self.where = where
        self.plain = plain
        self.remedy = remedy

    def placed(self, where: str | None, plain: str | None, remedy: str | None = None) -> DeliveryFailed:
        """The same refusal, with what was refused, why in plain words, and what fixes it."""
        return DeliveryFailed(str(self), self.code, where, plain, remedy)


@dataclass
class Services:
    """What the server shares with every channel."""

    db: Database
    dispatcher: Dispatcher
    http: ClientSession
    notify: Callable[[str], None]  # wake the outbox sender of a channel after a commit
    env: Mapping[str, str]
    extra: dict[str, Any] = field(default_factory=dict)
    #: A channel learnt that one of its conversations takes the bot's posts (platform, conversation
    #: id, no thread): the bot invited, unarchived, a post gone through. Set by the trigger hooks.
    takes_posts: Callable[[str, str], None] = lambda platform, conversation: None
    #: Its mirror: a conversation refuses the bot's posts until someone acts (platform, conversation,
    #: why in plain words, the fix or None for the usual): the bot removed, archived, a post refused so.
    refuses_posts: Callable[[str, str, str, str | None], None] = lambda platform, conversation, why, fix: None


class Channel(ABC):
    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        """Whether the environment turns this channel on (and all its secrets are there)."""

    @classmethod
    def half_configured(cls, env: Mapping[str, str]) -> str | None:
        """When the environment sets some of this channel's variables but not the one that turns
        it on, the warning that names the missing one (the server logs it and starts without it)."""
        return None

    @classmethod
    def check_secrets(cls, env: Mapping[str, str]) -> None:
        """For a channel ``env`` turns on: raise ConfigError naming a secret it lacks. Asked before
        the ledger is made or opened (``serve`` refused so leaves nothing), and again as it is made."""
        return None

    def __init__(self, services: Services):
        self.services = services

    def routes(self) -> list[web.RouteDef]:
        """The HTTP routes this channel serves (none for a channel that connects out)."""
        return []

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect out, open clients: called once the server runs."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close what :meth:`start` opened."""

    @abstractmethod
    async def deliver(self, item: Queued) -> str | None:
        """Send one queued reply; return the platform's message id. Raise :class:`RetryLater`
        or :class:`DeliveryFailed` when the platform refuses it."""

    def said_in(self, item_id: int) -> str | None:
        """Where the reply ``item_id``, just delivered (its last part), was said when that was to
        one person alone: their direct message or personal chat, as a key (``slack:D...``), whether
        the reply was queued elsewhere (an owner's question, queued in the run's thread) or there
        (a run living there). Asked once, right after :meth:`deliver`: the outbox's mark then makes
        its row name it, for that person alone (``private``), in the same write as its delivery
        (never before: a row naming a conversation no pass is sending would be read, unmarked, and
        sent again). None: said where others may read it."""
        return None

    def parts(self, reply: Reply) -> list[Reply]:
        """``reply`` as the messages it goes out in: itself, unless it is too long for the
        platform (a summary of many long answers): then parts that each fit, in order."""
        return [reply]

    def failing(self) -> str | None:
        """Why the channel does not work now though it started (a credential the platform refused
        while serving), for ``/healthz``; None while it works."""
        return None

    def housekeep(self) -> None:  # noqa: B027 - optional hook
        """The channel's own upkeep, from the server's housekeeping once a second: quick, never
        waiting on the platform (what calls it starts in a task of its own)."""

    def given_up(self, item: Queued) -> None:  # noqa: B027 - optional hook
        """The outbox stopped trying ``item`` (refused for good, or for now for too long)."""

    def withheld(self, item_id: int) -> None:  # noqa: B027 - optional hook
        """The reply ``item_id``, held back by this channel's own pacing (``RetryLater`` with
        ``attempt=False``), was withheld meanwhile (its run cancelled): what it reserved of the
        platform's pace goes to the next reply."""

    async def learn(self, people: Sequence[Actor]) -> Mapping[str, Actor]:
        """The people a trigger names on this channel by their platform ids, as the platform
        knows them: by id, each with their name (and their time zone kept for ``tz_for``); those
        it cannot name left out. Asked before a triggered run starts, for a second or two at
        most (``bot.triggers.naming``): a slow lookup may be cut short. Default: nobody."""
        return {}

    def not_a_person(self, actor_id: str) -> str:
        """What the platform said ``actor_id`` is when nobody can ask it anything: ``app`` (an app's
        bot user) or ``deactivated`` (a person who left); '' otherwise, or not known. Default: ''."""
        return ""

    async def post_test(self, conversation: ConversationKey, text: str) -> bool:
        """Post ``text`` in ``conversation`` now, outside any run (Grafana's contact-point test,
        checking that the route's channel takes the bot's messages): True when posted, False when
        this channel does not post so. Raises DeliveryFailed (refused, placed: why and the fix) or
        RetryLater (not now)."""
        return False

    async def post_problem(self, conversation: ConversationKey) -> DeliveryFailed | None:
        """Why the bot cannot post in ``conversation`` as the platform says now (checked once at
        start-up for the channels routes name): the refusal a post would meet, placed (why and the
        fix); None when it can, or this channel does not tell. Raises RetryLater or DeliveryFailed
        when the platform cannot be asked (out of reach, a permission missing)."""
        return None

    def reaches_directly(self, person: Actor) -> bool:
        """Whether a private reply to ``person`` reaches them alone, outside the run's conversation
        (a direct message, a personal chat): how the facilitator hears that the run's conversation
        refuses the bot. False: only the log says so."""
        return False


REGISTRY: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    REGISTRY[cls.name] = cls
    return cls


def load_builtin(env: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Import the built-in channels; return those whose libraries are missing, each as its name,
    the library missing and the extra that installs it ('' if none). One that ``env`` asks for is
    a ConfigError naming the extra to install: never served without."""
    missing = []
    for module in BUILTIN:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            switch, extra = EXTRAS.get(module, ("", ""))
            setting = importlib.import_module(switch).asked_by(env) if switch else None
            name = module.rsplit(".", 1)[-1]
            if setting:
                raise ConfigError(texts.channel_needs_extra(name, str(exc.name), extra, setting)) from exc
            missing.append((name, str(exc.name), extra))
    return missing
