"""What the Teams channel remembers besides the run, in SQLite so it survives restarts.

- ``teams_conversations``: a conversation reference per conversation the bot was installed in or spoken to
  (service URL, tenant, the bot's account, its type, whether it is there still, a channel's deletion), so a
  triggered flow can post there later. Saved on conversationUpdate / installationUpdate and on every inbound
  activity (written only when something changed). Its ``refused`` is THE record of why the bot cannot post
  there (NULL: it can, as far as known): what Teams said (the bot removed, the app uninstalled, the channel
  deleted: :mod:`bot.channels.teams_removed`) or a post refused 403 / 404; ``/healthz``'s ``routes_refused``
  says what it says, before and after a restart (:meth:`TeamsStore.refusal`).
- ``teams_users``: people seen (their id, name, Azure AD object id) and the bot's personal chat
  with each, created proactively the first time a step is addressed to them alone.
- ``teams_members``: who was seen in which conversation (the choices of a person picker).
- ``teams_threads``, ``teams_cards``: what the bot posted (a run's thread, its cards), read and written by
  :mod:`bot.channels.teams_posts`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.bounded import CACHED_AT_MOST, Bounded
from bot.channels.teams_posts import PostStore, execute_one
from bot.model import Actor
from bot.store import group, iso, kept_write, transaction

migrations = Migrations("decisionbot-teams")


@migrations()
def m001_teams(db: Database) -> None:
    db.execute(
        """CREATE TABLE teams_conversations (
        conversation_id TEXT PRIMARY KEY,    -- without ;messageid=...
        conversation_type TEXT NOT NULL,     -- personal | groupChat | channel
        service_url TEXT NOT NULL,
        tenant_id TEXT,
        bot_id TEXT NOT NULL,
        bot_name TEXT,
        reference TEXT NOT NULL,             -- JSON: the ConversationReference
        installed INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
    )"""
    )
    db.execute(
        """CREATE TABLE teams_users (
        user_id TEXT PRIMARY KEY,            -- 29:...
        name TEXT NOT NULL,
        aad_object_id TEXT,
        personal_conversation_id TEXT,       -- the bot's 1:1 chat with them
        updated_at TEXT NOT NULL
    )"""
    )
    db.execute("CREATE INDEX teams_users_aad ON teams_users(aad_object_id)")
    db.execute(
        """CREATE TABLE teams_members (
        conversation_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
    ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE teams_threads (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        conversation_id TEXT NOT NULL,       -- the channel
        root_id TEXT NOT NULL,               -- the bot's first message of the run there
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, conversation_id)
    )"""
    )
    db.execute("CREATE UNIQUE INDEX teams_threads_root ON teams_threads(conversation_id, root_id)")
    db.execute(
        """CREATE TABLE teams_cards (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id),   -- the outbox row
        run_id INTEGER NOT NULL REFERENCES runs(id),
        step TEXT,
        to_id TEXT,                          -- neutral id of the person asked
        conversation_id TEXT NOT NULL,       -- where it was posted (with ;messageid= in a thread)
        activity_id TEXT NOT NULL,
        service_url TEXT NOT NULL,
        card TEXT NOT NULL,                  -- JSON: the Adaptive Card as posted
        expects TEXT,                        -- JSON: what the prompt expects
        posted_at TEXT NOT NULL,
        answered_at TEXT
    )"""
    )
    db.execute("CREATE INDEX teams_cards_open ON teams_cards(run_id, step, to_id) WHERE answered_at IS NULL")
    db.execute("CREATE INDEX teams_cards_activity ON teams_cards(activity_id)")


@migrations()
def m002_time_zones(db: Database) -> None:
    db.execute("ALTER TABLE teams_users ADD COLUMN tz TEXT")  # the IANA zone their Teams client reports


@migrations()
def m003_deleted_channels(db: Database) -> None:  # when Teams said a channel was deleted; NULL: not deleted
    db.execute("ALTER TABLE teams_conversations ADD COLUMN deleted_at TEXT")


#: Why the bot cannot post in a conversation (``teams_conversations.refused``), as Teams said it:
#: the bot removed from a team or a chat (conversationUpdate), the app uninstalled from one
#: (installationUpdate: remove), a channel deleted; or as a post was refused. A message heard from
#: the conversation lifts all but a 403: the bot is there (it hears only where it is), but that does
#: not say it may post (a permission, a policy of the Teams admin center).
REMOVED_WHY = ("team", "team-app", "chat", "chat-app", "channel")
POST_REFUSED = ("403", "404")
HEARING_KEEPS = "403"


@migrations()
def m004_refused(db: Database) -> None:
    """Why the bot cannot post there, NULL: it can (see REMOVED_WHY); the marks kept before, carried over."""
    db.execute("ALTER TABLE teams_conversations ADD COLUMN refused TEXT")
    db.execute(
        "UPDATE teams_conversations SET refused = CASE WHEN deleted_at IS NOT NULL THEN 'channel'"
        " WHEN conversation_type = 'channel' THEN 'team' ELSE 'chat' END WHERE installed = 0"
    )


@migrations()
def m005_personal_refused(db: Database) -> None:
    """Why Teams will not create the bot's personal chat with someone (403, 404), NULL: it will as
    far as known; a personal chat that exists and refuses a post is its conversation's ``refused``."""
    db.execute("ALTER TABLE teams_users ADD COLUMN personal_refused TEXT")


