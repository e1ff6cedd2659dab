"""The Home tabs kept current: a person's tab drawn again after a change of what it shows (an
action of theirs done, moved, dropped or handed over, typed or clicked anywhere; a decision giving
them a new action; a run starting to wait on them, or one they lead moving on), while they may
be looking at it.

Who may be looking: the people who opened their tab (``app_home_opened``, which Slack sends each
time someone goes to it, never when they leave) or clicked in it, in the last ``LOOKED_FOR``
seconds, ``LOOKED_AT_MOST`` of them; kept in memory, not in the ledger (after a restart a tab is
drawn again when next opened, as before). A publish to anyone else would cost a call of Slack's
Tier 4 budget (about 100 a minute) for a view nobody sees before its next opening draws it anew.

What changed is told by the ledger itself: temporary triggers on this connection (``runs``:
facilitator and who it waits on, before and after; ``actions``: owner before and after, and the
decision's facilitator) name the people a write touches, so every writer is covered (a turn, a
command typed or clicked, a chase, a trigger's start, a handover's end) without a hook in each.
Nothing is published from inside a write: the people are noted, and drawn once the write is
committed (:func:`bot.store.group.settled`), off the turn, whose reply does not wait for it.

One publish at a time per person, coalesced: a change noted while their tab is being published
draws it once more afterwards (several changes meanwhile: once), from what the ledger holds then,
so the later state wins; each try of a publish Slack refuses for now is drawn anew too.

The triggers exist only while someone may be looking: created when the first person opens their
tab, dropped once the last of them is forgotten (``LOOKED_FOR`` after their last look), so a turn
in a server nobody's Home tab is open in runs no trigger at all. Both are done between two
transactions (never inside a group that may still be rolled back, taking them with it).

A change made by another process (``decisionbot runs cancel``, the scheduler of a second server, a
cron's ``jobs run-due``) fires no trigger here. While someone may be looking, the server asks
SQLite every ``POLL`` seconds whether another connection committed anything (``PRAGMA
data_version``, which reads no page); when one did, which tabs it changed cannot be told, so each
watcher's tab is drawn from the ledger and published only if it differs from the one last
published for them (``stale``): a CLI's change is seen within a few seconds, and a change that
shows on nobody's tab publishes nothing. The tabs are compared ``SWEEP_BATCH`` at a time, turns
served between, and at most ``SWEEP_SHARE`` of the server's time. (A checkpoint that starts the
WAL over counts as such a commit too, SQLite telling the two apart nowhere: the tabs are compared,
nothing differs, nothing is published.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.store import group, group_requests

log = logging.getLogger("decisionbot.slack")

#: How long after opening (or clicking in) their Home tab a person counts as maybe looking at it:
#: a working day, the tab left open beside the work.
LOOKED_FOR = 12 * 3600.0
#: The people remembered as looking at most; beyond, the longest ago are forgotten.
LOOKED_AT_MOST = 10_000
#: Seconds between two looks for another process's commits while someone may be looking.
POLL = 2.0
#: Tabs compared with the ledger in one go after another process's commit, the loop let run between.
SWEEP_BATCH = 20
#: The share of the server's time the comparisons may take at most: after a sweep that took T
#: seconds the next waits T / SWEEP_SHARE (thousands of people looking while a second server writes
#: all the time: their tabs follow later, the turns are not slowed).
SWEEP_SHARE = 0.1

#: The SQL function the triggers call with the ids (``slack:U123``, or a run's ``waiting_on``,
#: space-separated) of the people a write touches.
TOUCHED = "decisionbot_home_touched"
_DECIDED_BY = "(SELECT decided_by FROM decisions WHERE id = new.decision_id)"
TRIGGERS = {
    "home_run_started": f"AFTER INSERT ON runs BEGIN SELECT {TOUCHED}(new.facilitator_id, new.waiting_on); END",
    "home_run_changed": "AFTER UPDATE ON runs BEGIN"
    f" SELECT {TOUCHED}(old.facilitator_id, new.facilitator_id, old.waiting_on, new.waiting_on); END",
    "home_action_added": f"AFTER INSERT ON actions BEGIN SELECT {TOUCHED}(new.owner_id, {_DECIDED_BY}); END",
    "home_action_changed": f"AFTER UPDATE ON actions BEGIN SELECT {TOUCHED}(old.owner_id, new.owner_id, {_DECIDED_BY}); END",
}


@dataclass
class Drawing:
    """A person's tab being published: whether it is to be drawn (again) before the task ends."""

    again: bool = True


