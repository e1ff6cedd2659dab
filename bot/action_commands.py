"""The chat commands on actions after their decision: ``actions`` (the caller's open ones and
those of the decisions they lead), ``done A12`` (reported done), ``due A12 DATE`` (its due date
moved), ``drop A12 [why]`` (dropped: it will not be done) and ``give A12 @person [why]`` (offered
to someone else, who takes it over by saying yes). The owner or the decision's
facilitator may do each; anyone else is told there is no such action of theirs. The decision's
own conversation is told of each change, so the team sees the work move; the ledger keeps every
change (``action_changes``) and what was typed (the run's transcript)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date, datetime, tzinfo

from bot import texts
from bot.command_result import CommandResult, action_id_of
from bot.dispatch import Dispatcher
from bot.engine import answers, dates, people
from bot.engine.answers import FURTHEST_YEARS, ParseContext, furthest_day
from bot.errors import FlowNotFound, FlowRefused
from bot.model import Actor, ConversationKey, Reply, Trigger
from bot.store import actions, iso, runs, transaction
from bot.store.actions import ActionRow


def open_actions(dispatcher: Dispatcher, actor: Actor) -> CommandResult:
    """The caller's open actions, and those of the decisions they lead (which they may report
    done in the owner's place), each with its code for ``done A12``; overdue by the caller's
    own calendar."""
    conn = dispatcher.db.conn
    own, led = actions.open_actions(conn, actor.id), actions.led_by(conn, actor.id)
    if not own and not led:
        return CommandResult(texts.no_open_actions(), private=True)
    today = dispatcher.clock().astimezone(dispatcher.tz_for(actor)).date().isoformat()
    name = _named_as_owner(own[0], actor).name if own else actor.name
    parts = [texts.owner_digest(name, actions.listed(own, today))] if own else []
    if led:
        parts.append(texts.actions_led(actions.listed(led, today), [a.owner_name or a.owner_id or "" for a in led]))
    return CommandResult("\n".join(parts), private=True)


def report_done(
    dispatcher: Dispatcher, actor: Actor, conversation: ConversationKey, text: str, args: list[str]
) -> CommandResult:
    """``done A12``: the owner of action A12 (or its decision's facilitator, in their place) reports it
    done. One action a command: ``done A1 A2`` (or ``A1, A2``) is refused, saying so, not A1 done alone."""
    codes = [f"A{n}" for word in args if (n := action_id_of([word.rstrip(",;.")])) is not None]
    if len(codes) > 1:
        return CommandResult(texts.command_one_action_at_a_time(codes), ok=False)
    action_id = action_id_of(args)
    if action_id is None:
        return CommandResult(texts.command_needs_action(), ok=False)
    with transaction(dispatcher.db) as conn:
        action = _open_action(conn, action_id, actor, dispatcher.tz_for(actor))
        if isinstance(action, CommandResult):
            return action
        actor = _named_as_owner(action, actor)
        now = dispatcher.clock()
        actions.mark_done(conn, action, actor, conversation, text.strip(), now)
        owner = _in_place_of(action, actor)
        notice = texts.action_reported_done(actor.name, owner, action.what, action.title)
        home = _tell_the_decision(conn, action, notice, iso(now))
        _handover_moot(dispatcher, conn, action, actor, done=True)
    return _told(texts.action_marked_done(action.what, action.title, owner), home, action)


def move_due(
    dispatcher: Dispatcher,
    actor: Actor,
    conversation: ConversationKey,
    text: str,
    args: list[str],
    locale: str | None = None,
) -> CommandResult:
    """``due A12 next friday``: the action's due date moves (later or earlier, not into the past of
    the caller's calendar); the date is read as answers to a date question are (``locale``: the
    writer's, as their answers are read: ``03/04/2027`` from en-GB is 3 April)."""
    action_id, phrase = action_id_of(args), " ".join(args[1:])
    phrase = phrase[3:] if phrase[:3].casefold() == "to " else phrase  # "due A12 to next friday"
    if action_id is None or not phrase:
        return CommandResult(texts.command_needs_due(), ok=False)
    with transaction(dispatcher.db) as conn:
        action = _open_action(conn, action_id, actor, dispatcher.tz_for(actor))
        if isinstance(action, CommandResult):
            return action
        actor = _named_as_owner(action, actor)
        now = dispatcher.clock()
        local = now.astimezone(dispatcher.tz_for(actor))
        day = _day(phrase, local, locale, f"A{action_id}")
        if isinstance(day, str):
            return CommandResult(day, ok=False)
        if day < local.date():
            return CommandResult(texts.action_due_past(day.isoformat(), local.date().isoformat()), ok=False)
        if day > (furthest := furthest_day(local.date())):  # 9999-12-31, a year mistyped
            return CommandResult(
                texts.answer_error("date_too_far", {"bound": furthest, "years": FURTHEST_YEARS}), ok=False
            )
        if day.isoformat() == action.due:
            return CommandResult(texts.action_due_unchanged(action.what, action.due))
        actions.move_due(conn, action, actor, conversation, text.strip(), day.isoformat(), now)
        owner = _in_place_of(action, actor)
        notice = texts.action_due_moved(actor.name, owner, action.what, action.title, action.due, day.isoformat())
        home = _tell_the_decision(conn, action, notice, iso(now))
    return _told(texts.action_due_set(action.what, action.due, day.isoformat()), home, action)


def drop(
    dispatcher: Dispatcher, actor: Actor, conversation: ConversationKey, text: str, args: list[str]
) -> CommandResult:
    """``drop A12 [why]``: the action will not be done (its owner left, the plan changed); the
    digest and ``actions`` no longer list it, and analysts count it dropped, with who and why."""
    action_id = action_id_of(args)
    if action_id is None:
        return CommandResult(texts.command_needs_action_to_drop(), ok=False)
    why = " ".join(args[1:]).strip()
    with transaction(dispatcher.db) as conn:
        action = _open_action(conn, action_id, actor, dispatcher.tz_for(actor))
        if isinstance(action, CommandResult):
            return action
        actor = _named_as_owner(action, actor)
        now = dispatcher.clock()
        actions.drop(conn, action, actor, conversation, text.strip(), why, now)
        owner = _in_place_of(action, actor)
        notice = texts.action_dropped_notice(actor.name, owner, action.what, action.title, why)
        home = _tell_the_decision(conn, action, notice, iso(now))
        _handover_moot(dispatcher, conn, action, actor, done=False)
    return _told(texts.action_dropped_now(action.what, action.title), home, action)


#: The built-in flow that asks the new owner of an action handed over (flows/action_handover.yaml).
HANDOVER_FLOW = "action_handover"


def give(
    dispatcher: Dispatcher,
    actor: Actor,
    conversation: ConversationKey,
    text: str,
    args: list[str],
    mentions: Mapping[str, Actor],
    not_people: Mapping[str, str],
) -> CommandResult:
    """``give A12 @carol [why]``: ask someone to take the action over. Owners confirm what they own,
    so nothing changes yet: a run of the handover flow asks the new owner as owners are asked (in
    the decision's conversation, the question by direct message), and its end writes the outcome
    (:mod:`bot.store.handover`)."""
    action_id = action_id_of(args)
    if len(args) > 2 and args[1].casefold() == "to":  # "give A12 to @carol", as it is said
        args = [args[0], *args[2:]]
    if action_id is None or len(args) < 2:
        return CommandResult(texts.command_needs_person_to_give(), ok=False)
    named, why = args[1], " ".join(args[2:]).strip()
    with transaction(dispatcher.db) as conn:
        action = _open_action(conn, action_id, actor, dispatcher.tz_for(actor))
        if isinstance(action, CommandResult):
            return action
        actor = _named_as_owner(action, actor)
        new = _new_owner(dispatcher, conn, action, actor, named, mentions, not_people)
        if isinstance(new, CommandResult):
            return new
        if new.id == action.owner_id:
            return CommandResult(texts.give_to_owner(action.what, new.name), ok=False)
        if (pending := actions.handover_pending(conn, action.id)) is not None:
            return CommandResult(texts.give_already_asked(action.what, pending[1], pending[0]), ok=False)
        home = ConversationKey.parse(action.conversation)
        try:
            started = dispatcher.start(_handover_trigger(action, actor, new, why, home), home)
        except FlowRefused:
            return CommandResult(texts.command_flow_refused(HANDOVER_FLOW), ok=False)
        except FlowNotFound:
            return CommandResult(texts.give_flow_missing(HANDOVER_FLOW), ok=False)
        actions.give_asked(conn, action, actor, conversation, text.strip(), dispatcher.clock())
    return CommandResult(texts.give_asked(new.name, action.what, started.run_id), queued_on=home.channel)


def _new_owner(
    dispatcher: Dispatcher,
    conn: sqlite3.Connection,
    action: ActionRow,
    actor: Actor,
    named: str,
    mentions: Mapping[str, Actor],
    not_people: Mapping[str, str],
) -> Actor | CommandResult:
    """Whom ``named`` names, read as the answer to an owner question of the action's decision is
    (a mention, Slack's ``<@U..>``, a known name, ``me``); else the answer that says why not."""
    if named in not_people:  # a group, a channel, everyone, this bot or another
        return CommandResult(texts.give_not_a_person(named, not_people[named]), ok=False)
    decision = runs.load_run(conn, action.run_id)
    known = tuple(decision.context.known_people()) if decision else ()
    ctx = ParseContext(
        now=dispatcher.clock(),
        tz=dispatcher.tz_for(actor),
        speaker=actor,
        people=known,
        mentions=dict(mentions),
        channel=ConversationKey.parse(action.conversation).channel,
        not_people=dict(not_people),
    )
    try:
        found = people.parse_person(named, ctx)
    except answers.AnswerError as exc:
        problem = texts.answer_error(exc.code, exc.params, ctx.channel)
        return CommandResult(texts.give_who_unknown(problem), ok=False)
    if found.channel != ctx.channel:  # 'teams:29:x' named on Slack: the question could not reach them
        return CommandResult(texts.give_elsewhere(found.id, ctx.channel), ok=False)
    return found


def _handover_trigger(action: ActionRow, asker: Actor, new: Actor, why: str, home: ConversationKey) -> Trigger:
    """The handover run's trigger: the action as its one item, owned by whom it is offered to (the
    flow asks ``each trigger.actions.owner``), and the handover for the ledger and the timers."""
    old = {"id": action.owner_id or "", "name": action.owner_name or action.owner_id or ""}
    handover = {"action_id": action.id, "what": action.what, "by": asker.to_dict(), "from": old, "to": new.to_dict()}
    item = {"id": action.id, "what": action.what, "due": action.due, "owner": new.to_dict()}
    return Trigger(
        flow=HANDOVER_FLOW,
        source=home.channel,
        kind="handover",
        title=action.title,
        facilitator=asker,
        data={"handover": {**handover, "why": why}, "actions": [item]},
    )


def _open_action(conn: sqlite3.Connection, action_id: int, actor: Actor, tz: tzinfo) -> ActionRow | CommandResult:
    """Action ``action_id`` if ``actor`` owns it or leads its decision and it is still open; else
    the answer that says why not (no such action of theirs, theirs no more, already done on the
    day of their calendar ``tz``, dropped)."""
    action = actions.load_action(conn, action_id)
    if action is None or actor.id not in (action.owner_id, action.facilitator_id):
        if action is not None and actions.handed_over_by(conn, action_id, actor.id):  # a stale Home tab, digest
            return CommandResult(texts.action_handed_over(action.what, action.owner_name or action.owner_id), ok=False)
        return CommandResult(texts.action_unknown(action_id), ok=False)
    if action.status == "done":
        done = datetime.fromisoformat(action.done_at.replace("Z", "+00:00")).astimezone(tz) if action.done_at else None
        return CommandResult(texts.action_already_done(action.what, done.date().isoformat() if done else ""))
    if action.status != "open":
        return CommandResult(texts.action_dropped(action.what), ok=False)
    return action


def _named_as_owner(action: ActionRow, actor: Actor) -> Actor:
    """The owner as their action names them when their platform gave only their id (a Rasa sender
    whose tracker has no ``decision_user_name``): the notice, the transcript and the ledger's
    change name them as the action does."""
    if actor.id != action.owner_id or not action.owner_name or not actor.named_by_id:
        return actor
    return Actor(actor.id, action.owner_name)


def _in_place_of(action: ActionRow, actor: Actor) -> str | None:
    """The owner's name when someone else (the facilitator) acts on their action."""
    return None if actor.id == action.owner_id else (action.owner_name or action.owner_id or "")


def _tell_the_decision(conn: sqlite3.Connection, action: ActionRow, notice: str, stamp: str) -> ConversationKey:
    home = ConversationKey.parse(action.conversation)
    runs.queue_replies(conn, [Reply(action.run_id, home, notice, kind="info")], stamp)
    return home


def _handover_moot(
    dispatcher: Dispatcher, conn: sqlite3.Connection, action: ActionRow, actor: Actor, done: bool
) -> None:
    """An action done or dropped while its handover (``give A12 @carol``) waits for an answer: that
    run is cancelled, in the same transaction, saying why; its question closed as a cancel closes
    it. Before, it kept asking, and a yes then said only that nothing was handed over."""
    if (pending := actions.handover_pending(conn, action.id)) is not None:
        dispatcher.cancel_for(pending[0], actor, texts.handover_moot(action.what, actor.name, done))


def _told(answer: str, home: ConversationKey, action: ActionRow) -> CommandResult:
    """The caller's answer, with where the decision's conversation was told (see
    :meth:`CommandResult.told_where_typed`)."""
    return CommandResult(answer, queued_on=home.channel, told=home, told_run=action.run_id)


def _day(phrase: str, local: datetime, locale: str | None, code: str) -> date | str:
    """The day ``phrase`` names, said at ``local``; else the re-prompt that says what is expected
    (``code``: the action's, ``A12``, as the examples name it)."""
    try:
        day = dates.read(phrase, local, locale)
    except dates.TimeAlone:  # "15:06": before, "Say which action and its new due date", though it was named
        return texts.action_due_time_alone(phrase, code)
    except dates.NoDayYet:  # "asap": before, "I can't read 'asap' as a date"
        return texts.action_due_no_day_yet(phrase, code)
    except dates.YearAlone as exc:  # "next year": which day in it
        return texts.answer_error("date_year_alone", {"year": exc.year})
    except (ValueError, OverflowError):
        day = None
    return day if day is not None else texts.action_due_unreadable(phrase, code)
