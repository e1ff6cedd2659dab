"""The Slack channel's people: who a Slack user is (``users.info``, a second at most, within
Slack's rate limit: :mod:`bot.channels.slack_lookups`), cached and stored in ``people``, their
names put in the open runs once found late, their time zones for ``tz_for``, and whether a
person may be asked at all (deactivated, of another organization, a bot)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError

from bot import texts
from bot.channels import Services
from bot.channels import slack_messages as messages
from bot.channels.slack_calls import api_error, rate_limited
from bot.channels.slack_lookups import HeldLookups
from bot.channels.slack_send import Poster, slack_user
from bot.channels.slack_turns import NAME
from bot.model import Actor
from bot.store import group, runs, transaction
from bot.store.people import People, Person

log = logging.getLogger("decisionbot.slack")
#: Seconds a person's lookup (``users.info``) is given, its wait for a slot included.
LOOKUP_WITHIN = 1.0


class SlackPeople:
    """The people the Slack channel meets; ``poster`` (its side client) and ``home`` (the
    installation, as ``auth.test`` says) are set by the channel's start."""

    def __init__(self, services: Services, spawn: Callable[[Coroutine[Any, Any, Any]], None]):
        self.services = services
        self.spawn = spawn
        self.people = People(services.db, self.fetch, clock=services.dispatcher.clock)
        self.held = HeldLookups(self.fetch, self._found_later, spawn)  # users.info's 429s
        self.poster: Poster | None = None
        self.home = messages.Home()

    async def fetch(self, actor_id: str) -> Person | None:
        """``users.info``, 1 s at most (``LOOKUP_WITHIN``); None when it fails (logged), or when
        Slack's rate limit holds it back, Slack is slow to answer, or too many are in flight
        (:class:`HeldLookups` makes it again in the background)."""
        assert self.poster is not None
        user_id = actor_id.split(":", 1)[1]
        began = asyncio.get_running_loop().time()
        if not await self.held.admit(actor_id, LOOKUP_WITHIN):  # Slack said to wait, or too many at once
            return None
        waited = asyncio.get_running_loop().time() - began
        try:
            found = await asyncio.wait_for(self.poster.side.users_info(user=user_id), max(LOOKUP_WITHIN - waited, 0.1))
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as exc:  # (a dropped connection: no OSError)
            if isinstance(exc, SlackApiError) and (seconds := rate_limited(exc)) is not None:
                self.held.limited(actor_id, seconds)
                return None
            if isinstance(exc, TimeoutError):  # looked up again in the background
                if waited > 0.1:  # late for the others in flight: not Slack's fault
                    self.held.hold(actor_id)
                else:  # Slack slow to answer: asked nothing more for a while
                    self.held.slow(actor_id)
                return None
            error = api_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning(texts.slack_person_unknown(user_id, error, self.people.known(actor_id) is not None))
            return None
        finally:
            self.held.done()
        self.held.answered()
        return messages.person({"id": user_id, **(found.get("user") or {})}, self.home)

    def _found_later(self, people: list[Person]) -> None:
        """People whose lookup Slack's rate limit held back, found since: cached and stored, and
        named in the open runs that go by their ids (their later prompts, reminders, decision record)."""
        for person in people:
            self.people.learned(person)
        self.spawn(self._name_in_runs([p.actor for p in people]))

    async def _name_in_runs(self, people: list[Actor]) -> None:
        """``people`` named in the open runs, once the write lock is free (a cache's write, as
        :meth:`People._save`: off any turn's path). Not named if the ledger refuses: the runs keep
        their ids, as before, until they speak."""
        try:
            await group.writable(self.services.db.conn)
            with transaction(self.services.db) as conn:
                runs.name_in_open_runs(conn, people)
        except sqlite3.Error as exc:
            log.warning(texts.slack_people_not_named_in_runs(len(people), f"{type(exc).__name__}: {exc}"))

    async def learn(self, people: Sequence[Actor]) -> Mapping[str, Actor]:
        """Slack users named by a trigger, by ``users.info`` (1 s each, all at once), into the
        cache speakers' names and zones are kept in: their zones are then known to ``tz_for``."""
        found = await self.people.ensure(p.id for p in people if slack_user(p) is not None)
        return {i: person.actor for i, person in found.items()}

    def deactivated(self, user_id: str) -> bool:
        return self.people.deactivated(f"{NAME}:{user_id}")

    def left(self, user_id: str) -> None:
        """Slack refused a direct message to ``user_id`` as ``user_disabled``: their account is
        deactivated, kept so (``people.deactivated``) until Slack says otherwise."""
        known = self.people.known(f"{NAME}:{user_id}")  # (one never looked up: their next lookup says so)
        if known is not None and not known.deactivated:
            self.people.learned(replace(known, deactivated=True))

    def external(self, user_id: str) -> bool:
        return self.people.external(f"{NAME}:{user_id}")

    def zone(self, actor: Actor) -> ZoneInfo | None:
        return self.people.zone(actor.id) if actor.channel == NAME else None
