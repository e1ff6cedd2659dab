"""The Rasa form's validation: ``decision_due`` and ``decision_owner`` read by the engine's own
parsers, for teams that fill them in a Rasa form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import texts
from bot.channels import rasa_replies as rr
from bot.channels.rasa_call import Caller, dispatcher
from bot.engine.answers import AnswerError, ParseContext, parse_date
from bot.engine.people import parse_person
from bot.store import utc_now


class ValidateDecisionForm(FormValidationAction):
    """Validates a Rasa form's ``decision_due`` (a date, not before today) and ``decision_owner``
    (a person) with the engine's own parsers; a miss empties the slot and says what is expected."""

    def name(self) -> str:
        return "validate_decision_form"

    async def run(self, dispatcher_: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        Caller(self.name(), tracker)  # refuses a tracker without a usable sender before any slot
        return list(await super().run(dispatcher_, tracker, domain))

    def _context(self, tracker: Tracker) -> tuple[ParseContext, Caller]:
        caller = Caller(self.name(), tracker)
        people = tuple(caller.known_people(self.name()))
        text = str(caller.latest.get("text") or "")
        ctx = ParseContext(
            now=utc_now(),
            tz=dispatcher().tz,
            speaker=caller.actor,
            people=people,
            mentions=rr.mentions(text, list(people)),
            channel=rr.CHANNEL,
        )
        return ctx, caller

    async def validate_decision_due(
        self, value: Any, out: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        ctx, _ = self._context(tracker)
        try:
            due = parse_date(rr.slot_text(value), ctx, not_before=ctx.today)
        except AnswerError as exc:
            out.utter_message(text=texts.answer_error(exc.code, exc.params, rr.CHANNEL))
            return {"decision_due": None}
        return {"decision_due": due.isoformat()}

    async def validate_decision_owner(
        self, value: Any, out: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        ctx, _ = self._context(tracker)
        try:
            owner = parse_person(rr.slot_text(value), ctx)
        except AnswerError as exc:
            out.utter_message(text=texts.answer_error(exc.code, exc.params, rr.CHANNEL))
            return {"decision_owner": None, "decision_owner_id": None}
        return {"decision_owner": owner.name, "decision_owner_id": owner.id}
