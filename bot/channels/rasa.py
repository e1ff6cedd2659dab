"""The Rasa channel: rasa-sdk custom actions through which an existing Rasa assistant starts
decision flows and talks through them.

Serve them with ``decisionbot rasa-actions`` (or ``python -m rasa_sdk --actions bot.channels.rasa``).
Each sender is one conversation (``rasa:<sender_id>``) and one person (``rasa:<sender_id>``).
Messages go through the dispatcher like any channel's, so the transcript records them with
channel ``rasa``. Rasa has no push: the replies a turn queues for the caller are returned as the
action's responses and marked sent; those for someone else (an owner's confirmation) wait in the
outbox until that person's sender id calls any of these actions. Each call is one transaction: a
call that fails (rasa-sdk answers 500) leaves nothing, not its turn nor its message's id, so the
same message sent again is taken, not dropped as a repeat.
"""

from __future__ import annotations

import functools
import logging
import zlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from bot import config, texts
from bot.channels import rasa_edge as edge
from bot.channels import rasa_replies as rr
from bot.channels import rasa_store as store
from bot.channels.rasa_edge import InflatedTooLarge, call_refusal, decoded, inflated, log_refusals
from bot.control import TITLE_MAX, CommandResult, actions_of, comes_first, is_command, run_command
from bot.dispatch import Dispatcher
from bot.engine.answers import AnswerError, ParseContext, parse_date, parse_person
from bot.errors import FlowNotFound, FlowRefused, NoDecisionToReview
from bot.flow_catalog import BOT_STARTED, FlowCatalog, watch_flows
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.outbox import Queued, mark_sent
from bot.store import open_db, placing, runs, transaction, utc_now, write_lock
from bot.store.placing import Unplaced


@functools.cache
def dispatcher() -> Dispatcher:
    """The process's dispatcher, built on first use from DECISIONBOT_DB, _FLOWS and _TIMEZONE."""
    db = open_db(config.get("db") or "data/decisions.db", synchronous=config.synchronous())
    catalog = FlowCatalog(Path(config.get("flows") or "flows"), db)
    for refusal in catalog.refusals():  # the other flows run; this one is named
        logging.getLogger("decisionbot").error(refusal)
    return Dispatcher(db, catalog, config.timezone())


class Caller:
    """Who called an action, read from the tracker: the person and their conversation."""

    def __init__(self, action: str, tracker: Tracker, needs_text: bool = False):
        if config.get("rasa_token") and not _EDGE_CHECKED:  # every action, the form's validation too
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
                events = self.act(bot, caller, dispatcher_)
                if key:
                    store.remember(bot.db, key, events, dispatcher_.messages, bot.clock())
        await store.housekeeping(bot)
        return events

    @abstractmethod
    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        """Do the action; utter what the caller should read; return Rasa events. Synchronous: it
        runs in one transaction, which must not stay open while other calls run."""


def hand_over(
    bot: Dispatcher, caller: Caller, out: CollectingDispatcher, queued: list[Queued] | None = None
) -> list[Queued]:
    """Utter the caller's queued replies (``queued``, when just read), oldest first, and mark them
    sent. Returns them."""
    if queued is None:
        queued = rr.pending_for(bot.db, caller.actor, caller.conversation, bot.clock())
    for item in queued:
        out.utter_message(**rr.response(item.reply))
    mark_sent(bot.db, [q.id for q in queued], bot.clock())
    return queued


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


class ActionDecisionStart(DecisionAction):
    """Start slot ``decision_flow`` with the caller as facilitator; respond with the first prompt."""

    action_name = "action_decision_start"

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        known = bot.catalog.startable()
        flow = caller.slots.get("decision_flow")
        if not isinstance(flow, str) or not flow.strip():
            out.utter_message(text=texts.rasa_start_needs_flow(known))
            return []
        if flow.strip() in BOT_STARTED:  # its trigger data would hand any action to anyone
            out.utter_message(text=texts.handover_not_started())
            return []
        people = [p for p in caller.known_people(self.action_name) if p.id != caller.actor.id]
        data = caller.slots.get("decision_data")
        title = str(caller.slots.get("decision_title") or "")
        if len(title) > TITLE_MAX:
            out.utter_message(text=texts.command_title_too_long(len(title), TITLE_MAX))
            return []
        trigger = Trigger(
            flow=flow.strip(),
            source=rr.CHANNEL,
            title=title,
            data=dict(data) if isinstance(data, dict) else {},
            facilitator=caller.actor,
            participants=people,
        )
        try:
            started = bot.start(trigger, caller.conversation)
        except NoDecisionToReview as exc:
            out.utter_message(text=str(exc))
            return []
        except FlowRefused:
            out.utter_message(text=texts.command_flow_refused(trigger.flow))
            return []
        except FlowNotFound:
            out.utter_message(text=texts.command_unknown_flow(flow, known))
            return []
        out.utter_message(text=texts.run_started(started.run_id, trigger.flow))
        if not hand_over(bot, caller, out):  # its first question is for others (a review's owners)
            out.utter_message(text=rr.where_it_stands(bot, caller.actor, caller.conversation, started.run_id))
        return run_slots(started.run_id)


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
                done = None if seen else run_command(bot, caller.actor, caller.conversation, text, message.mentions)
            return carry_out(bot, caller, out, done)
        unseen = rr.pending_for(bot.db, caller.actor, caller.conversation, bot.clock())
        if any(q.reply.kind == "prompt" for q in unseen):  # not taken as an answer to a question never shown
            hand_over(bot, caller, out, unseen)
            return run_slots(unseen[-1].reply.run_id)
        result = bot.answer(message)
        if isinstance(result, Unplaced):  # several questions wait on them: which one
            out.utter_message(text=result.told("buttons"))  # each button's payload names its run
            hand_over(bot, caller, out)
            return []
        if result is None and is_command(text):
            return carry_out(
                bot, caller, out, run_command(bot, caller.actor, caller.conversation, text, message.mentions)
            )
        if result is None:
            closed = placing.closed_for(bot.db.conn, caller.conversation.channel, caller.actor.id)
            out.utter_message(text=closed or texts.rasa_nothing_waiting())
            hand_over(bot, caller, out)
            return []
        if not hand_over(bot, caller, out) and result.outcome.status in ("active", "stalled"):
            out.utter_message(text=rr.where_it_stands(bot, caller.actor, caller.conversation, result.run_id))
        return run_slots(result.run_id if result.outcome.status == "active" else None)


