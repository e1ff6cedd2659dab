"""What every Rasa action does with a call: the process's dispatcher, the caller read from the
tracker (refused with a 400 naming what is wrong), the call answered once (a retry of it gets the
same answer again), and the caller's queued replies handed over as the action's responses."""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from bot import config, texts
from bot.channels import rasa_edge as edge
from bot.channels import rasa_replies as rr
from bot.channels import rasa_store as store
from bot.control import CommandResult
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey
from bot.outbox import Queued, mark_sent
from bot.store import open_db, runs, transaction, write_lock


@functools.cache
def dispatcher() -> Dispatcher:
    """The process's dispatcher, built on first use from DECISIONBOT_DB, _FLOWS and _TIMEZONE."""
    db = open_db(config.get("db") or "data/decisions.db", synchronous=config.synchronous())
    catalog = FlowCatalog(Path(config.get("flows") or "flows"), db)
    for refusal in catalog.refusals():  # the other flows run; this one is named
        logging.getLogger("decisionbot").error(refusal)
    for twin in [] if edge.CHECKED else catalog.twin_warnings():  # rasa-actions said it at start
        logging.getLogger("decisionbot").warning(twin)  # 'post_meeting.yml' beside the flow file: never read
    return Dispatcher(db, catalog, config.timezone())


class Caller:
    """Who called an action, read from the tracker: the person and their conversation."""

    def __init__(self, action: str, tracker: Tracker, needs_text: bool = False):
        if config.get("rasa_token") and not edge.CHECKED:  # every action, the form's validation too
            raise ActionExecutionRejection(action, texts.rasa_token_unchecked())
        state = {
            "sender_id": tracker.sender_id,
            "slots": tracker.slots,
            "events": tracker.events,
            "latest_message": tracker.latest_message,
        }
        problem = rr.tracker_problem(state, needs_text=needs_text)
        if problem:
            raise ActionExecutionRejection(action, texts.rasa_bad_call(problem))
        self.sender_id: str = tracker.sender_id
        self.slots: dict[str, Any] = dict(tracker.slots or {})
        self.actor = rr.actor_of(self.sender_id, self.slots)
        self.conversation: ConversationKey = rr.conversation_of(self.sender_id)
        self.latest: dict[str, Any] = dict(tracker.latest_message or {})

    def known_people(self, action: str) -> list[Actor]:
        try:
            return rr.participants(self.slots.get("decision_participants"))
        except rr.BadCall as exc:
            raise ActionExecutionRejection(action, texts.rasa_bad_call(str(exc))) from exc


class DecisionAction(Action, ABC):
    """What every decisionbot action does: read the caller, act, hand over their queued replies."""

    action_name: str = ""
    needs_text = False

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher_: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        caller = Caller(self.action_name, tracker, self.needs_text)
        bot = dispatcher()
        key = store.call_id(self.action_name, caller.sender_id, caller.latest.get("message_id"))
        # all or nothing: a failed call leaves no turn, no id, no answer; another process's write
        # lock is waited for with the action server's loop serving the other calls
        async with write_lock.holding(bot.db.conn):
            before = store.answered(bot.db, key) if key else None
            if before is not None:  # the same call again (a retry): the same answer, nothing redone
                dispatcher_.messages.extend(before["responses"])
                events: list[Any] = before["events"]
            else:
                named(bot, caller.actor)
                events = self.act(bot, caller, dispatcher_)
                if key:
                    store.remember(bot.db, key, events, dispatcher_.messages, bot.clock())
        await store.housekeeping(bot)
        return events

    @abstractmethod
    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        """Do the action; utter what the caller should read; return Rasa events. Synchronous: it
        runs in one transaction, which must not stay open while other calls run."""


def named(bot: Dispatcher, actor: Actor) -> None:
    """``actor`` named as they name themselves (``decision_user_name``) in the open runs that
    know them only by their sender id (``@p10``, from a start's participants or an answer), on
    any call: someone else's answer to their question, ``status N`` and ``list`` name them so
    before they answer in the run (their answer names them there too: ``placing.claim``)."""
    if actor.named_by_id:
        return
    with transaction(bot.db) as conn:
        runs.name_in_open_runs(conn, [actor])


def hand_over(
    bot: Dispatcher, caller: Caller, out: CollectingDispatcher, queued: list[Queued] | None = None
) -> list[Queued]:
    """Utter the caller's queued replies (``queued``, when just read), oldest first, and mark them
    sent. Returns them."""
    if queued is None:
        queued = rr.pending_for(bot.db, caller.actor, caller.conversation, bot.clock())
    for item in queued:
        for response in rr.responses(rr.with_question_buttons(bot.db, item.reply, caller.actor.id)):
            out.utter_message(**response)
    here = str(caller.conversation)  # an owner's question of another's run, said in the owner's own conversation
    said_in = {q.id: here for q in queued if str(q.reply.conversation) != here}
    mark_sent(bot.db, [q.id for q in queued], bot.clock(), said_in=said_in)
    return queued


def say(out: CollectingDispatcher, text: str) -> None:
    """Utter ``text`` to the caller: a long one (a list, a command's answer) in several responses
    that each fit a Rasa channel's message (:func:`rasa_replies.parts`)."""
    for part in rr.parts(text):
        out.utter_message(text=part)


def run_slots(run_id: int | None) -> list[Any]:
    return [SlotSet("decision_run", run_id)]


def asked_run_slots(handed: list[Queued]) -> list[Any]:
    """``decision_run`` = the run of the last question handed over, as an answer's call sets it
    (the caller's next answer goes there); nothing when no question was handed over."""
    asked = [q.reply.run_id for q in handed if q.reply.kind == "prompt"]
    return run_slots(asked[-1]) if asked else []


def command_slots(done: CommandResult | None, decision_run: Any) -> list[Any]:
    """``start FLOW`` typed to the assistant: ``decision_run`` is the new run, as after
    ``action_decision_start``; ``cancel N`` of the run it names: empty, as after a run's end."""
    if done is not None and done.started is not None:
        return run_slots(done.started.run_id)
    if done is not None and done.cancelled is not None and done.cancelled.run_id == decision_run:
        return run_slots(None)
    return []
