"""People's display names and time zones, fetched once from their platform and cached.

A channel gives :class:`People` a ``fetch`` coroutine (Slack: ``users.info``); names and time
zones are then served from memory, backed by the ``people`` table so a restart does not fetch
them again. Entries older than ``max_age`` (a day) are fetched again on next use, and a channel
that hears of a change (Slack's ``user_change``) keeps it at once; a failed fetch is not retried
for a minute, and callers fall back to the platform id as the name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot import texts
from bot.bounded import CACHED_AT_MOST, Bounded
from bot.model import Actor
from bot.store import group, iso, transaction, utc_now

log = logging.getLogger("decisionbot.store")

migrations = Migrations("decisionbot-people")


@migrations()
def m001_people(db: Database) -> None:
    db.execute(
        """CREATE TABLE people (
        id TEXT PRIMARY KEY,             -- neutral actor id: slack:U0123, teams:29:1abc
        name TEXT NOT NULL,              -- display name
        tz TEXT,                         -- IANA time zone, when the platform says it
        fetched_at TEXT NOT NULL
    )"""
    )


@migrations()
def m002_people_deactivated(db: Database) -> None:
    db.execute("ALTER TABLE people ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0")


@migrations()
def m003_people_is_bot(db: Database) -> None:
    """Whether an account is an app's bot user; everyone cached before it is fetched again on next
    use (not a day later), so a bot user cached as a person is known as a bot at once."""
    db.execute("ALTER TABLE people ADD COLUMN is_bot INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE people SET fetched_at = '1970-01-01T00:00:00Z'")


@migrations()
def m004_people_external(db: Database) -> None:
    """Whether a person is of another organization than the bot's (Slack Connect)."""
    db.execute("ALTER TABLE people ADD COLUMN external INTEGER NOT NULL DEFAULT 0")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    tz: str | None = None
    deactivated: bool = False  # the platform says the account is deactivated (Slack: users.info's deleted)
    is_bot: bool = False  # an app's bot user, not a person (Slack: users.info's is_bot, and Slackbot)
    external: bool = False  # of another organization than the bot's (Slack Connect: a shared channel's guest)

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.name)


Fetch = Callable[[str], Awaitable["Person | None"]]

RETRY_FAILED_AFTER = 60.0
#: How long a fetched name is used before it is fetched again on next use: a person renamed (or
#: deactivated) is known by a day later at most, at once where the platform says so (Slack's
#: ``user_change``: :meth:`People.learned`).
MAX_AGE = timedelta(days=1)


class People:
    def __init__(
        self,
        db: Database,
        fetch: Fetch,
        clock: Callable[[], datetime] = utc_now,
        max_age: timedelta = MAX_AGE,
        most: int = CACHED_AT_MOST,
    ):
        self.db = db
        self.fetch = fetch
        self.clock = clock
        self.max_age = max_age
        # the people met lately (all of them are in the ``people`` table, read back when next named)
        self._known: Bounded[str, tuple[Person, datetime]] = Bounded(most)
        self._zones: dict[str, ZoneInfo | None] = {}  # by zone name: a few hundred at most
        self._failed: Bounded[str, float] = Bounded(most)  # lookups failed lately, not asked again for a minute
        self._pending: dict[str, asyncio.Future[Person | None]] = {}
        self._saving: set[asyncio.Future[None]] = set()
        grouped = group.installed(db.conn)
        if grouped is not None:
            grouped.on_rollback(self.forget)

    def forget(self) -> None:
        """Drop what is cached (a group commit was lost: the rows may not be there)."""
        self._known.clear()
        self._zones.clear()

    def known(self, actor_id: str) -> Person | None:
        """The cached person, from memory or the table; None when never fetched."""
        hit = self._known.get(actor_id)
        if hit is None:
            row = self.db.conn.execute(
                "SELECT name, tz, fetched_at, deactivated, is_bot, external FROM people WHERE id = ?", (actor_id,)
            ).fetchone()
            if row is None:
                return None
            person = Person(actor_id, row[0], row[1], bool(row[3]), bool(row[4]), bool(row[5]))
            hit = (person, datetime.fromisoformat(row[2].replace("Z", "+00:00")))
            self._known[actor_id] = hit
        return hit[0]

    def deactivated(self, actor_id: str) -> bool:
        """The platform said the person's account is deactivated (they left)."""
        person = self.known(actor_id)
        return person is not None and person.deactivated

    def external(self, actor_id: str) -> bool:
        """The platform said the person is of another organization (Slack Connect)."""
        person = self.known(actor_id)
        return person is not None and person.external

    def kind(self, actor_id: str) -> str:
        """What the platform said the account is when it is no person who can take part: ``app``,
        an app's bot user, or ``deactivated``, a person who left; '' otherwise (or not known)."""
        person = self.known(actor_id)
        return "" if person is None else "app" if person.is_bot else "deactivated" if person.deactivated else ""

    def zone(self, actor_id: str) -> ZoneInfo | None:
        person = self.known(actor_id)
        if person is None or not person.tz:
            return None
        if person.tz not in self._zones:
            try:
                self._zones[person.tz] = ZoneInfo(person.tz)
            except (ZoneInfoNotFoundError, ValueError):
                self._zones[person.tz] = None
        return self._zones[person.tz]

    def _fresh(self, actor_id: str) -> Person | None:
        person = self.known(actor_id)
        if person is not None and self.clock() - self._known[actor_id][1] < self.max_age:
            return person
        return None

    async def get(self, actor_id: str) -> Person | None:
        fresh = self._fresh(actor_id)
        if fresh is not None:
            return fresh
        if time.monotonic() - self._failed.get(actor_id, -RETRY_FAILED_AFTER) < RETRY_FAILED_AFTER:
            return self.known(actor_id)
        pending = self._pending.get(actor_id)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(actor_id))
            self._pending[actor_id] = pending
            pending.add_done_callback(lambda _: self._pending.pop(actor_id, None))
        return await asyncio.shield(pending)

    async def _fetch(self, actor_id: str) -> Person | None:
        person = await self.fetch(actor_id)
        if person is None:
            self._failed[actor_id] = time.monotonic()
            return self.known(actor_id)
        self.learned(person)
        return person

    def changed(self, person: Person) -> None:
        """What the platform tells of a profile changed (Slack's ``user_change``, sent for every
        member of the workspace at each edit): kept for a person the bot has met, or failed to
        name; anyone else is fetched when first named."""
        if person.id in self._failed or self.known(person.id) is not None:
            self.learned(person)

    def learned(self, person: Person) -> None:
        """Keep what the platform says of ``person`` now (fetched, or told: a profile changed)."""
        now = self.clock()
        self._known[person.id] = (person, now)
        self._failed.pop(person.id, None)
        saving = asyncio.ensure_future(self._save(person, now))  # the caller goes on meanwhile
        self._saving.add(saving)
        saving.add_done_callback(self._saving.discard)

    async def _save(self, person: Person, fetched_at: datetime) -> None:
        """Keep a fetched person in the table (for the next start, and the CLI's dates), once the
        write lock is free: a cache, written off the path of the request that asked."""
        try:
            await group.writable(self.db.conn)
            with transaction(self.db) as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO people (id, name, tz, fetched_at, deactivated, is_bot, external)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (person.id, person.name, person.tz, iso(fetched_at))
                    + (int(person.deactivated), int(person.is_bot), int(person.external)),
                )
        except sqlite3.Error as exc:  # kept in memory; fetched and saved again after a restart
            log.warning(texts.person_not_saved(person.id, f"{type(exc).__name__}: {exc}"))

    async def ensure(self, actor_ids: Iterable[str]) -> dict[str, Person]:
        """The people with these ids, fetching (concurrently) those not cached or stale."""
        ids = list(dict.fromkeys(actor_ids))
        missing = [i for i in ids if self._fresh(i) is None]
        if missing:
            await asyncio.gather(*(self.get(i) for i in missing))
        found = {i: self.known(i) for i in ids}
        return {i: p for i, p in found.items() if p is not None}