def carry_out(bot: Dispatcher, caller: Caller, out: CollectingDispatcher, done: CommandResult | None) -> list[Any]:
    """A command's answer (None: given already), unless what it queued for the caller says it; then
    their queued replies. ``decision_run`` follows a run started or cancelled."""
    if done is not None and not done.said_by_notice(bot.db.conn, caller.conversation):
        out.utter_message(text=done.text)
    hand_over(bot, caller, out)
    return command_slots(done, caller.slots.get("decision_run"))


class ActionDecisionStatus(DecisionAction):
    """The caller's open runs: where each is and whom it waits for."""

    action_name = "action_decision_status"

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        ids = rr.open_run_ids(bot.db, caller.actor, caller.conversation)
        lines = [rr.where_it_stands(bot, caller.actor, caller.conversation, i) for i in ids]
        out.utter_message(text=texts.rasa_open_runs(lines) if lines else texts.rasa_no_open_runs())
        return asked_run_slots(hand_over(bot, caller, out))


class ActionMyActions(DecisionAction):
    """The caller's open action items with their numbers and due dates (the ``actions`` command)."""

    action_name = "action_my_actions"

    def act(self, bot: Dispatcher, caller: Caller, out: CollectingDispatcher) -> list[Any]:
        out.utter_message(text=run_command(bot, caller.actor, caller.conversation, "actions").text)
        return asked_run_slots(hand_over(bot, caller, out))


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


# --- the server: rasa-sdk's, with action calls checked at the edge ------------------------------


#: True in a process serving build_app's app: the token and each call are checked at the edge.
#: Under plain ``python -m rasa_sdk`` nothing checks the token, so the actions refuse to run.
_EDGE_CHECKED = False


def build_app(executor: Any) -> Any:
    """rasa-sdk's own Sanic app, plus the check of every /webhook body before rasa-sdk reads it
    and the flows folder loaded again when its files change."""
    from rasa_sdk.endpoint import create_app_for_serve
    from sanic import response

    global _EDGE_CHECKED
    _EDGE_CHECKED = True
    app = create_app_for_serve(executor, cors_origins=None)
    edge.refuse_calls_without(config.get("rasa_token"), app)  # before the body is read
    log_refusals(app)  # Rasa's log says "check the logs of your action server"

    @app.before_server_start
    async def log_as_the_primary(_: Any) -> None:
        configure_logging()  # a worker process is spawned: its INFO lines were lost

    @app.after_server_start
    async def reload_flows_when_changed(running: Any) -> None:
        """As ``decisionbot serve`` does: each worker looks at its flows folder once a second and
        loads it again when it changed (the reading in a thread; runs in flight keep their
        version). Sanic cancels the task at shutdown."""
        running.add_task(watch_flows(dispatcher().catalog), name="decisionbot-flows")

    @app.on_request
    async def refuse_bad_calls(request: Any) -> Any:
        if edge.token_refused(request) or request.method != "POST" or request.path.rstrip("/") != "/webhook":
            return None  # refused already (a 401), or no call (rasa-sdk serves /webhook/ too)
        try:
            body = inflated(request, app.config.REQUEST_MAX_SIZE)  # as large as a plain body may be
        except InflatedTooLarge as exc:
            return response.json({"error": texts.rasa_bad_call(str(exc)), "action_name": None}, 413)
        except zlib.error:  # "deflated" but not
            return response.json({"error": texts.rasa_bad_call(texts.rasa_not_json(None)), "action_name": None}, 400)
        try:
            found = call_refusal(decoded(request, body))
        except ValueError as exc:  # not JSON, NaN, a number too large, a lone surrogate, nested too deeply
            found = (rr.action_named(body), texts.rasa_not_json(str(exc)))
        if found is None:
            return None
        name, problem = found
        return response.json({"error": texts.rasa_bad_call(problem), "action_name": name}, status=400)

    return app


def serve(host: str, port: int) -> None:
    """Run the action server with these actions until stopped (what ``python -m rasa_sdk`` runs)."""
    from rasa_sdk import utils
    from rasa_sdk.executor import ActionExecutor
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    configure_logging()
    executor = ActionExecutor()
    executor.register_package(__name__)
    loader = AppLoader(factory=functools.partial(build_app, executor))
    app = loader.load()
    app.prepare(host=host, port=port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


def configure_logging() -> None:
    """rasa-sdk's logging (INFO and up, Sanic's own at LOG_LEVEL_LIBRARIES), in every process."""
    from rasa_sdk import utils

    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
