"""Microsoft Teams, through the Bot Framework: ``POST /api/messages``.

Inbound, every request's token is checked by botbuilder's ``ConfigurationBotFrameworkAuthentication``
(issuer, audience = ``MicrosoftAppId``, the ``serviceurl`` claim, signing keys from the OpenID metadata)
before anything is read or stored; with ``MicrosoftAppId`` empty (``DECISIONBOT_TEAMS=on``, local
development) authentication is off and the server says so at start-up. The activity is then translated
by :mod:`bot.channels.teams_activities` and carried out by :mod:`bot.channels.teams_inbound` (the dispatcher or
the shared commands, :mod:`bot.control`), in the request, so a 201 means the turn is stored. Replies leave through the outbox
(:meth:`TeamsChannel.deliver`) on :mod:`bot.channels.teams_connector`. The bot's mention alone is 'help'.

Routing: ``start FLOW ...`` (a known flow), ``list``, ``actions``, ``status N``, ``cancel N``, ``done A12``
(``due``/``drop A12 ...`` of one's own actions) are commands; other text goes to the run the dispatcher places it in
(``#12 yes``, the conversation's run, the one run waiting on its writer: with several waiting, they are asked which)
and to the commands when there is none. In a channel a run lives in the reply chain of the bot's first message of
that run (``teams_threads``); messages elsewhere in the channel are commands only. ``actions`` asked in a channel or
a group chat is answered in a personal chat; ``done``/``due``/``drop A12`` where its decision was made by the notice
to the decision alone. Edits and deletions: :mod:`bot.channels.teams_edits`. Invokes are answered there, not by
botbuilder (4.17.1's CloudAdapter answers every invoke with a 500).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

import requests
from aiohttp import web
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot import inbound_json, reask, texts
from bot.channels import Channel, DeliveryFailed, RetryLater, Services, register, teams_keys
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.channels.teams_connector import AuthConfig, Connector, TeamsSettings, auth_view, claimed_view, refused_unread
from bot.channels.teams_delivery import TeamsOutbound
from bot.channels.teams_inbound import TeamsInbound
from bot.channels.teams_store import TeamsStore
from bot.channels.teams_switch import PARTS, asked_for
from bot.channels.teams_tokens import Tokens, bot_credentials
from bot.model import Actor, ConversationKey, Reply, placeholder_facilitator
from bot.outbox import Queued
from bot.refusals import RefusalLog
from bot.store import group
from bot.store.people import is_object_id

log = logging.getLogger("decisionbot.teams")


@register
class TeamsChannel(Channel):
    name = "teams"

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return asked_for(env)

    @classmethod
    def half_configured(cls, env: Mapping[str, str]) -> str | None:
        present = [name for name in PARTS if env.get(name, "").strip()]
        return texts.teams_off_without_app_id(present) if present and not cls.configured(env) else None

    @classmethod
    def check_secrets(cls, env: Mapping[str, str]) -> None:
        TeamsSettings.from_env(env)  # the app's type, password and tenant as its type needs them

    def __init__(self, services: Services):
        super().__init__(services)
        self.settings = TeamsSettings.from_env(services.env)
        self.config = self.auth_config()
        self.credentials = self.credentials_factory()
        self.auth = ConfigurationBotFrameworkAuthentication(self.config, credentials_factory=self.credentials)
        self.store = TeamsStore(services.db)
        self.connector: Connector | None = None
        self.outbound: TeamsOutbound | None = None
        self.turns: TeamsInbound | None = None  # what activities say, carried out: made at start
        self.tasks: set[asyncio.Task[None]] = set()
        self.unverified = RefusalLog(log, logging.INFO)  # tokens that do not verify: a line a minute per kind
        if self.settings.app_id:
            log.info(texts.teams_auth_on(self.settings.app_id, self.settings.app_type))
        else:
            log.warning(texts.teams_auth_off())

    # --- seams: where a deployment (or a test) says where keys and tokens come from ----------

    def auth_config(self) -> Any:
        return AuthConfig(self.settings)

    def credentials_factory(self) -> ServiceClientCredentialsFactory:
        return ConfigurationServiceClientCredentialFactory(self.config)

    # --- lifecycle ---------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/messages", self.messages)]

    async def start(self) -> None:
        credentials = await bot_credentials(self.auth, self.settings.app_id) if self.settings.app_id else None
        tenant = self.settings.tenant_id if self.settings.app_type == "SingleTenant" else ""  # else not asked
        tokens = Tokens(credentials, tenant, on_accepted=lambda: self.services.notify(self.name))
        await tokens.check()  # one token, kept for the first reply; credentials refused stop the start
        if credentials is not None:
            await teams_keys.prefetch(self.config)
        self.connector = Connector(self.services.http, tokens)
        self.outbound = TeamsOutbound(self.store, self.connector, self.services.dispatcher.clock, self._spawn)
        self.outbound.takes = self._takes_posts  # a route's conversation: off /healthz's routes_refused
        self.outbound.refuses = self._refuses_posts  # ... and on it at once
        self.outbound.moved = self._thread_moved  # the questions its old thread asked, asked again
        self.turns = TeamsInbound(self.services, self.store, self.connector, self.outbound, self._spawn)
        dispatcher = self.services.dispatcher  # a Teams person's zone: the one their client sent
        fallback, zone = dispatcher.tz_for, self.store.zone
        dispatcher.tz_for = lambda a: (zone(a.platform_id) if a.channel == acts.CHANNEL else None) or fallback(a)

    async def post_problem(self, conversation: ConversationKey) -> DeliveryFailed | None:
        """Why the bot cannot post in a conversation, as the ledger records it (``teams_conversations.refused``:
        Teams said the bot was removed, the app uninstalled, the channel deleted, or a post there was
        refused 403 / 404), so a route naming it stays in ``/healthz`` across a restart or a change of
        routes.yaml, in the same words; None otherwise (one the bot never heard from is not known lost:
        Teams cannot be asked)."""
        why = self.store.refusal(acts.base_of(conversation))
        if why is None:
            return None
        plain, fix = texts.teams_route_refused(why)
        return DeliveryFailed(plain, where="conversation", plain=plain, remedy=fix)

    def _takes_posts(self, base: str) -> None:
        self.services.takes_posts(self.name, acts.key_for(base).conversation)

    def _thread_moved(self, run_id: int) -> None:
        """A run's thread gone (its root deleted), the run in a new one: what it waits for there asked again."""
        if reask.thread_lost(self.services.dispatcher, run_id):
            self.services.notify(self.name)

    def _refuses_posts(self, base: str, code: str) -> None:
        """A post there refused ``code`` (403, 404): the routes naming it say why the ledger says (what Teams
        said of it, if it did, says more than the code)."""
        plain, fix = texts.teams_route_refused(self.store.refusal(base) or code)
        self.services.refuses_posts(self.name, acts.key_for(base).conversation, plain, fix)

    def failing(self) -> str | None:  # the bot's credentials refused while serving (teams_tokens)
        return self.connector.tokens.failing() if self.connector is not None else None

    async def learn(self, people: Sequence[Actor]) -> Mapping[str, Actor]:
        """People a trigger names whom the bot has heard from, as Teams sent them (by an Azure AD object id: their Teams id)."""
        seen = {p.id: self.store.person(p.platform_id) for p in people if p.channel == self.name}
        return {i: found for i, found in seen.items() if found is not None}

    async def learn_in(self, people: Sequence[Actor], where: Sequence[ConversationKey]) -> Mapping[str, Actor]:
        """As :meth:`learn`; those named by an Azure AD object id the bot has not heard from are
        asked of the Bot Connector (``GET .../members/{object id}``) in the conversations the
        trigger posts in (``where``), where the bot is installed: a member found there is known
        by their Teams id from then on, and the run reaches them."""
        found = dict(await self.learn(people))
        unknown = [p for p in people if p.channel == self.name and p.id not in found and is_object_id(p.platform_id)]
        for base in dict.fromkeys(acts.base_of(k) for k in where if k.channel == self.name) if unknown else ():
            for person in [p for p in unknown if p.id not in found]:
                member = await self._member(base, person.platform_id)
                if member is not None:
                    found[person.id] = member
        return found

    async def _member(self, base: str, object_id: str) -> Actor | None:
        """A member of conversation ``base`` (installed) by Azure AD object id, remembered; None if not one."""
        conn = self.services.db.conn
        row = conn.execute(
            "SELECT reference FROM teams_conversations WHERE conversation_id = ? AND installed = 1", (base,)
        ).fetchone()
        ref = self.store.reference(base)
        if row is None or ref is None or self.connector is None:
            return None
        try:
            member = await self.connector.member(ref.service_url, base, object_id)
        except (RetryLater, DeliveryFailed):
            return None
        if not member.get("id"):
            return None
        person, stored = acts.actor(member), json.loads(row[0])
        await group.writable(conn)
        seen: list[tuple[Actor, str | None]] = [(person, str(member.get("aadObjectId") or object_id))]
        now = self.services.dispatcher.clock()  # the reference as stored: nothing of the conversation changes
        self.store.remember(ref, lambda: stored, seen, now, mentioned=frozenset([person.platform_id]))
        return person

    def not_a_person(self, actor_id: str) -> str:
        """``unreached``: named by an Azure AD object id the bot has never heard from (it has no
        Teams id to write to, and their answers would come from one it cannot match)."""
        platform_id = actor_id.removeprefix(f"{self.name}:")
        return "unreached" if is_object_id(platform_id) and self.store.person(platform_id) is None else ""

    async def stop(self) -> None:
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=5)
        for task in list(self.tasks):
            task.cancel()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- inbound -----------------------------------------------------------------------------

    async def messages(self, request: web.Request) -> web.Response:
        if (refused := refused_unread(request, bool(self.settings.app_id), self.unverified)) is not None:
            return refused
        header = request.headers.get("Authorization") or None
        unusable: str | None = None
        try:
            body = inbound_json.loads(await inbound_json.read_body(request))
        except inbound_json.BodyUnread as exc:  # too slow (408), or cut off (400)
            return _error(exc.status, str(exc))
        except ValueError as exc:  # not JSON, not UTF-8, NaN, a lone surrogate, nested too deeply
            body, unusable = None, texts.teams_bad_request(f"the body is not JSON ({exc})")
        if unusable is None and (not isinstance(body, dict) or not body.get("type")):
            unusable = texts.teams_bad_request("it is not an object with a type")
        # the token first: a forged one gets its 401 whatever the body, and no word of what is wrong with it
        activity = auth_view(body) if unusable is None else claimed_view(header)
        try:
            await self.auth.authenticate_request(activity, header)  # type: ignore[arg-type]
        except requests.RequestException as exc:
            return _error(503, texts.teams_keys_unavailable(exc.__class__.__name__))
        except Exception as exc:  # PermissionError, a malformed or unverifiable JWT, an unknown key
            self.unverified.tell(kind := exc.__class__.__name__, texts.teams_request_refused, kind, str(exc))
            return _error(401, texts.teams_unauthorized(kind))
        if unusable is not None:
            return _error(400, unusable)
        try:
            inbound = acts.parse(body)
        except acts.ActivityError as exc:
            return _error(400, texts.teams_bad_request(str(exc)))
        assert self.turns is not None  # the route is served once start() ran
        return await self.turns.take(inbound, body)

    # --- outbound (the outbox) ---------------------------------------------------------------

    async def deliver(self, item: Queued) -> str | None:
        if self.outbound is None:
            raise RetryLater(1.0, "the Teams channel is not started yet", attempt=False)
        return await self.outbound.deliver(item)

    def said_in(self, item_id: int) -> str | None:
        return self.outbound.said.pop(item_id) if self.outbound is not None else None

    def parts(self, reply: Reply) -> list[Reply]:
        return cards.parts(reply)

    def reaches_directly(self, person: Actor) -> bool:
        return person.channel == acts.CHANNEL and person.id != placeholder_facilitator(self.name).id


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status)