def stored_names(conn: sqlite3.Connection, actors: Iterable[Actor]) -> dict[str, Actor]:
    """``actors`` by id, named as the ledger knows them (Slack's ``users.info`` in ``people``, the
    Teams people the bot has heard from in ``teams_users``, one named by their Azure AD object id
    by their Teams id, which their answers come from): for commands that run without the channels,
    as ``decisionbot trigger``. Those it does not know are left out."""
    found: dict[str, Actor] = {}
    for actor in actors:
        row = conn.execute("SELECT id, name FROM people WHERE id = ?", (actor.id,)).fetchone()
        if not (row and row[1]) and actor.channel == "teams":
            with contextlib.suppress(sqlite3.OperationalError):  # a ledger without the Teams tables
                row = conn.execute(
                    "SELECT 'teams:' || user_id, name FROM teams_users WHERE user_id = ? OR aad_object_id = ?"
                    " ORDER BY user_id = ? DESC LIMIT 1",
                    (actor.platform_id, actor.platform_id, actor.platform_id),
                ).fetchone()
        if row and row[1]:
            found[actor.id] = Actor(str(row[0]), str(row[1]))
    return found


def stored_kinds(conn: sqlite3.Connection, actors: Iterable[Actor]) -> dict[str, str]:
    """``actors`` the ledger knows nobody can ask, by id: ``app`` (a bot user) or ``deactivated``,
    as :meth:`People.kind` says; ``unreached``, a Teams person named by an Azure AD object id the
    bot has never heard from (as the Teams channel says): for commands that run without the channels."""
    found: dict[str, str] = {}
    for actor in actors:
        row = conn.execute("SELECT is_bot, deactivated FROM people WHERE id = ?", (actor.id,)).fetchone()
        if row and (row[0] or row[1]):
            found[actor.id] = "app" if row[0] else "deactivated"
        elif actor.channel == "teams" and is_object_id(actor.platform_id):
            with contextlib.suppress(sqlite3.OperationalError):  # a ledger without the Teams tables: unknown too
                if conn.execute("SELECT 1 FROM teams_users WHERE aad_object_id = ?", (actor.platform_id,)).fetchone():
                    continue
            found[actor.id] = "unreached"
    return found


#: An Azure AD (Microsoft Entra) object id, as a trigger may name a Teams person by.
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_object_id(platform_id: str) -> bool:
    """Whether a Teams person is named by their Azure AD object id (a GUID), not their Teams id (``29:...``)."""
    return _OBJECT_ID.fullmatch(platform_id) is not None


def stored_zone(conn: sqlite3.Connection, actor: Actor) -> ZoneInfo | None:
    """The time zone a platform reported for ``actor`` as the ledger keeps it (Slack's
    ``users.info`` in ``people``, a Teams client's in ``teams_users``): for commands that run
    without the channels, as ``decisionbot jobs run-due``. None when unknown."""
    row = conn.execute("SELECT tz FROM people WHERE id = ?", (actor.id,)).fetchone()
    if not (row and row[0]) and actor.channel == "teams":
        with contextlib.suppress(sqlite3.OperationalError):  # a ledger without the Teams tables
            row = conn.execute("SELECT tz FROM teams_users WHERE user_id = ?", (actor.platform_id,)).fetchone()
    if not (row and row[0]):
        return None
    try:
        return ZoneInfo(row[0])
    except (ZoneInfoNotFoundError, ValueError):
        return None
