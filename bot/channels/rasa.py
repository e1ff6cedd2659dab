"""The Rasa channel: rasa-sdk custom actions through which an existing Rasa assistant starts
decision flows and talks through them.

Serve them with ``decisionbot rasa-actions`` (or ``python -m rasa_sdk --actions bot.channels.rasa``):
rasa-sdk registers every action this module loads, the form's validation (:mod:`rasa_form`) too.
Each sender is one conversation (``rasa:<sender_id>``) and one person (``rasa:<sender_id>``).
Messages go through the dispatcher like any channel's, so the transcript records them with
channel ``rasa``. Rasa has no push: the replies a turn queues for the caller are returned as the
action's responses and marked sent; those for someone else (an owner's confirmation) wait in the
outbox until that person's sender id calls any of these actions. Each call is one transaction: a
call that fails (rasa-sdk answers 500) leaves nothing, not its turn nor its message's id, so the
same message sent again is taken, not dropped as a repeat.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot import texts
from bot.channels import rasa_replies as rr
from bot.channels import rasa_store as store
from bot.channels.rasa_call import (
    Caller,
    DecisionAction,
    asked_run_slots,
    command_slots,
    hand_over,
    run_slots,
    say,
)
from bot.channels.rasa_form import ValidateDecisionForm
from bot.control import (
    TITLE_MAX,
    CommandResult,
    actions_of,
    answers_words,
    comes_first,
    command_words,
    run_command,
    run_command_kept,
)
from bot.dispatch import Dispatcher, TurnResult
from bot.errors import BotError, FlowNotFound, FlowRefused
from bot.flow_catalog import BOT_STARTED
from bot.model import CHAT, Message, Trigger
from bot.store import placing, runs, starts, transaction
from bot.store.placing import Unplaced

__all__ = [
    "ActionDecisionAnswer",
    "ActionDecisionStart",
    "ActionDecisionStatus",
    "ActionMyActions",
    "ValidateDecisionForm",
]


class ActionDecisionStart(DecisionAction):
    """Start slot ``decision_flow`` with the caller as facilitator; respond with the first prompt."""

    action_name = "action_decision_start"

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        known = bot.catalog.startable_in_chat()  # what the sender may say: a review starts on its date
        flow = caller.slots.get("decision_flow")
        if not isinstance(flow, str) or not flow.strip():
            say(out, texts.rasa_start_needs_flow(known))
            return []
        if flow.strip() in BOT_STARTED:  # its trigger data would hand any action to anyone
            say(out, texts.handover_not_started())
            return []
        people = [p for p in caller.known_people(self.action_name) if p.id != caller.actor.id]
        data = caller.slots.get("decision_data")
        title = " ".join(str(caller.slots.get("decision_title") or "").split())  # one line, as a title is
        if len(title) > TITLE_MAX:
            say(out, texts.command_title_too_long(len(title), TITLE_MAX))
            return []
        if problem := _data_refused(data):
            say(out, problem)
            return []
        if (
            isinstance(data, dict)
            and data.get("decision_id")
            and not rr.leads_decision(bot.db, data["decision_id"], caller.actor.id)
        ):  # the sender id is the channel's word; the decision must be theirs to review
            say(out, texts.rasa_decision_not_led(data["decision_id"]))
            return []
        trigger = Trigger(
            flow=flow.strip(),
            source=rr.CHANNEL,
            title=title,
            data={**(data if isinstance(data, dict) else {}), "via": CHAT},  # a slot says no other way in
            facilitator=caller.actor,
            participants=people,
        )
        try:
            started = started_said(bot, caller, trigger)
        except FlowRefused:
            say(out, texts.command_flow_refused(trigger.flow))
            return []
        except FlowNotFound:
            say(out, texts.command_unknown_flow(flow, known))
            return []
        except BotError as exc:  # no decision to review, or a review of it under way (named, to answer or cancel)
            say(out, str(exc))
            return []
        say(out, texts.run_started(started.run_id, trigger.flow))
        if not hand_over(bot, caller, out):  # its first question is for others (a review's owners)
            say(out, rr.where_it_stands(bot, caller.actor, caller.conversation, started.run_id))
        return run_slots(started.run_id)


def _data_refused(data: object) -> str | None:
    """Why slot ``decision_data`` can start nothing: not an object, or a ``decision_id`` no decision's
    number (``true`` would read as decision 1); None when it may."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return texts.rasa_data_not_an_object(data)
    number = data.get("decision_id")  # a string goes on: "12" is decision 12, "abc" none the sender led
    if number is None or isinstance(number, str) or (isinstance(number, int) and not isinstance(number, bool)):
        return None
    if isinstance(number, float) and number.is_integer():  # a Rasa float slot's 12.0
        return None
    return texts.rasa_decision_id_not_a_number(number)


def started_said(bot: Dispatcher, caller: Caller, trigger: Trigger) -> TurnResult:
    """``trigger``'s run started, its transcript begun, as a start typed is, with the caller's
    message that made the assistant start it (its ``latest_message``: text as typed, payload as
    Rasa sent it); none when that message has no text."""
    text = str(caller.latest.get("text") or "").strip()
    said = starts.StartSaid(caller.actor, text, bot.clock(), caller.latest)
    with transaction(bot.db) as conn:
        platform_id = store.message_key(caller.sender_id, caller.latest.get("message_id"))
        start = partial(bot.start, trigger, caller.conversation)
        return starts.kept_start(conn, said if text else None, caller.conversation, platform_id, start, _run_id)


