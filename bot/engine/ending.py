"""Leaving a step along its branch, and a run's end: completed (the record, the summary to whom the flow
says) or cancelled (by its facilitator, by whoever runs the bot, or by a branch that ends it)."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.engine import shown
from bot.engine.asking import Outcome, TurnBase
from bot.engine.model import Step
from bot.engine.record import build_record
from bot.engine.timers import lead_refused, may_lead
from bot.model import Actor

#: The channels whose conversation holds every run of its person (a Rasa sender's own), where a
#: run's end is told naming the run ("Run #3 ('Weekly sync') cancelled by ann."); elsewhere it is
#: told in the run's own thread or terminal, which names it.
NAMED_END = frozenset({"rasa"})


class Ending(TurnBase):
    def complete_step(self, step: Step, actor: Actor | None) -> None:
        self.ctx.path.append(step.id)
        after = self.transition("next", actor, **self.guard_values())
        if after == "completed":
            if not self.ctx.prompts:
                self._finish()
            else:
                self.say(texts.waiting_for_confirmations(self.ctx.addressees()), to=actor)
                self.ask_waiting()
        elif after == "cancelled":  # a branch the flow ends without a decision ('goto: cancelled')
            self._ended(texts.cancelled_by_branch(shown.named(step), self.run_named()))
        else:
            self.enter(after, actor)

    def _finish(self) -> None:
        self.out.status = "completed"
        record = build_record(self.flow, self.ctx, self.run_id)
        self.out.completion = record
        for action in self.flow.on_complete:
            where = action.get("post_summary")
            if where == "conversation":
                self.say(texts.summary(record), kind="summary")
            elif where:  # privately: to the facilitator, or to everyone in the run, once each
                for person in self._summary_readers(record, everyone=where == "participants"):
                    self.say(texts.summary(record), to=person, kind="summary", private=True)

    def _summary_readers(self, record: dict[str, Any], everyone: bool) -> list[Actor]:
        people = [self.ctx.facilitator]
        if everyone:
            owners = [Actor(a["owner"], a["owner_name"] or a["owner"]) for a in record["actions"] if a.get("owner")]
            people += [*self.ctx.participants, *owners]
        once: dict[str, Actor] = {}
        for person in people:
            once.setdefault(person.id, person)
        return list(once.values())

    def cancel_by(self, actor: Actor, operator: bool = False) -> Outcome:
        """An explicit cancel (a slash command or a card button): no confirmation step.
        ``operator``: by whoever runs the bot (``decisionbot runs cancel``), who may cancel any
        open run and is told on the command line, not in the conversation."""
        self.out.inbound_kind = "command"
        if operator:
            if self.out.status not in ("completed", "cancelled"):
                self._cancel(actor, texts.cancelled_by_operator(self.run_named()))
        elif self.out.status in ("completed", "cancelled"):
            self.say(self.closed_note(), to=actor, kind="error", private=True)
        elif not may_lead(self.ctx, actor.id):
            self.say(lead_refused(self.ctx, "cancel the run"), to=actor, kind="error", private=True)
        else:
            self._cancel(actor, texts.cancelled(actor.name, self.run_named()))
        return self.out

    def cancel_for(self, actor: Actor, reason: str) -> Outcome:
        """Cancelled because what it asks is moot (the handover of an action since dropped or done,
        ``actor``'s doing): ``reason`` is what its conversation is told; no permission to check."""
        self.out.inbound_kind = "command"
        if self.out.status not in ("completed", "cancelled"):
            self._cancel(actor, reason)
        return self.out

    def run_named(self) -> tuple[int, str] | None:
        """The run's number and title for the notice of its end, where its conversation is not
        its own (:data:`NAMED_END`); None where it is."""
        return (self.run_id, self.title) if self.conversation.channel in NAMED_END else None

    def _cancel(self, actor: Actor, reason: str) -> None:
        self.transition("cancel", actor)
        self._ended(reason)

    def _ended(self, reason: str) -> None:
        self.out.status = "cancelled"
        self.ctx.prompts = []
        self.ctx.confirm = None
        self.say(reason, kind="summary")
