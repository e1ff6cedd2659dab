"""The turn pipeline: drop duplicate deliveries, find the run, lock it, run the engine, commit.

Every turn is one ``BEGIN IMMEDIATE`` transaction: the inbound message, the answers, the
transitions, the run's new state, the outbound replies (the outbox) and the timers. The run's
row is read inside that transaction, so two turns of one run never interleave, even across
processes. Replies are delivered by the channel after the commit (see ``bot.outbox``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import texts
from bot.engine import runtime
from bot.engine.asking import Outcome
from bot.engine.model import Flow
from bot.engine.reader import load_flows, read_flow_text
from bot.engine.runtime import Turn
from bot.engine.state import RunState
from bot.errors import BotError, FlowNotFound
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import checkpoint, ledger, runs, transaction, utc_now
from bot.store.runs import RunRow


class FlowCatalog:
    """The flows in the folder, and every older version a run in the ledger started on."""

    def __init__(self, folder: Path, db: Database):
        self.folder = folder
        self.db = db
        self.current = load_flows(folder) if folder.is_dir() else {}
        self._versions: dict[tuple[str, str], Flow] = {(f.id, f.version): f for f in self.current.values()}

    def get(self, flow_id: str) -> Flow:
        flow = self.current.get(flow_id)
        if flow is None:
            raise FlowNotFound(texts.cli_unknown_flow(flow_id, sorted(self.current), str(self.folder)))
        return flow

    def version(self, flow_id: str, version: str) -> Flow:
        """The exact version a run started on: in-flight runs finish on their own version."""
        found = self._versions.get((flow_id, version))
        if found is None:
            stored = runs.flow_text(self.db.conn, flow_id, version)
            if stored is None:
                raise FlowNotFound(f"Flow {flow_id} version {version} is not in the ledger.")
            found = self._versions[(flow_id, version)] = read_flow_text(stored[0], stored[1])
        return found


@dataclass
class TurnResult:
    run_id: int
    outcome: Outcome
    outbox: list[int] = field(default_factory=list)
    decision_id: int | None = None


class Dispatcher:
    def __init__(
        self,
        db: Database,
        catalog: FlowCatalog,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = utc_now,
        tz_for: Callable[[Actor], ZoneInfo] | None = None,
    ):
        self.db = db
        self.catalog = catalog
        self.tz = tz
        self.clock = clock
        self.tz_for = tz_for or (lambda actor: tz)
        self.turns_since_checkpoint = 0

    def maintain(self, every: int = 200) -> None:
        """Housekeeping between turns, off their hot path: checkpoint the WAL."""
        if self.turns_since_checkpoint >= every:
            checkpoint(self.db)
            self.turns_since_checkpoint = 0

    def start(self, trigger: Trigger, conversation: ConversationKey) -> TurnResult:
        """Start a run of ``trigger.flow`` in ``conversation``; its first prompts are queued."""
        flow = self.catalog.get(trigger.flow)
        now = self.clock()
        with transaction(self.db) as conn:
            if trigger.data.get("decision_id"):
                self._add_decision(conn, trigger)
            trigger.title = trigger.title or flow.title
            facilitator = trigger.facilitator or Actor(f"{conversation.channel}:facilitator", "facilitator")
            ctx = RunState(
                roles={
                    "facilitator": facilitator.to_dict(),
                    "participants": [p.to_dict() for p in trigger.participants],
                },
                trigger=trigger.fields(),
            )
            runs.ensure_flow_version(conn, flow, now)
            event_id = runs.insert_event(conn, trigger, now)
            run_id = runs.insert_run(conn, flow, event_id, conversation, ctx, now)
            outcome = runtime.start_run(flow, run_id, ctx, conversation, now, self.tz_for)
            outcome.transitions.insert(0, {"from": "", "to": flow.first.id, "event": "start", "actor": facilitator.id})
            row = RunRow(run_id, flow.id, flow.version, conversation, flow.first.id, "active", ctx, event_id)
            return self._commit(conn, row, flow, outcome, None, now)

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
        if not trigger.participants:
            trigger.participants = [Actor.from_dict(p) for p in found["participants"]]

    def handle(self, message: Message, run_id: int | None = None) -> TurnResult | None:
        """One inbound message. None when it belongs to no open run or is a repeated delivery."""
        return self._turn(run_id, message, lambda turn: turn.handle(message))

    def cancel(self, run_id: int, actor: Actor) -> TurnResult | None:
        """Cancel a run at once (an explicit command, not the word 'cancel' in a conversation)."""
        return self._turn(run_id, None, lambda turn: turn.cancel_by(actor))

    def _turn(self, run_id: int | None, message: Message | None, act: Callable[[Turn], Outcome]) -> TurnResult | None:
        if self.turns_since_checkpoint >= 5000:  # a backstop when nobody calls maintain()
            self.maintain()
        now = self.clock()
        with transaction(self.db) as conn:
            channel = message.conversation.channel if message else ""
            if message and message.platform_id and runs.seen_delivery(conn, channel, message.platform_id, now):
                return None
            if run_id is not None:
                row = runs.load_run(conn, run_id)
            elif message is not None:
                row = runs.find_run(conn, message.conversation, message.actor.id)
            else:
                row = None
            if row is None:
                return None
            flow = self.catalog.version(row.flow_id, row.flow_version)
            turn = Turn(flow, row.id, row.state, row.status, row.context, row.conversation, now, self.tz_for)
            return self._commit(conn, row, flow, act(turn), message, now)

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
        outbox = runs.write_turn(conn, row, outcome, message, now)
        remind = flow.timers.remind_after
        active = outcome.status == "active" and row.context.prompts
        if remind or row.status == "active":
            runs.reset_chase_jobs(conn, row.id, now + remind if (remind and active) else None, now)
        decision_id = None
        if outcome.completion is not None:
            decision_id = ledger.write_completion(conn, row, outcome.completion, now, self.tz)
        return TurnResult(row.id, outcome, outbox, decision_id)
