"""The Slack channel: decision runs in Slack threads and direct messages.

``POST /slack/events`` takes events, interactivity and slash commands (one URL, as Bolt apps
do); with ``SLACK_APP_TOKEN`` the same payloads arrive over Socket Mode instead. Every request
is verified (``SLACK_SIGNING_SECRET``), checked against the team and app the bot token belongs
to (``auth.test`` and ``bots.info`` at start-up), turned into a neutral message and handed to
the dispatcher. An event is kept in the ledger and committed before Slack gets its 200, and
its turn runs after, from the kept event (``slack_inbox``); a command's or a click's turn is
committed before its 200 (its outcome is its answer). So nothing is acknowledged that was not
stored, and a retried delivery is dropped by its platform id. Over Socket Mode the same holds for
the envelope's acknowledgement: sent once committed, never before (a write lock held elsewhere makes
it late; Slack's redelivery is then dropped by the id). A stopping server takes no new envelope,
lets the turns in flight be committed and acknowledged, then closes the socket; slack_sdk
reconnects when Slack drops the connection or asks for a new one. Replies leave through the
outbox (``deliver``, see ``slack_send``); widget answers are redrawn as "answered by" once taken.
A token Slack refuses while serving (the app uninstalled, a token revoked) is logged once, naming
its variable, and is what ``failing`` tells ``/healthz`` (with the side calls' and Home tabs' refusals) until
Slack takes it again: the outbox keeps the replies (``ChannelDown``), Socket Mode asks again slowly.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import config, outbox_rows, texts
from bot.channels import STOP_GRACE, Channel, ChannelDown, DeliveryFailed, RetryLater, Services, register
from bot.channels import slack_blocks as blocks
from bot.channels import slack_deleted as deleted
from bot.channels import slack_messages as messages
from bot.channels import slack_postable as postable
from bot.channels.slack_calls import CALL_TIMEOUT, api_error, placed
from bot.channels.slack_dms import is_dm
from bot.channels.slack_inbound import Inbound
from bot.channels.slack_inbox import Inbox
from bot.channels.slack_limits import Backlog
from bot.channels.slack_naming import ChannelNaming
from bot.channels.slack_people import SlackPeople
from bot.channels.slack_requests import SlackRequests
from bot.channels.slack_route_members import RouteMembers
from bot.channels.slack_send import Poster, slack_user
from bot.channels.slack_socket import DOWN_SHOWN, SocketClient, first_url
from bot.channels.slack_tokens import TokenHealth
from bot.channels.slack_turns import NAME
from bot.errors import ConfigError
from bot.model import Actor, ConversationKey, Reply
from bot.outbox import Queued
from bot.refusals import RefusalLog
from bot.store import group, names

log = logging.getLogger("decisionbot.slack")
#: Seconds the start-up gives the first Socket Mode connection (slack_sdk retries it every 5 s,
#: forever): a websocket that cannot be opened (a firewall letting HTTPS through, not wss) stops
#: the start with a clear error instead of a server that never answers.
SOCKET_START_TIMEOUT = 10.0
#: slack_sdk formats every request and response for its debug log whenever its logger's own
#: level is unset (``logger.level <= DEBUG``), whether or not DEBUG is on: about a fifth of the
#: cost of a call. Its clients get this logger, at INFO unless configured otherwise.
api_log = logging.getLogger("decisionbot.slack.api")


@register
class SlackChannel(SlackRequests, Channel):
    name = NAME

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        """Any Slack variable turns Slack on; one missing then stops the start, naming it."""
        return any(env.get(name) for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"))

    @classmethod
    def check_secrets(cls, env: Mapping[str, str]) -> None:
        """The bot token, and a signing secret unless an app token connects over Socket Mode."""
        present = [name for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN") if env.get(name)]
        if not env.get("SLACK_BOT_TOKEN"):
            raise ConfigError(texts.slack_needs_bot_token(present))
        if not env.get("SLACK_SIGNING_SECRET") and not env.get("SLACK_APP_TOKEN"):
            raise ConfigError(texts.slack_needs_signing_secret())
        if env["SLACK_BOT_TOKEN"].startswith("xapp-"):  # Slack's token kinds by their documented prefixes
            raise ConfigError(texts.slack_bot_token_is_app_token())
        if (env.get("SLACK_APP_TOKEN") or "").startswith("xox"):
            raise ConfigError(texts.slack_app_token_is_oauth_token(env["SLACK_APP_TOKEN"][:5]))

    def __init__(self, services: Services):
        super().__init__(services)
        env = services.env
        self.check_secrets(env)
        self.token = env["SLACK_BOT_TOKEN"]
        self.app_token = env.get("SLACK_APP_TOKEN") or None
        secret = env.get("SLACK_SIGNING_SECRET") or None
        self.verifier = SignatureVerifier(secret) if secret else None
        self.api_url = env.get("SLACK_API_URL") or config.BY_NAME["slack_api_url"].default or ""
        self.dispatcher = services.dispatcher
        self.team_id: str | None = None
        self.app_id: str | None = None
        self.enterprise_id: str | None = None
        self.org_wide = False
        self.home = messages.Home()  # the installation, as auth.test says (``_identify``)
        self.bot_user: str | None = None
        self.bot_name: str | None = None  # the bot user's name (auth.test's ``user``), as Slack shows its mentions
        self.socket: SocketClient | None = None
        self.tokens = TokenHealth(services.db.conn)  # a token Slack refuses while serving
        self.forged = RefusalLog(log)  # requests whose signature does not verify: a line a minute
        self.handling: set[asyncio.Task[Any]] = set()  # Socket Mode envelopes being processed
        self.stopping = False
        self.tasks: set[asyncio.Task[Any]] = set()
        self.folks = SlackPeople(services, self.spawn)
        self.people, self.held = self.folks.people, self.folks.held  # (users.info's 429s held)
        self.backlog = Backlog(recount=lambda: outbox_rows.waiting(services.db.conn, [NAME]))
        self.poster: Poster | None = None
        self.route_members: RouteMembers | None = None
        self.inbound: Inbound | None = None
        self.inbox: Inbox | None = None
        self.http: aiohttp.ClientSession | None = None  # the Web API calls' session (``_client``)
        self.naming = ChannelNaming(services.db, self._side_client, self.spawn, self.dispatcher.clock)

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/slack/events", self.on_http)] if self.verifier else []

    # --- start and stop ----------------------------------------------------------------------

    def _client(self, token: str | None) -> AsyncWebClient:
        """A Web API client on the server's shared connection pool, its calls given up after
        CALL_TIMEOUT: slack_sdk passes its ``timeout`` only to a session it opens itself, so the
        calls go through a session of the channel's own on that pool, with that timeout."""
        if api_log.level == logging.NOTSET:
            api_log.setLevel(logging.INFO)
        if self.http is None:
            timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT)
            self.http = aiohttp.ClientSession(
                connector=self.services.http.connector, connector_owner=False, timeout=timeout
            )
        return AsyncWebClient(
            token=token, base_url=self.api_url, session=self.http, timeout=int(CALL_TIMEOUT), logger=api_log
        )

    async def start(self) -> None:
        # the side client's refusals are retried by slack_side (a 429 holding the channel's pacing)
        client, side = self._client(self.token), self._client(self.token)
        self.poster = Poster(self.services.db, client, side, self.dispatcher.clock, self.spawn)
        self.poster.deactivated = self.folks.deactivated
        self.poster.external = self.folks.external
        self.poster.left = self.folks.left
        self.folks.poster = self.poster
        self.poster.thread_gone = self._thread_gone
        await self._identify(client)
        self.route_members = RouteMembers(self.services.db, self.poster, self.bot_user)
        self.inbound = Inbound(self.services, self.poster, self.people, self.backlog, self.bot_user)
        self.inbound.home = self.home
        self.inbound.bot_name = self.bot_name
        self.inbound.token_gone = self.tokens.bot_token_gone
        self.tokens.beside = {"side": self.poster.side_token, "home": self.inbound.app_home.token}
        self.inbox = Inbox(self.services, self.inbound.on_event, self.backlog)
        self.inbox.run_waiting()  # events kept and acknowledged before a stop or crash: their turns now
        fallback = self.dispatcher.tz_for
        self.dispatcher.tz_for = lambda actor: self.folks.zone(actor) or fallback(actor)
        if self.app_token:
            await self._connect_socket()

    async def _identify(self, client: AsyncWebClient) -> None:
        """Who the bot is: its user (to ignore its own messages), team or Enterprise Grid
        organisation (an org-wide installation), and app (to refuse others)."""
        try:
            auth = await client.auth_test()
        except SlackApiError as exc:
            raise ConfigError(texts.slack_auth_failed(api_error(exc))) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ConfigError(texts.slack_unreachable(self.api_url, type(exc).__name__)) from exc
        self.team_id, self.bot_user = auth.get("team_id"), auth.get("user_id")
        self.bot_name = auth.get("user") or None
        self.enterprise_id = auth.get("enterprise_id") or None  # an Enterprise Grid's organisation
        self.org_wide = bool(auth.get("is_enterprise_install"))  # its team_id is then the organisation's
        url = (
            auth.get("url")
            if isinstance(auth.get("url"), str) and str(auth.get("url")).startswith("https://")
            else None
        )
        self.home = self.folks.home = messages.Home(self.team_id, self.enterprise_id, self.org_wide, url)
        log.info(texts.slack_serving(self.team_id, self.enterprise_id, self.org_wide))
        try:
            bot = await client.bots_info(bot=auth.get("bot_id"))
            self.app_id = bot["bot"].get("app_id")
        except SlackApiError as exc:
            log.warning(texts.slack_no_app_check(api_error(exc)))

    async def _connect_socket(self) -> None:
        assert self.app_token is not None
        web_client = self._client(None)
        url = await first_url(web_client, self.app_token, SOCKET_START_TIMEOUT)
        socket_app = parse_qs(urlsplit(url).query).get("app_id", [""])[0]  # Slack's URL names the token's app
        if socket_app and self.app_id and socket_app != self.app_id:
            raise ConfigError(texts.slack_app_token_of_another_app(socket_app, self.app_id))
        self.socket = SocketClient(
            self.app_token,
            web_client,
            refused=self.tokens.app_token_refused,
            accepted=self.tokens.app_token_accepted,
            turned_off=self.tokens.socket_mode_off,
            turned_on=self.tokens.socket_mode_on,
        )
        self.tokens.socket = self.socket
        self.socket.wss_uri = url
        self.socket.socket_mode_request_listeners.append(self.on_socket)
        try:
            await asyncio.wait_for(self.socket.connect(), SOCKET_START_TIMEOUT)
        except TimeoutError as exc:
            await self.socket.close()
            where = urlsplit(url)
            address = f"{where.scheme}://{where.netloc}{where.path}"  # not the ticket
            raise ConfigError(texts.slack_socket_unreachable(address, SOCKET_START_TIMEOUT)) from exc

    def failing(self) -> str | None:
        """Why Slack does not work, for /healthz: a token refused, Socket Mode turned off, or its
        connection down for over a minute (no event, command or click can arrive)."""
        told = [self.tokens.failing()]
        down = self.socket.outage.down_for() if self.socket is not None else 0.0
        if self.socket is not None and down >= DOWN_SHOWN:
            told.append(texts.slack_socket_down_failing(down, self.socket.outage.tries))
        return " ".join(t for t in told if t) or None

    def housekeep(self) -> None:
        """The channels runs live in that nothing named, named in the background (slack_naming); the
        kept events whose turn is to run again (slack_inbox)."""
        self.naming.tick()
        if self.inbox is not None:
            self.inbox.run_waiting()  # events whose turn failed, or waited for the ledger

    def _side_client(self) -> AsyncWebClient | None:
        return self.poster.side if self.poster is not None and not self.stopping else None

    async def stop(self) -> None:
        """Socket Mode: take no new envelope (unacknowledged, Slack sends it again), let the turns
        in flight be committed and acknowledged, then close the connection."""
        self.stopping = True
        if self.inbox is not None:
            await self.inbox.stop()  # the turns under way ended or cut; what is left stays kept
        if self.inbound is not None:
            await self.inbound.stop()  # no more Home tabs drawn again; what was answered late told
        if self.handling:
            _, late = await asyncio.wait(self.handling, timeout=STOP_GRACE)
            if late:
                log.warning(texts.slack_socket_turns_cut(len(late), STOP_GRACE))
                for task in late:
                    task.cancel()
                await asyncio.wait(late)
        if self.socket is not None:
            await self.socket.close()
        if self.poster is not None and self.poster.finishing:  # a root posted late, to take back: its answer
            _, left = await asyncio.wait(self.poster.finishing, timeout=CALL_TIMEOUT + 1.0)
            for undone in left:  # (its post timed out by now: nothing to take back)
                undone.cancel()
            if left:
                await asyncio.wait(left, timeout=1.0)
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2.0)
        cut = list(self.tasks)  # side calls still waiting to try again: each logs what it did not make
        for task in cut:
            task.cancel()
        if cut:
            await asyncio.wait(cut, timeout=1.0)
        if self.http is not None:
            await self.http.close()  # (not the pool: the server's, closed after every channel stopped)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- people (slack_people) ----------------------------------------------------------------

    async def learn(self, people: Sequence[Actor]) -> Mapping[str, Actor]:
        return await self.folks.learn(people)

    def not_a_person(self, actor_id: str) -> str:
        return self.people.kind(actor_id)

    # --- outbound ----------------------------------------------------------------------------

    async def deliver(self, item: Queued) -> str | None:
        if self.poster is None:
            raise RetryLater(1.0, "Slack client not started", attempt=False)
        try:
            sent = await self.poster.deliver(item)
        except ChannelDown as exc:  # the outbox keeps the replies and waits
            self.tokens.bot_token_refused(exc.reason)
            raise
        self.tokens.bot_token_works()
        if self.route_members is not None:  # a triggered run's first message in its channel: who cannot see it
            self.route_members.delivered(item)
        if item.last_part:  # the backlog counts replies, not the parts of one
            self.backlog.done()
        return sent

    def said_in(self, item_id: int) -> str | None:
        return self.poster.said.pop(item_id) if self.poster is not None else None

    async def _thread_gone(self, run_id: int, channel: str, thread_ts: str) -> bool:
        """A run's thread refused as deleted, its deletion's event missed: the run moved now (see
        ``slack_deleted.thread_refused``); whether the refused post is to be made again."""
        queued = await deleted.thread_refused(self.dispatcher, self.services.db, run_id, channel, thread_ts)
        self.backlog.add(len(queued or ()))
        self.services.notify(NAME)
        return queued is not None

    def parts(self, reply: Reply) -> list[Reply]:
        return blocks.parts(reply)

    def given_up(self, item: Queued) -> None:
        self.backlog.done()

    def withheld(self, item_id: int) -> None:
        if self.poster is not None:  # its slot in its channel's pace, or in the pace of opening DMs
            self.poster.pacer.release(item_id)
            self.poster.dms.release(item_id)

    def reaches_directly(self, person: Actor) -> bool:
        return slack_user(person) is not None

    async def post_problem(self, conversation: ConversationKey) -> DeliveryFailed | None:
        channel = conversation.conversation.split("/", 1)[0]
        if self.poster is None or is_dm(channel):  # (a direct message: a person, not a channel to invite to)
            return None
        problem, info = await postable.described(self.poster.side, channel)
        await self._keep_name(channel, info.get("name"))
        return problem

    async def _keep_name(self, channel: str, name: object) -> None:
        """The channel's name Slack gave with what it said of it (``conversations.info``, asked for
        the check of the routes' channels anyway), kept for analysts (:mod:`bot.store.names`). Never
        at the check's cost: not waited for while another process holds the ledger's write lock, and
        a write the ledger refuses loses the name alone (logged), not what the check found."""
        given = [(channel, name)] if isinstance(name, str) else []
        if not names.news(self.services.db.conn, NAME, given):
            return
        try:  # never waited for: the check needs no ledger (held by another process: the next check's)
            await group.writable(self.services.db.conn, within=0)
            names.learnt(self.services.db, NAME, given, self.dispatcher.clock())
        except sqlite3.Error as exc:  # (LedgerBusy too) the name alone lost, not what the check found
            log.info(texts.slack_name_not_kept(channel, f"{type(exc).__name__}: {exc}"))

    async def post_test(self, conversation: ConversationKey, text: str) -> bool:
        if self.poster is None:
            return False
        try:  # in the channel itself (a route's slack:C0123/<thread> names a thread: its channel)
            await self.poster.post_now(conversation.conversation.split("/", 1)[0], text)
        except DeliveryFailed as exc:
            raise placed(exc, direct=False) from exc
        return True
