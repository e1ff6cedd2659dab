"""Slack's events acknowledged first, turned after (the table: :mod:`bot.store.slack_inbox`).

A verified event is kept in the request, which Slack's 200 answers once it is committed; its
turn starts when that commit is done, never before (a request answered 503 kept nothing, and
Slack sends it again). At most TURNS_AT_ONCE turns run at a time, in the order their events
were kept, so that the server's loop never holds so many turns' steps at once that a new
request's acknowledgement waits behind them; the others wait in the inbox, stored. The events of
one conversation (a thread, a direct message) are turned one after the other, in the order they
were kept: an answer typed right after another waits for it, even when the first waits for a
person's name from Slack; so does one typed in the thread of a start mention, for the start. A
turn that fails leaves its row, counted (``TRIES``); one that waited too long for another process's
write lock leaves it uncounted; one cut by a stop leaves it as it was; so does a lost group
commit, which takes a finished turn's writes with it, the row's removal among them. Each is run
again by the next pass over the inbox: at start-up, then once a second (the channel's
housekeeping; a failed turn after its wait, ``BACKOFF``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import texts
from bot.channels import STOP_GRACE, Services
from bot.channels.slack_dms import is_dm
from bot.channels.slack_limits import Backlog
from bot.store import group, one_statement, utc_now, write_lock
from bot.store import slack_inbox as store
from bot.store.group_requests import request_stored, track

log = logging.getLogger("decisionbot.slack")

#: Turns of kept events that run at once (each waits its turn on the others only at its awaits:
#: a person looked up, the write lock).
TURNS_AT_ONCE = 32
#: Events taken from the inbox in one pass, and turns under way (waiting their turn included)
#: past which a new event is only kept: the next pass starts it, after those kept before it.
UNDER_WAY_AT_MOST = 1000


class Inbox:
    """The events kept and their turns under way, by the event's row in the inbox."""

    def __init__(self, services: Services, turn: Callable[[dict[str, Any]], Awaitable[None]], backlog: Backlog):
        self.services = services
        self.turn = turn
        self.backlog = backlog
        self.at_once = asyncio.Semaphore(TURNS_AT_ONCE)
        self.under_way: dict[int, asyncio.Task[None]] = {}
        self.last_in: dict[tuple[str, str], asyncio.Task[None]] = {}  # each conversation's latest turn
        self.behind = True  # rows may wait in the inbox that no task runs: new ones wait for the next pass
        self.stopping = False
        self._soon: asyncio.Handle | None = None

    async def keep(self, payload: dict[str, Any]) -> None:
        """In the request of an event (``payload``: its ``event_callback``): keep it; its turn
        starts once the request's writes are committed. A retry of one still kept starts nothing."""
        await group.writable(self.services.db.conn)  # (the request's wait: LedgerBusy answers 503)
        with one_statement(self.services.db) as conn:
            kept = store.keep(conn, payload, self.services.dispatcher.clock())
        if kept is not None and not self.behind and len(self.under_way) < UNDER_WAY_AT_MOST:
            self._start(kept, after_request=True)
        elif kept is not None:
            self.behind = True

    def soon(self) -> None:
        """A pass over the inbox at the loop's next turn (once, however often asked)."""
        if self._soon is None and not self.stopping:
            self._soon = asyncio.get_running_loop().call_soon(self.run_waiting)

    def run_waiting(self) -> None:
        """Start the turns of the kept events that none runs, oldest first."""
        self._soon = None
        if self.stopping:
            return
        room = UNDER_WAY_AT_MOST - len(self.under_way)
        if room <= 0:
            self.behind = True
            return
        now = utc_now()  # (the wall's clock, not the dispatcher's: how long a failed try waits)
        waiting = store.waiting(self.services.db.conn, UNDER_WAY_AT_MOST, now)  # those under way among them
        new = [kept_id for kept_id in waiting if kept_id not in self.under_way][:room]
        if new:  # (payloads read for these alone: the pass runs once a second, turns under way or not)
            for kept in store.kept(self.services.db.conn, new):
                self._start(kept, after_request=False)
        self.behind = len(waiting) == UNDER_WAY_AT_MOST  # (a full page: more may wait behind it)

    def _start(self, kept: store.Kept, after_request: bool) -> None:
        where = conversation_of(kept.payload)
        before = self.last_in.get(where)
        task = asyncio.get_running_loop().create_task(self._run(kept, after_request, before))
        self.under_way[kept.id] = task
        self.last_in[where] = task
        task.add_done_callback(lambda _: self._ended(kept.id, where, task))

    def _ended(self, kept_id: int, where: tuple[str, str], task: asyncio.Task[None]) -> None:
        self.under_way.pop(kept_id, None)
        if self.last_in.get(where) is task:
            del self.last_in[where]
        if self.behind and len(self.under_way) < UNDER_WAY_AT_MOST // 2:
            self.soon()

    async def _run(self, kept: store.Kept, after_request: bool, before: asyncio.Task[None] | None) -> None:
        if after_request:
            try:
                await request_stored()  # (the request's groups: this task copied its context)
            except Exception:
                return  # answered 503: nothing of it kept, and Slack sends it again
        if before is not None:  # the turn of the event before it in its conversation first
            await asyncio.wait([before])
        async with self.at_once:
            if self.stopping:
                return
            await self.backlog.room()  # the outbox far behind: turns wait a little, their events kept
            written = track()  # the turn's own writes, all lost with it when it fails
            try:
                await self.turn(kept.payload)
                await group.writable(self.services.db.conn)
                with one_statement(self.services.db) as conn:
                    store.done(conn, kept.id)
            except write_lock.LedgerBusy as exc:  # another process held the ledger: the next pass
                group.abandon(written, exc)
                log.warning(texts.slack_kept_event_waits(kept.event_id, str(exc)))
            except asyncio.CancelledError as exc:  # the server stopping: kept, run after the restart
                group.abandon(written, exc)
                raise
            except Exception as exc:
                group.abandon(written, exc)
                await self._failed(kept, f"{type(exc).__name__}: {exc}", exc)

    async def _failed(self, kept: store.Kept, why: str, exc: Exception) -> None:
        try:
            await group.writable(self.services.db.conn)
        except write_lock.LedgerBusy as busy:  # not counted: the next pass runs it again
            log.warning(texts.slack_kept_event_waits(kept.event_id, str(busy)))
            return
        with one_statement(self.services.db) as conn:
            tries = store.failed(conn, kept.id, why[:500], utc_now())
        if tries >= store.TRIES:
            log.error(texts.slack_kept_event_given_up(kept.event_id, tries, why), exc_info=exc)
        else:  # the traceback once, at the first failure: the tries after it are one line each
            wait = store.BACKOFF[min(tries, len(store.BACKOFF)) - 1]
            log.warning(
                texts.slack_kept_event_failed(kept.event_id, tries, why, wait), exc_info=exc if tries == 1 else None
            )

    async def settled(self) -> None:
        """Return once no turn of a kept event is under way and what they wrote is committed."""
        while self.under_way:
            await asyncio.wait(list(self.under_way.values()))
        await group.settled(self.services.db.conn)

    async def stop(self) -> None:
        """Start no more turns; let those under way end (STOP_GRACE), then cut the rest: their
        events stay kept, and the restarted server runs them."""
        self.stopping = True
        if self._soon is not None:
            self._soon.cancel()
        running = list(self.under_way.values())
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=STOP_GRACE)
        if late:
            log.warning(texts.slack_kept_turns_cut(len(late), STOP_GRACE))
            for task in late:
                task.cancel()
            await asyncio.wait(late)


def conversation_of(payload: dict[str, Any]) -> tuple[str, str]:
    """Where an event was said, for its turn's order: the channel and the thread, as Slack's event
    names them. A message of a channel outside threads roots its own (a start mention's run lives
    there: an answer typed in it at once waits for the start); a direct message's, and a channel's
    event, the channel alone."""
    event = payload.get("event")
    event = event if isinstance(event, dict) else {}
    channel = event.get("channel")
    if isinstance(channel, dict):  # channel_archive and the like name it by id; channel_rename by object
        channel = channel.get("id")
    channel = channel if isinstance(channel, str) else ""
    edited = event.get("message")  # an edit: the message it changed
    said = edited if isinstance(edited, dict) else event
    thread = event.get("thread_ts") or said.get("thread_ts")
    if not thread and channel and not is_dm(channel):
        thread = said.get("ts")
    return (channel, thread if isinstance(thread, str) else "")