#: Publish ``user``'s tab now, calling ``drawn()`` right before each try draws it from the ledger.
Publish = Callable[[str, Callable[[], None]], Awaitable[None]]


class Redraws:
    """The Home tabs to draw again on ``conn``'s writes, published by ``publish`` in tasks of
    ``spawn``; ``stale(user)``: whether ``user``'s tab drawn now would differ from the one last
    published for them (asked after another process's commit)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        publish: Publish,
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        stale: Callable[[str], bool] = lambda user: True,
    ):
        self.conn = conn
        self.publish = publish
        self.spawn = spawn
        self.stale = stale
        self.loop = asyncio.get_running_loop()
        self.looked_for = LOOKED_FOR
        self.poll = POLL
        self.looking: dict[str, float] = {}  # user -> when they last opened or clicked in their tab
        self.drawing: dict[str, Drawing] = {}  # user -> their tab's publish under way
        self.touched: set[str] = set()  # people whose tab a write changed, to draw once it is committed
        self.taking = False  # whether those are to be taken on the loop's next pass
        self.closed = False
        self.triggered = False  # whether the triggers are on the connection now
        self.syncing = False  # whether the triggers are to be created or dropped once no transaction is open
        self.watch: asyncio.Task[None] | None = None  # the look for other processes' commits
        self.sweeps = 0  # tabs compared after another process's commit (for the tests)
        conn.create_function(TOUCHED, -1, self._touched)

    def close(self) -> None:
        """No more redraws (the channel stops): the triggers are dropped, the watch ended."""
        self.closed = True
        if self.watch is not None:
            self.watch.cancel()
        with contextlib.suppress(sqlite3.Error):  # (the ledger closed already)
            self._drop_triggers()

    def looked(self, user: str) -> None:
        """``user`` opened their tab, or clicked in it: they may be looking at it."""
        self.looking.pop(user, None)
        self.looking[user] = self.loop.time()
        while len(self.looking) > LOOKED_AT_MOST:
            del self.looking[next(iter(self.looking))]
        if not self.closed and (self.watch is None or self.watch.done()):
            self.watch = asyncio.ensure_future(self._watch())
        self._sync_triggers()

    def is_looking(self, user: str) -> bool:
        since = self.looking.get(user)
        if since is not None and self.loop.time() - since > self.looked_for:
            del self.looking[user]
            return False
        return since is not None

    def _forget_gone(self) -> None:
        """Forget the people whose last look is too long ago (the longest ago come first)."""
        for user in list(self.looking):
            if self.is_looking(user):
                break

    # --- the triggers, while someone may be looking ---------------------------------------------

    def _sync_triggers(self) -> None:
        """The triggers created while someone may be looking, dropped when nobody may; between
        two transactions (one still open may be rolled back, taking a trigger created in it)."""
        self.syncing = False
        wanted = bool(self.looking) and not self.closed
        if wanted == self.triggered:
            return
        if self.conn.in_transaction:
            return self._sync_later()
        if wanted:
            for name, body in TRIGGERS.items():
                self.conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS {name} {body}")
        else:
            self._drop_triggers()
        self.triggered = wanted

    def _sync_later(self) -> None:
        if self.syncing:
            return
        self.syncing = True
        grouped = group.installed(self.conn)
        if grouped is not None and grouped.open:
            grouped.after_commit(self._sync_triggers)
        else:  # a transaction of the CLI's or a test's own: looked at again shortly
            self.loop.call_later(0.05, self._sync_triggers)

    def _drop_triggers(self) -> None:
        for name in TRIGGERS:
            self.conn.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
        self.triggered = False

    # --- another process's commits ----------------------------------------------------------------

    async def _watch(self) -> None:
        """While someone may be looking: every ``poll`` seconds, whether another connection
        committed to the ledger; if so, the tabs it changed drawn again."""
        seen, pause = self._version(), self.poll
        while not self.closed:
            await asyncio.sleep(pause)
            self._forget_gone()
            if not self.looking:
                return self._sync_triggers()  # nobody may be looking: no triggers, no watch
            version, pause = self._version(), self.poll
            if version is not None and version != seen:
                seen, began = version, self.loop.time()
                await self._sweep()
                pause = max(self.poll, (self.loop.time() - began) / SWEEP_SHARE)

    def _version(self) -> int | None:
        try:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    async def _sweep(self) -> None:
        """Another process committed: draw again the tabs of the people looking that now differ
        from what they were last shown, ``SWEEP_BATCH`` compared at a time."""
        for n, user in enumerate(list(self.looking)):
            if n and not n % SWEEP_BATCH:
                await asyncio.sleep(0)
            if self.closed:
                return
            if not self.is_looking(user):
                continue
            self.sweeps += 1
            try:
                changed = self.stale(user)
            except Exception:  # a tab that cannot be drawn now: its publish says why
                changed = True
            if changed:
                self.redraw(user)

    # --- a request's own changes ------------------------------------------------------------------

    def when_stored(self, user: str, before: Callable[[], object] | None = None) -> None:
        """Draw ``user``'s tab once what the current request wrote is committed (``before``: what
        to note first, such as a click's answer); not when it was lost (Slack sends it again)."""
        self.spawn(self._when_stored(user, before))

    async def _when_stored(self, user: str, before: Callable[[], object] | None) -> None:
        try:
            await group_requests.request_stored()
        except sqlite3.Error:
            return
        if before is not None:
            before()
        self.redraw(user)

    def redraw(self, user: str) -> None:
        """Publish ``user``'s tab: now, or, while it is being published, once more after that."""
        under_way = self.drawing.get(user)
        if under_way is not None:
            under_way.again = True
            return
        self.drawing[user] = drawing = Drawing()
        self.spawn(self._drawn(user, drawing))

    async def _drawn(self, user: str, drawing: Drawing) -> None:
        def drawn() -> None:  # each try draws what the ledger holds then: the changes so far are in it
            drawing.again = False

        try:
            while drawing.again:
                drawing.again = False  # (and again by drawn() as each try draws: what came meanwhile is in it)
                await self.publish(user, drawn)
        finally:
            del self.drawing[user]

    # --- the ledger's writes ------------------------------------------------------------------

    def _touched(self, *ids: str | None) -> None:
        """Called by SQLite inside a write (it must not raise, nor write): note the people it
        touches who may be looking at their tab, to draw once the write is committed."""
        if not self.looking or self.closed:
            return
        fresh = False
        for text in ids:
            for actor_id in (text or "").split():
                user = actor_id.removeprefix("slack:")
                if user != actor_id and user in self.looking and user not in self.touched:
                    self.touched.add(user)
                    fresh = True
        if fresh and not self.taking:
            self.taking = True
            with contextlib.suppress(RuntimeError):  # the loop closed: a write of the server's last moments
                self.loop.call_soon_threadsafe(self._take_touched)

    def _take_touched(self) -> None:
        self.taking = False
        users, self.touched = self.touched, set()
        if users:
            self.spawn(self._when_committed(users))

    async def _when_committed(self, users: set[str]) -> None:
        with contextlib.suppress(sqlite3.Error):  # lost: the tab drawn as the ledger holds it is right all the same
            await group.settled(self.conn)
        for user in users:
            if self.is_looking(user) and not self.closed:
                self.redraw(user)