@dataclass(frozen=True)
class Reference:
    conversation_id: str
    conversation_type: str
    service_url: str
    tenant_id: str | None
    bot_id: str
    bot_name: str | None

    def key(self) -> tuple[str, str, str | None, str, str | None]:
        return (self.conversation_type, self.service_url, self.tenant_id, self.bot_id, self.bot_name)


class TeamsStore(PostStore):
    """Reads and writes of the Teams tables. Remembered facts are cached in memory, so an activity that
    changes nothing writes nothing; each cache holds the ``most`` written lately (the rest read back when met)."""

    def __init__(self, db: Database, most: int = CACHED_AT_MOST):
        super().__init__(db, most)
        self._refs: Bounded[str, tuple[Any, ...]] = Bounded(most)
        self._users: Bounded[str, tuple[str, str | None]] = Bounded(most)
        self._members: Bounded[tuple[str, str], None] = Bounded(most)
        self._references: Bounded[str, Reference] = Bounded(most)
        self._zones: Bounded[str, ZoneInfo | None] = Bounded(most)
        self._zone_names: Bounded[str, str] = Bounded(most)
        self._refusals: Bounded[str, str] = Bounded(most)  # conversation -> why it refuses posts, "": it takes them
        grouped = group.installed(db.conn)
        if grouped is not None:
            grouped.on_rollback(self.forget)

    def forget(self) -> None:
        """Drop what is cached (a group commit was lost: the rows may not be there)."""
        for cache in (self._refs, self._users, self._members, self._references, self._zones, self._zone_names):
            cache.clear()
        self._threads.clear()
        self._refusals.clear()

    # --- conversations and people ------------------------------------------------------------

    def remember(
        self,
        ref: Reference,
        reference_json: Callable[[], dict[str, Any]],
        people: list[tuple[Actor, str | None]],
        now: datetime,
        removed: str = "",
        mentioned: frozenset[str] = frozenset(),
    ) -> None:
        """Save the conversation's reference and the people seen in it, when anything changed; heard
        from (``removed`` empty), it takes posts again but after a 403 (HEARING_KEEPS); the bot removed
        (``removed``: why, one of REMOVED_WHY), it does not. A personal chat is its user's, never that
        of someone ``mentioned`` there (platform ids): the bot's messages to them would go to the chat
        of whoever mentioned them."""
        installed = not removed
        ref_changed = self._refs.get(ref.conversation_id) != (*ref.key(), removed)
        new_users = [(a, aad) for a, aad in people if self._users.get(a.platform_id) != (a.name, aad)]
        new_members = [(ref.conversation_id, a.platform_id) for a, _ in people]
        new_members = [m for m in new_members if m not in self._members]
        if not (ref_changed or new_users or new_members):
            return
        stamp = iso(now)
        reference = json.dumps(reference_json()) if ref_changed else ""

        def write(conn: sqlite3.Connection) -> None:
            if ref_changed:
                conn.execute(
                    "INSERT INTO teams_conversations (conversation_id, conversation_type, service_url, tenant_id,"
                    " bot_id, bot_name, reference, installed, updated_at, refused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(conversation_id) DO UPDATE SET conversation_type = excluded.conversation_type,"
                    " service_url = excluded.service_url, tenant_id = coalesce(excluded.tenant_id, tenant_id),"
                    " bot_id = excluded.bot_id, bot_name = excluded.bot_name, reference = excluded.reference,"
                    " installed = excluded.installed, updated_at = excluded.updated_at,"
                    " deleted_at = CASE WHEN excluded.installed THEN NULL ELSE deleted_at END,"  # heard from again
                    " refused = CASE WHEN NOT excluded.installed AND installed THEN excluded.refused"
                    " WHEN NOT excluded.installed THEN coalesce(refused, excluded.refused)"  # said first: kept
                    " WHEN refused = ? THEN refused END",  # ... but a 403: hearing does not say it may post
                    (*_ref_row(ref), reference, int(installed), stamp, removed or None, HEARING_KEEPS),
                )
            for person, aad in new_users:
                conn.execute(
                    "INSERT INTO teams_users (user_id, name, aad_object_id, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(user_id) DO UPDATE SET name = excluded.name,"
                    " aad_object_id = coalesce(excluded.aad_object_id, aad_object_id), updated_at = excluded.updated_at",
                    (person.platform_id, person.name, aad, stamp),
                )
            if ref.conversation_type == "personal":  # the chat exists: a refusal to create it is lifted
                conn.executemany(
                    "UPDATE teams_users SET personal_conversation_id = ?, personal_refused = NULL WHERE user_id = ?",
                    [(ref.conversation_id, p.platform_id) for p, _ in people if p.platform_id not in mentioned],
                )
            conn.executemany("INSERT OR IGNORE INTO teams_members VALUES (?, ?)", new_members)

        kept_write(self.db, write)  # the outbox's personal chat, created proactively, is kept (see kept_write)
        self._refs[ref.conversation_id] = (*ref.key(), removed)
        self._references[ref.conversation_id] = ref
        if ref_changed:
            self._refusals.pop(ref.conversation_id, None)
        for person, aad in new_users:
            self._users[person.platform_id] = (person.name, aad)
        for member in new_members:
            self._members[member] = None

    def forget_members(self, conversation_id: str, user_ids: list[str]) -> None:
        """People Teams says left the conversation (``membersRemoved``): no longer the person
        picker's choices there (they were offered still, though they could not answer)."""
        rows = [(conversation_id, user_id) for user_id in user_ids]
        kept_write(
            self.db,
            lambda conn: conn.executemany("DELETE FROM teams_members WHERE conversation_id = ? AND user_id = ?", rows),
        )
        for row in rows:
            self._members.pop(row, None)

    # --- whether the bot can post there ------------------------------------------------------

    def refusal(self, conversation_id: str) -> str | None:
        """Why the bot cannot post in the conversation (REMOVED_WHY, POST_REFUSED), as the ledger
        says; None when it can, as far as known (or it was never heard from)."""
        found = self._refusals.get(conversation_id)
        if found is None:
            sql = "SELECT refused FROM teams_conversations WHERE conversation_id = ?"
            row = self.db.conn.execute(sql, (conversation_id,)).fetchone()
            found = self._refusals[conversation_id] = (row[0] or "") if row else ""
        return found or None

    def refuse_posts(self, conversation_id: str, code: str, now: datetime) -> None:
        """The outbox's post there was refused ``code`` (403, 404): recorded, unless Teams said why
        already (the bot removed, the channel deleted: that says more). Kept through the loss of its
        group (see kept_write); the conversation's next activity written again (a 404 lifted)."""
        if self.refusal(conversation_id) in (code, *REMOVED_WHY):
            return
        sql = "UPDATE teams_conversations SET refused = ?, updated_at = ? WHERE conversation_id = ? AND installed = 1"
        kept_write(self.db, partial(execute_one, sql=sql, args=(code, iso(now), conversation_id)))
        self._refusals.pop(conversation_id, None)
        self._refs.pop(conversation_id, None)

    def refuse_personal_chat(self, person: Actor, code: str, now: datetime) -> None:
        """Teams refused ``code`` (403, 404) to create the bot's personal chat with ``person``: recorded
        (kept as :meth:`refuse_posts` is); lifted when a personal chat with them is remembered."""
        sql = (
            "INSERT INTO teams_users (user_id, name, updated_at, personal_refused) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET personal_refused = excluded.personal_refused,"
            " updated_at = excluded.updated_at"
        )
        args = (person.platform_id, person.name, iso(now), code)
        kept_write(self.db, partial(execute_one, sql=sql, args=args))

    def takes_posts(self, conversation_id: str, now: datetime) -> None:
        """A post there went through: whatever the ledger said, the bot can post there (kept as
        :meth:`refuse_posts` is)."""
        if self.refusal(conversation_id) is None:
            return
        sql = (
            "UPDATE teams_conversations SET installed = 1, deleted_at = NULL, refused = NULL, updated_at = ?"
            " WHERE conversation_id = ?"
        )
        kept_write(self.db, partial(execute_one, sql=sql, args=(iso(now), conversation_id)))
        self._refusals[conversation_id] = ""
        self._refs.pop(conversation_id, None)

    def reference(self, conversation_id: str) -> Reference | None:
        found = self._references.get(conversation_id)
        if found is not None:
            return found
        row = self.db.conn.execute(
            "SELECT conversation_id, conversation_type, service_url, tenant_id, bot_id, bot_name"
            " FROM teams_conversations WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()
        if row is None:
            return None
        found = self._references[conversation_id] = Reference(*row)
        return found

    def personal_chat(self, user_id: str) -> str | None:
        row = self.db.conn.execute(
            "SELECT personal_conversation_id FROM teams_users WHERE user_id = ?", (user_id,)
        ).fetchone()
        return row[0] if row else None

    def heard_from(self, run_id: int, actor_id: str) -> tuple[str | None, bool]:
        """Where this person last wrote to the run (the stored conversation key; None: never),
        and whether the latest question the run asked them was sent to them alone. One query,
        two short backward scans of the run's messages (``messages_run``)."""
        row = self.db.conn.execute(
            "SELECT (SELECT conversation FROM messages WHERE run_id = ?1 AND direction = 'in' AND actor_id = ?2"
            " ORDER BY id DESC LIMIT 1), (SELECT private FROM messages WHERE run_id = ?1 AND direction = 'out'"
            " AND actor_id = ?2 AND kind = 'prompt' ORDER BY id DESC LIMIT 1)",
            (run_id, actor_id),
        ).fetchone()
        return (row[0], bool(row[1])) if row else (None, False)

    def person(self, any_id: str) -> Actor | None:
        """Someone seen, by their Teams id or their Azure AD object id."""
        row = self.db.conn.execute(
            "SELECT user_id, name FROM teams_users WHERE user_id = ? OR aad_object_id = ? LIMIT 1", (any_id, any_id)
        ).fetchone()
        return Actor(f"teams:{row[0]}", row[1]) if row else None

    def zone(self, user_id: str) -> ZoneInfo | None:
        """The time zone someone's Teams client last reported (dates they type are read in it)."""
        if user_id not in self._zones:
            row = self.db.conn.execute("SELECT tz FROM teams_users WHERE user_id = ?", (user_id,)).fetchone()
            self._zones[user_id] = _zone(row[0] if row else None)
        return self._zones[user_id]

    def set_zone(self, user_id: str, name: str) -> None:
        if self._zone_names.get(user_id) == name:
            return
        with transaction(self.db) as conn:
            conn.execute("UPDATE teams_users SET tz = ? WHERE user_id = ?", (name, user_id))
        self._zone_names[user_id] = name
        self._zones[user_id] = _zone(name)

    def members(self, conversation_id: str, limit: int = 50) -> list[Actor]:
        rows = self.db.conn.execute(
            "SELECT u.user_id, u.name FROM teams_members m JOIN teams_users u ON u.user_id = m.user_id"
            " WHERE m.conversation_id = ? ORDER BY u.name LIMIT ?",
            (conversation_id, limit),
        ).fetchall()
        return [Actor(f"teams:{uid}", name) for uid, name in rows]


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _ref_row(ref: Reference) -> tuple[Any, ...]:
    return (ref.conversation_id, ref.conversation_type, ref.service_url, ref.tenant_id, ref.bot_id, ref.bot_name)
