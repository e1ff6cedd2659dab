"""The dispatcher's triggers, admitted in one transaction: each starts a run, or joins the open run of
its dedup key (a repeat, a flap told to the run's people, a resolution), or is kept unrouted."""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlite_utils import Database

from bot import texts
from bot.admission import RESOLVING_SOURCES, Admission, Admitted, ask_again, joins, new_start, stale, stale_resolution
from bot.engine.model import Flow
from bot.errors import NoDecisionToReview
from bot.flow_catalog import FlowCatalog
from bot.model import ConversationKey, Reply, Trigger
from bot.store import events as trigger_events
from bot.store import iso, runs, transaction
from bot.store.events import KeyedEvent

if TYPE_CHECKING:
    from bot.dispatch import TurnResult


class Admitting(ABC):
    db: Database
    catalog: FlowCatalog
    clock: Callable[[], datetime]

    @abstractmethod
    def _start_in(
        self,
        conn: sqlite3.Connection,
        flow: Flow,
        trigger: Trigger,
        conversation: ConversationKey,
        now: datetime,
        event_id: int | None = None,
        nobody: Mapping[str, str] | None = None,
    ) -> TurnResult:
        """Start a run of ``flow`` (``event_id``: the unrouted event it starts on, else a new one;
        ``nobody``: those who cannot be asked, by id)."""

    def admit(
        self,
        items: Sequence[Admission],
        then: Callable[[sqlite3.Connection, list[Admitted]], None] | None = None,
    ) -> list[Admitted]:
        """Routed triggers in, in one transaction (on any error nothing is stored): each starts a
        run, or joins the open run of its dedup key (a repeat, a resolution). ``then`` writes
        more in the same transaction (a check's evaluation)."""
        now = self.clock()
        with transaction(self.db) as conn:
            results = [self._admit(conn, item, now) for item in items]
            if then is not None:
                then(conn, results)
            return results

    def _admit(self, conn: sqlite3.Connection, item: Admission, now: datetime) -> Admitted:
        trigger = item.trigger
        if trigger.conversation is not None and item.problem is None:
            # the unrouted events of a group's alerts: its run takes them (one incident, one open event)
            trigger_events.end_unrouted(conn, item.alert_keys)
        last = trigger_events.latest_event(conn, trigger.dedup_key) if trigger.dedup_key else None
        if trigger.status == "resolved":
            return self._resolved(conn, item, last, now)
        if last is not None and stale(last, trigger):  # an older notification, late: not a flap
            trigger_events.repeat_stale(conn, last.id, now)
            return Admitted(last.id, "repeat", last.run_id)
        routable = trigger.conversation is not None and item.problem is None
        joined = last is not None and joins(last, trigger, item.cooldown, now)
        if last is not None and (joined or (last.run_id is None and not routable)):
            trigger_events.repeat_event(conn, last.id, trigger.data, now, trigger.title if trigger.grouped else None)
            if last.status == "resolved" and last.run_id is not None and last.conversation is not None:
                return self._refired(conn, last, trigger, now)  # a flap: the run's people saw "Resolved"
            if last.run_open and last.run_id is not None and last.conversation is not None:
                again = ask_again(conn, last.run_id, last.conversation, iso(now))  # its channel saw none of it
                return Admitted(last.id, "repeat", last.run_id, again, last.conversation.channel)
            return Admitted(last.id, "repeat" if last.run_id else "unrouted", last.run_id)
        unrouted = last is not None and last.status == "firing" and last.run_id is None
        taken = last.id if last is not None and unrouted and not new_start(last, trigger) else None
        if last is not None and last.status == "firing" and taken is None and trigger.source in RESOLVING_SOURCES:
            trigger_events.end_incident(conn, last.id)  # a new start of the alert: that incident ended unseen
        if not routable or trigger.conversation is None:
            reviews = trigger.flow in self.catalog.review_flows() and not trigger.data.get("decision_id")
            if reviews and trigger.source == "generic":  # 400, as with a channel: no route would start it
                raise NoDecisionToReview(texts.review_needs_decision(trigger.flow))  # (an alert's is kept unrouted)
            event_id = trigger_events.insert_event(conn, trigger, now)
            trigger_events.note_event(conn, event_id, item.route, item.problem or texts.no_channel())
            return Admitted(event_id, "unrouted")
        flow = self.catalog.get(trigger.flow)
        if trigger.facilitator is None:
            trigger.data["claimable"] = True
        result = self._start_in(conn, flow, trigger, trigger.conversation, now, taken)  # on its unrouted event
        if item.notice and result.run_id is not None:  # who the trigger named and nobody can ask
            told = Reply(result.run_id, trigger.conversation, item.notice, kind="info")
            result.outbox = [*result.outbox, *runs.queue_replies(conn, [told], iso(now))]
        event_id = result.event_id or 0
        if item.route or taken or item.left_out:  # (those it names that nobody can ask: for analysts)
            trigger_events.note_event(conn, event_id, item.route, None, item.left_out)
        return Admitted(event_id, "started", result.run_id, result.outbox, trigger.conversation.channel)

    def _refired(self, conn: sqlite3.Connection, last: KeyedEvent, trigger: Trigger, now: datetime) -> Admitted:
        assert last.run_id is not None and last.conversation is not None
        title = trigger.title if trigger.grouped else last.title  # a group's counts its alerts of now
        text = texts.trigger_refired(title, {**last.payload, **trigger.data})
        ids = runs.queue_replies(conn, [Reply(last.run_id, last.conversation, text, kind="info")], iso(now))
        return Admitted(last.id, "repeat", last.run_id, ids, last.conversation.channel)

    def _resolved(self, conn: sqlite3.Connection, item: Admission, last: KeyedEvent | None, now: datetime) -> Admitted:
        trigger = item.trigger
        if last is None:
            event_id = trigger_events.insert_event(conn, trigger, now)
            trigger_events.resolve_event(conn, event_id, {}, now)
            trigger_events.note_event(conn, event_id, item.route, None)
            return Admitted(event_id, "unseen")  # kept, but nothing resolved: no firing of the key came
        if stale_resolution(last, trigger):  # an HA peer's late retry: the incident firing now goes on
            return Admitted(last.id, "stale", last.run_id)
        already = last.status == "resolved"
        trigger_events.resolve_event(conn, last.id, trigger.data, now)
        if already or last.run_id is None or last.conversation is None:
            return Admitted(last.id, "recorded", last.run_id)
        # a group's resolution counts the alerts that resolved, and has no one value to tell (its
        # first alert's is not the group's); Alertmanager's carry their last firing value
        title = trigger.title if trigger.grouped else last.title
        # the value now only when the resolution itself says it (a generic resolution sent as the docs
        # show, the dedup key and the status, named the firing value, still over the threshold)
        current = trigger.source != "alertmanager" and not trigger.grouped and "value" in trigger.data
        text = texts.trigger_resolved(title, {**last.payload, **trigger.data}, current)
        ids = runs.queue_replies(conn, [Reply(last.run_id, last.conversation, text, kind="info")], iso(now))
        return Admitted(last.id, "resolved", last.run_id, ids, last.conversation.channel)
