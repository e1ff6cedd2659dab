"""The people a trigger names, known by their names before its run starts.

A route or a trigger's ``decision_*`` labels name people by their platform ids (``U0123``,
``slack:U0123``): the router makes them Actors named by those ids. Before the runs start, the
channel each person is on is asked who they are (:meth:`bot.channels.Channel.learn`: Slack's
``users.info``, kept in ``people`` with their time zone; Teams: the people it has seen), for
``WAIT`` seconds at most, all channels at once: the run's prompts, reminders and escalations then
name them, and the times they are told are in their zone. Whoever is not learnt by then keeps
their id as their name (logged), and the run takes their name when they speak in it or are
mentioned (:meth:`bot.engine.state.RunState.learn`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from typing import Any, NamedTuple

from bot import texts
from bot.admission import Admission
from bot.model import Actor, ConversationKey, Trigger

log = logging.getLogger("decisionbot.triggers")

#: Seconds the people of a body's triggers are looked up for, at most, before its runs start (and
#: the hook answers): Slack's ``users.info`` is given 1 s of it. Alertmanager waits 10 s at least.
WAIT = 1.5

#: A channel's :meth:`~bot.channels.Channel.learn`: the people it could name, by id.
Learn = Callable[[Sequence[Actor]], Awaitable[Mapping[str, Actor]]]


#: A channel that looks people up in the conversations the triggers post in (Teams' members).
LearnIn = Callable[[Sequence[Actor], Sequence[ConversationKey]], Awaitable[Mapping[str, Actor]]]


class Learner(NamedTuple):
    """What :func:`learn` asks of a channel: who the people are (``learn``, or ``learn_in`` given
    the triggers' conversations on that channel), and then which of them nobody can ask
    (``not_a_person``: ``app``, ``deactivated``, ``unreached`` or '')."""

    learn: Learn
    not_a_person: Callable[[str], str] = lambda _: ""
    learn_in: LearnIn | None = None


def named(trigger: Trigger) -> list[Actor]:
    """The people ``trigger`` names: facilitator, participants and owners, backup."""
    found = [trigger.facilitator, *trigger.participants]
    backup = trigger.data.get("escalate_to")
    if isinstance(backup, dict) and backup.get("id"):
        found.append(Actor.from_dict(backup))
    return list(dict.fromkeys(a for a in found if a is not None))


def named_by_id(trigger: Trigger) -> list[Actor]:
    """The people ``trigger`` names by their ids: facilitator, participants and owners, backup."""
    return [a for a in named(trigger) if a.named_by_id]


def rename(trigger: Trigger, learnt: Mapping[str, Actor]) -> None:
    """The people of ``trigger`` named as ``learnt`` says (by id), wherever the trigger names them."""
    was = {a.name: learnt[a.id].name for a in named_by_id(trigger) if a.id in learnt}
    if not was:
        return
    if trigger.facilitator is not None:
        trigger.facilitator = learnt.get(trigger.facilitator.id, trigger.facilitator)
    trigger.participants = [learnt.get(p.id, p) for p in trigger.participants]
    backup = trigger.data.get("escalate_to")
    if isinstance(backup, dict) and backup.get("id") in learnt:
        trigger.data["escalate_to"] = learnt[backup["id"]].to_dict()
    if isinstance(trigger.data.get("owners"), str):  # the router's ", "-joined names
        trigger.data["owners"] = ", ".join(was.get(n, n) for n in trigger.data["owners"].split(", "))


async def learn(admissions: Sequence[Admission], channels: Mapping[str, Learner], wait: float = WAIT) -> set[str]:
    """Name the people the admissions' runs would start with, as their channels know them (those
    of the channels given: the ones this process serves). A lookup that fails or is late leaves
    the id as the name; Slack's lookup goes on and keeps what it learns (their zone, for timers).
    Those the platform says nobody can ask (a bot user, a deactivated account) are left out of
    the runs (:func:`leave_out`). Returns the ids left unnamed (for :func:`tell_unnamed`)."""
    admitted = [a for a in admissions if a.problem is None and a.trigger.conversation is not None]
    admitted = [a for a in admitted if a.trigger.status != "resolved"]
    starting = [a.trigger for a in admitted]
    wanted = {a.id: a for t in starting for a in named_by_id(t) if a.channel in channels}
    if not wanted:
        for admission in admitted:
            leave_out(admission, {})  # (people of another platform than the run's)
        return set()
    by_channel: dict[str, list[Actor]] = {}
    for actor in wanted.values():
        by_channel.setdefault(actor.channel, []).append(actor)
    asked: dict[asyncio.Future[Mapping[str, Actor]], str] = {
        asyncio.ensure_future(_ask(channels[name], people, [t.conversation for t in starting if t.conversation])): name
        for name, people in by_channel.items()
    }
    done, late = await asyncio.wait(list(asked), timeout=wait)
    for task in late:
        task.cancel()
    learnt: dict[str, Actor] = {}
    for task in done:
        if (error := task.exception()) is not None:
            log.warning(texts.people_lookup_failed(asked[task], f"{type(error).__name__}: {error}"))
            continue
        learnt.update({i: a for i, a in task.result().items() if i in wanted and not a.named_by_id})
    for trigger in starting:
        rename(trigger, learnt)
    nobody = {i: kind for i, a in wanted.items() if (kind := channels[a.channel].not_a_person(i))}
    for admission in admitted:
        leave_out(admission, nobody)
    return {i for i in wanted if i not in learnt}


def _ask(channel: Learner, people: Sequence[Actor], where: Sequence[ConversationKey]) -> Awaitable[Mapping[str, Actor]]:
    return channel.learn_in(people, where) if channel.learn_in is not None else channel.learn(people)


#: The platforms whose people answer only there: a Slack person cannot answer in Teams, nor the reverse.
CHAT_PLATFORMS = ("slack", "teams")


def elsewhere(trigger: Trigger) -> dict[str, str]:
    """The people ``trigger`` names on another chat platform than its run's (``decision_facilitator:
    teams:29:abc`` on an alert routed to Slack): nobody there can be them, so they are left out
    (``elsewhere``), as a deactivated account is, instead of a run that waits on them for good."""
    here = trigger.conversation.channel if trigger.conversation else None
    if here not in CHAT_PLATFORMS:
        return {}
    return {a.id: "elsewhere" for a in named(trigger) if a.channel in CHAT_PLATFORMS and a.channel != here}


def leave_out(admission: Admission, nobody: Mapping[str, str]) -> None:
    """The people of ``admission``'s trigger that ``nobody`` says cannot be asked (by id: ``app``,
    ``deactivated``; ``unreached``, a Teams person by an Azure AD object id it never heard from)
    left out (logged by :func:`tell_unnamed` if the run starts). A facilitator left out is
    replaced by the backup, when there is one who can be asked; else the run starts without one
    (the first to answer takes it), with a notice in its thread; so are the unreached, with
    what to do."""
    trigger = admission.trigger
    nobody = {**nobody, **elsewhere(trigger)}
    if not (gone := {a.id: a for a in named(trigger) if a.id in nobody}):
        return
    admission.left_out = tuple((i, nobody[i]) for i in gone)
    unreached = [a.name for i, a in gone.items() if nobody[i] == "unreached"]  # told in the run: they may write
    told = [texts.trigger_people_unreached(unreached)] if unreached else []
    admission.notice = " ".join(told) or None
    trigger.participants = [p for p in trigger.participants if p.id not in gone]
    if isinstance(trigger.data.get("owners"), str):
        names = {a.name for a in gone.values()}
        trigger.data["owners"] = ", ".join(n for n in trigger.data["owners"].split(", ") if n not in names)
    backup = trigger.data.get("escalate_to")
    if isinstance(backup, dict) and backup.get("id") in gone:
        trigger.data.pop("escalate_to")
    if trigger.facilitator is None or trigger.facilitator.id not in gone:
        return
    unreachable, backup = trigger.facilitator, trigger.data.pop("escalate_to", None)
    trigger.facilitator = Actor.from_dict(backup) if isinstance(backup, dict) else None
    trigger.participants = [p for p in trigger.participants if p != trigger.facilitator]
    lead = texts.trigger_facilitator_unreachable(
        unreachable.name, nobody[unreachable.id], trigger.facilitator.name if trigger.facilitator else None
    )
    admission.notice = " ".join([lead, *told])


def tell_unnamed(admissions: Sequence[Admission], outcomes: Sequence[str], unnamed_ids: Set[str]) -> None:
    """Log the people ``learn`` could not name, and those it left out, for the runs that did
    start (a repeat of an open run's alert starts none, and says nothing again)."""
    for admission, outcome in zip(admissions, outcomes, strict=True):
        if outcome != "started":
            continue
        if ids := [a.id for a in named_by_id(admission.trigger) if a.id in unnamed_ids]:
            log.warning(texts.people_not_named(ids, WAIT))
        for actor_id, kind in admission.left_out:  # the route names them: the operator's to fix
            log.warning(texts.trigger_person_left_out(admission.route or "default", actor_id, kind))


def learners(channels: Mapping[str, Any]) -> dict[str, Learner]:
    """What ``learn`` asks, from the server's channels (by name)."""
    return {
        name: Learner(channel.learn, channel.not_a_person, getattr(channel, "learn_in", None))
        for name, channel in channels.items()
    }
