"""The turn pipeline: drop duplicate deliveries, find the run, lock it, run the engine, commit.

Every turn is one ``BEGIN IMMEDIATE`` transaction: the inbound message, the answers, the
transitions, the run's new state, the outbound replies (the outbox) and the timers. The run's
row is read inside that transaction, so two turns of one run never interleave, even across
processes. Replies are delivered by the channel after the commit (see ``bot.outbox``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database
from statemachine.exceptions import TransitionNotAllowed

from bot import chase, ics, lead_left, texts
from bot.dispatch_triggers import Admitting
from bot.engine import handed, timers
from bot.engine.asking import Outcome
from bot.engine.model import Flow
from bot.engine.runtime import Turn
from bot.engine.state import RunState
from bot.errors import BotError, NoDecisionToReview
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Reply, Trigger, placeholder_facilitator
from bot.quiet_hours import QuietHours
from bot.store import checkpoint, handover, iso, jobs, ledger, migrations, placing, readings, runs, transaction, utc_now
from bot.store import events as trigger_events
from bot.store.jobs import Job
from bot.store.placing import Unplaced
from bot.store.runs import RunRow


@dataclass
class TurnResult:
    run_id: int
    outcome: Outcome
    outbox: list[int] = field(default_factory=list)
    decision_id: int | None = None
    event_id: int | None = None
    text: str = ""  # the words the run took (a message's, without the '#12' that named its run)


class Dispatcher(Admitting):
    def __init__(
        self,
        db: Database,
        catalog: FlowCatalog,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = utc_now,
        tz_for: Callable[[Actor], ZoneInfo] | None = None,
        quiet: QuietHours | None = None,
    ):
        self.db = db
        self.catalog = catalog
        self.tz = tz
        self.clock = clock
        self.tz_for = tz_for or (lambda actor: tz)
        self.quiet = quiet  # hours of the day chase timers wait out (DECISIONBOT_QUIET_HOURS)
        self.turns_since_checkpoint = 0

    def maintain(self, every: int = 200) -> None:
        """Housekeeping between turns, off their hot path: the areas' upkeep (the full-text
        index), then a WAL checkpoint."""
        if self.turns_since_checkpoint >= every:
            migrations.upkeep(self.db)
            checkpoint(self.db)
            self.turns_since_checkpoint = 0

    def start(self, trigger: Trigger, conversation: ConversationKey) -> TurnResult:
        """Start a run of ``trigger.flow`` in ``conversation``; its first prompts are queued."""
        flow = self.catalog.get(trigger.flow)
        now = self.clock()
        with transaction(self.db) as conn:
            return self._start_in(conn, flow, trigger, conversation, now)

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
        """``event_id``: the unrouted event of the trigger's key the run starts on, else a new one;
        ``nobody``: those its platform says cannot be asked, by id (looked up as a review's job
        fired): a facilitator among them leads it no more (:func:`bot.lead_left.hand_over`)."""
        if flow.reviews_a_decision and not trigger.data.get("decision_id"):  # it would review nothing
            raise NoDecisionToReview(texts.review_needs_decision(flow.id))
        if trigger.data.get("decision_id"):  # a review: never two of one decision at once
            if under_way := ledger.review_under_way(conn, int(trigger.data["decision_id"]), flow.id):
                raise BotError(texts.review_already_under_way(int(trigger.data["decision_id"]), under_way))
            self._add_decision(conn, trigger)
            if flow.reviews_a_decision:  # held by hand before its date too: a review, not a new trigger
                trigger.kind = "review"
        trigger.title = trigger.title or flow.title
        facilitator = trigger.facilitator or placeholder_facilitator(conversation.channel)
        ctx = RunState(
            roles={
                "facilitator": facilitator.to_dict(),
                "participants": [p.to_dict() for p in trigger.participants],
            },
            trigger=trigger.fields(),
        )
        left = lead_left.hand_over(ctx, nobody or {})
        if left is None:
            ctx.trigger.setdefault("facilitator", facilitator.name)  # prompts name the placeholder until a claim
        else:  # prompts name whoever leads it now, not who left
            ctx.trigger["facilitator"] = ctx.facilitator.name
        runs.ensure_flow_version(conn, flow, now)
        if event_id is None:
            event_id = trigger_events.insert_event(conn, trigger, now)
        else:
            trigger_events.take_over_event(conn, event_id, trigger, now)
        run_id = runs.insert_run(conn, flow, event_id, conversation, ctx, now)
        turn = Turn(flow, run_id, flow.first.id, "active", ctx, conversation, now, self.tz_for)
        outcome = turn.start()
        if left is not None:
            lead_left.tell(conn, turn, left, starting=True)
        outcome.transitions.insert(0, {"from": "", "to": flow.first.id, "event": "start", "actor": ctx.facilitator.id})
        row = RunRow(run_id, flow.id, flow.version, conversation, flow.first.id, "active", ctx, event_id)
        result = self._commit(conn, row, flow, outcome, None, now)
        result.event_id = event_id
        return result

    @staticmethod
    def _add_decision(conn: sqlite3.Connection, trigger: Trigger) -> None:
        """A review's trigger names a decision: bring its text, actions and people along."""
        found = ledger.decision_context(conn, int(trigger.data["decision_id"]))
        if found is None:
            raise BotError(texts.unknown_decision(trigger.data["decision_id"]))
        trigger.data.update({k: v for k, v in found.items() if k not in ("facilitator", "participants", "title")})
        trigger.title = trigger.title or found["title"]
        if trigger.facilitator is None and found["facilitator"]:
            trigger.facilitator = Actor.from_dict(found["facilitator"])
            trigger.data.pop("claimable", None)  # led by the decision's facilitator, not its first speaker
        if not trigger.participants:
            trigger.participants = [Actor.from_dict(p) for p in found["participants"]]

    def handle(self, message: Message, run_id: int | None = None) -> TurnResult | None:
        """One inbound message to run ``run_id`` (None: the run :meth:`answer` places it in). None
        when it belongs to no open run (or to no one run of several) or is a repeated delivery."""
        found = self._turn(run_id, message)
        return None if isinstance(found, Unplaced) else found

    def answer(self, message: Message, replying_to: int | None = None) -> TurnResult | Unplaced | None:
        """A typed message naming no run (a DM, a Teams chat, Rasa), placed by ``placing.place``
        (``replying_to``: the run whose question it replies to). Unplaced: only its delivery id is
        stored (as for one no run takes); the channel asks which question it answers."""
        return self._turn(None, message, replying_to=replying_to)

    def cancel(self, run_id: int, actor: Actor, operator: bool = False) -> TurnResult | None:
        """Cancel a run at once (an explicit command, not the word 'cancel' in a conversation);
        ``operator``: by whoever runs the bot, not someone in the conversation."""
        found = self._turn(run_id, None, lambda turn: turn.cancel_by(actor, operator))
        return None if isinstance(found, Unplaced) else found

    def cancel_for(self, run_id: int, actor: Actor, reason: str) -> TurnResult | None:
        """Cancel a run whose question is moot (:meth:`Turn.cancel_for`), saying ``reason`` in it."""
        found = self._turn(run_id, None, lambda turn: turn.cancel_for(actor, reason))
        return None if isinstance(found, Unplaced) else found

    def _turn(
        self,
        run_id: int | None,
        message: Message | None,
        act: Callable[[Turn], Outcome] | None = None,
        replying_to: int | None = None,
    ) -> TurnResult | Unplaced | None:  # act: else the message is handled
        if self.turns_since_checkpoint >= 5000:  # a backstop when nobody calls maintain()
            self.maintain()
        now = self.clock()
        with transaction(self.db) as conn:
            channel = message.conversation.channel if message else ""
            if message and message.platform_id and runs.seen_delivery(conn, channel, message.platform_id, now):
                return None
            row = runs.load_run(conn, run_id) if run_id is not None else None
            typed = None
            if run_id is None and message is not None:
                placed = placing.place(conn, message.conversation, message.actor.id, message.text, replying_to)
                if not isinstance(placed, placing.Placed):
                    return placed
                typed, message = message.text, replace(message, text=placed.text)  # '#12 yes': the run named, 'yes'
                row = placed.row
            if row is None:
                return None
            flow = self.catalog.version(row.flow_id, row.flow_version)
            if message is not None:
                message = placing.claim(conn, row, message, now)
                act = act or partial(Turn.handle, message=message)  # none of its own: the turn handles the message
            assert act is not None
            turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, self.tz_for)
            try:
                outcome = act(turn)
            except TransitionNotAllowed:
                if message is None:
                    raise
                row = runs.load_run(conn, row.id) or row  # as stored: the turn's changes are dropped
                message = placing.claim(conn, row, message, now)
                turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, self.tz_for)
                outcome = turn.no_way_on(message)
            if row.status == "stalled" and outcome.status == "active" and message is not None:
                outcome.transitions.insert(
                    0, {"from": row.state, "to": row.state, "event": "resume", "actor": message.actor.id}
                )
            kept = replace(message, text=typed) if message is not None and typed is not None else message
            result = self._commit(conn, row, flow, outcome, kept, now)  # the transcript keeps it as typed
            result.text = message.text if message is not None else ""
            return result

    def _commit(
        self,
        conn: sqlite3.Connection,
        row: RunRow,
        flow: Flow,
        outcome: Outcome,
        message: Message | None,
        now: datetime,
    ) -> TurnResult:
        self.turns_since_checkpoint += 1
        if outcome.completion is not None and ledger.note_changed_meanwhile(conn, outcome.completion):
            outcome.replies = [
                replace(r, text=texts.summary(outcome.completion)) if r.kind == "summary" else r
                for r in outcome.replies
            ]
        outbox = runs.write_turn(conn, row, outcome, message, now)
        remind = timers.first_delay(flow.timers)
        active = outcome.status == "active" and row.context.prompts
        if (remind or row.status == "active") and outcome.activity:  # chatter leaves the silent's chain as it was
            runs.reset_chase_jobs(conn, row.id, now + remind if (remind and active) else None, now)
        decision_id = None
        if outcome.completion is not None:
            # the review date is a day on the facilitator's calendar: time its job and invite there
            zone = self.tz_for(Actor.from_dict(outcome.completion["facilitator"]))
            decision_id = ledger.write_completion(conn, row, outcome.completion, now, zone)
            invite = ics.review_invite(flow, outcome.completion, row.context.participants, decision_id, zone, now)
            if invite is not None:
                outbox += self._attach(conn, row, outcome, outbox, invite, now)
            outbox += self._ask_new_owner(conn, outcome.completion, now)
        return TurnResult(row.id, outcome, outbox, decision_id)

    def _ask_new_owner(self, conn: sqlite3.Connection, record: dict[str, Any], now: datetime) -> list[int]:
        """An action handed over (``give A12 @person``, accepted): each run under way that asks
        about it (its review) asks the new owner instead of the old one. The outbox ids queued."""
        taken = handover.taken(conn, record)
        if taken is None:
            return []
        action_id, old, new, asking = taken
        queued: list[int] = []
        for run_id in asking:
            row = runs.load_run(conn, run_id)
            if row is None:
                continue
            flow = self.catalog.version(row.flow_id, row.flow_version)
            turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, self.tz_for)
            queued += runs.write_turn(conn, row, handed.ask_new_owner(turn, action_id, old, new), None, now)
        return queued

    @staticmethod
    def _attach(
        conn: sqlite3.Connection,
        row: RunRow,
        outcome: Outcome,
        outbox: list[int],
        invite: dict[str, str],
        now: datetime,
    ) -> list[int]:
        """The invitation rides on the summary (each one, when it goes to people one by one);
        without one, on a message of its own."""
        summaries = [ident for ident, r in zip(outbox, outcome.replies, strict=True) if r.kind == "summary"]
        for ident in summaries:
            runs.attach_to_message(conn, ident, {"attachments": [invite]})
        if summaries:
            return []
        reply = Reply(row.id, row.conversation, texts.invite_attached(invite["filename"]), kind="info")
        ids = runs.queue_replies(conn, [reply], iso(now))
        runs.attach_to_message(conn, ids[0], {"attachments": [invite]})
        return ids

    # --- timers: the jobs of runs -------------------------------------------------------------

    def run_job(self, job: Job, nobody: Mapping[str, str] | None = None, down: str | None = None) -> str:
        """Fire one claimed job of a run (remind, escalate, expire, start_flow) in one
        transaction; returns the outcome written on the job. ``nobody``: those of the people it
        reaches whom their platform says nobody can ask, by id (as the scheduler looked them up);
        ``down``: why the channel of the run it chases fails now, if it does."""
        now = self.clock()
        with transaction(self.db) as conn:
            current = jobs.load_job(conn, job.id)
            if current is None or current.done_at is not None:
                return "gone"
            if current.due_at > iso(now):  # a turn moved the chain while the job was claimed
                jobs.release_job(conn, job.id)
                return "moved"
            if current.kind == "start_flow":
                outcome = chase.review_put_off(self, conn, current, now) or self._start_flow(
                    conn, current, now, nobody or {}
                )
            else:
                outcome = chase.chase(self, conn, current, now, down, nobody)
            jobs.finish_job(conn, job.id, outcome, now)
            return outcome

    @staticmethod
    def _nudge_stalled(conn: sqlite3.Connection, run_id: int, decision_id: int, now: datetime) -> None:
        """A review held by hand that stalled, still open on the review date (which starts no
        second one): its conversation is told the date has come and whom it waits for, so the
        date does not pass in silence (any answer resumes it)."""
        row = runs.load_run(conn, run_id)
        if row is None or row.status != "stalled":
            return
        waits = list(dict.fromkeys(p.actor.name for p in row.context.prompts if p.asked))
        said = texts.review_date_stalled(decision_id, run_id, waits)
        runs.queue_replies(conn, [Reply(run_id, row.conversation, said, kind="info")], iso(now))

    def _start_flow(self, conn: sqlite3.Connection, job: Job, now: datetime, nobody: Mapping[str, str]) -> str:
        """A review date has come: the review flow starts where the decision was made (the
        conversation, not the decision's thread, long closed: a new thread of its own), with the
        latest value of the metric that led to it; ``nobody``: those of its people who cannot be
        asked (by id: ``deactivated``, ...)."""
        decision_id = int(job.payload["decision_id"])
        origin = runs.decision_origin(conn, decision_id)
        if origin is None:
            raise BotError(texts.unknown_decision(decision_id))
        conversation, status, event_ids = origin
        if status in ("changed", "dropped"):
            return f"skipped: decision {status}"
        flow = self.catalog.get(job.payload.get("flow") or "decision_review")
        if (under_way := ledger.review_under_way(conn, decision_id, flow.id)) is not None:
            self._nudge_stalled(conn, under_way, decision_id, now)
            return texts.job_review_under_way(decision_id, under_way)  # started by hand, before its date
        lead = job.payload.get("facilitator")  # who set its date (none on jobs of older releases: the decision's)
        trigger = Trigger(flow=flow.id, source="schedule", kind="review", data={"decision_id": decision_id})
        trigger.facilitator = Actor.from_dict(lead) if lead else None
        self._add_decision(conn, trigger)  # its facilitator, in whose zone the reading is shown (again: no change)
        reading = next(filter(None, (readings.event_reading(conn, e) for e in event_ids)), None)
        if reading is not None:
            zone = self.tz_for(trigger.facilitator) if trigger.facilitator else self.tz
            trigger.data["latest"] = texts.latest_reading(reading, zone)
        where = ConversationKey(conversation.channel, conversation.conversation)
        trigger.participants = [p for p in trigger.participants if p.id not in nobody]  # nobody can ask them
        result = self._start_in(conn, flow, trigger, where, now, nobody=nobody)
        if not any(r.conversation == where and not r.private for r in result.outcome.replies):
            # all it asks first is asked directly (its conversation told nothing, not even that its
            # facilitator left): it is told the review began (and if that conversation refuses the
            # bot now, archived or without it, its facilitator hears at once)
            asked = [r.to for r in result.outcome.replies if r.to is not None and r.to.id not in nobody]
            owners = list(dict.fromkeys(person.name for person in asked))  # not one who left: never reached
            opened = texts.review_opened(trigger.title or flow.title, owners)
            runs.queue_replies(conn, [Reply(result.run_id, where, opened, kind="info")], iso(now))
        runs.review_started(conn, decision_id, result.run_id)
        return f"done: run {result.run_id}"