def _run_id(started: TurnResult) -> int:
    return started.run_id


class ActionDecisionAnswer(DecisionAction):
    """The latest user message, as an answer in the run the dispatcher places it in (``#12 yes``,
    the caller's conversation's, the one waiting on them; several waiting: which one), or a bot
    command when nothing waits for them. A question nobody showed them yet is handed over first
    (a command that answers no question, ``done A12``, is carried out before it)."""

    action_name = "action_decision_answer"
    needs_text = True

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        text = str(caller.latest["text"]).strip()
        platform_id = store.message_key(caller.sender_id, caller.latest.get("message_id"))
        if platform_id and rr.already_seen(bot.db, platform_id):
            hand_over(bot, caller, out)  # the same user message again: nothing new to do
            return []
        message = Message(
            conversation=caller.conversation,
            actor=caller.actor,
            text=text,
            platform_id=platform_id,
            mentions=rr.mentions(text, caller.known_people(self.action_name)),
            raw=caller.latest,
        )
        if comes_first(text, bot.catalog.current, actions_of(bot, caller.actor.id)):  # 'done A12': never an answer
            with transaction(bot.db) as conn:
                seen = platform_id is not None and runs.seen_delivery(conn, rr.CHANNEL, platform_id, bot.clock())
                done = None if seen else command(bot, caller, message, conn)
            return carry_out(bot, caller, out, done)
        unseen = rr.pending_for(bot.db, caller.actor, caller.conversation, bot.clock())
        if any(q.reply.kind == "prompt" for q in unseen):  # not taken as an answer to a question never shown
            hand_over(bot, caller, out, unseen)
            return run_slots(unseen[-1].reply.run_id)
        result = bot.answer(message)
        if isinstance(result, Unplaced) and answers_words(text):  # "hlep", "thanks!", "staus 3": answered as such
            result = None
        if isinstance(result, Unplaced):  # several questions wait on them: which one
            closed = rr.named_closed(bot.db, result.named, caller.actor.id) if result.named is not None else None
            # a button of a question closed since (each button's payload names its run): what became of it
            say(out, closed if closed and not result.asking else result.told("buttons"))
            hand_over(bot, caller, out)
            return []
        if result is None and answers_words(text):
            with transaction(bot.db) as conn:
                done = command(bot, caller, message, conn)
            return carry_out(bot, caller, out, done)
        if result is None:
            closed = placing.closed_for(bot.db.conn, caller.conversation.channel, caller.actor.id)
            hand_over(bot, caller, out)  # news first (their run cancelled meanwhile), then that nothing waits
            say(out, closed or texts.rasa_nothing_waiting())
            return []
        if not hand_over(bot, caller, out):  # an answer that ended a run of another's conversation too
            say(out, rr.where_it_stands(bot, caller.actor, caller.conversation, result.run_id))
        return run_slots(result.run_id if result.outcome.status == "active" else None)


def command(bot: Dispatcher, caller: Caller, message: Message, conn: sqlite3.Connection) -> CommandResult:
    """A chat command typed to the assistant, carried out as on every channel; but ``list`` is the
    open runs the sender takes part in, as ``action_decision_status`` lists them: a Rasa sender's
    conversation holds only the runs they started, not those of the meetings they were in. A
    ``start`` begins its run's transcript with the words typed (:func:`run_command_kept`)."""
    words = command_words(message.text)
    if words and words[0].lower() == "list":
        rows = rr.open_runs(bot, caller.actor, caller.conversation)
        return CommandResult(texts.rasa_run_list(rows), runs=rows, about=tuple(int(str(r["id"])) for r in rows))
    return run_command_kept(bot, conn, message, caller.conversation, CHAT)


def carry_out(bot: Dispatcher, caller: Caller, out: CollectingDispatcher, done: CommandResult | None) -> list[Any]:
    """A command's answer (None: given already), unless what it queued for the caller says it; then
    their queued replies. ``decision_run`` follows a run started or cancelled."""
    if done is not None and not done.said_by_notice(bot.db.conn, caller.conversation):
        say(out, done.text)
    hand_over(bot, caller, out)
    return command_slots(done, caller.slots.get("decision_run"))


class ActionDecisionStatus(DecisionAction):
    """The caller's open runs: where each is and whom it waits for."""

    action_name = "action_decision_status"

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        ids = [int(str(r["id"])) for r in rr.open_runs(bot, caller.actor, caller.conversation)]
        lines = [rr.where_it_stands(bot, caller.actor, caller.conversation, i) for i in ids]
        say(out, texts.rasa_open_runs(lines) if lines else texts.rasa_no_open_runs())
        return asked_run_slots(hand_over(bot, caller, out))


class ActionMyActions(DecisionAction):
    """The caller's open action items with their numbers and due dates (the ``actions`` command)."""

    action_name = "action_my_actions"

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        say(out, run_command(bot, caller.actor, caller.conversation, "actions").text)
        return asked_run_slots(hand_over(bot, caller, out))
