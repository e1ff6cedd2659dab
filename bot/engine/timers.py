"""Timers of a run: reminder, escalation and expiry, each a turn without an inbound message.

The chain is timed from the run's last activity (a turn): ``remind_after``, then
``escalate_after``, then ``expire_after``; a timer that fires late goes straight to the latest
stage that is due. A reminder re-sends each open question to its addressee; an escalation tells
the facilitator (or the trigger's ``escalate_to`` backup) who has not answered what and, where
the flow's ``timers.escalate`` is ``reassign``, hands the owners' questions to the facilitator;
an expiry marks the run stalled (a late answer still resumes it); an unanswered handover
(``give A12 @person``) tells its asker alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import lru_cache
from typing import Any

from bot import texts, yaml_text
from bot.engine.asking import Outcome, TurnBase
from bot.engine.model import Flow, Timers
from bot.engine.state import Prompt, RunState
from bot.model import Actor, is_placeholder, placeholder_facilitator

STAGES = ("remind", "escalate", "expire")


def delays(timers: Timers) -> dict[str, timedelta]:
    found = {"remind": timers.remind_after, "escalate": timers.escalate_after, "expire": timers.expire_after}
    return {stage: delay for stage, delay in found.items() if delay is not None}


def first_delay(timers: Timers) -> timedelta | None:
    """When the chain's first timer falls due after an activity (None: the flow has no timers)."""
    return next(iter(delays(timers).values()), None)


def stage_at(timers: Timers, kind: str, elapsed: timedelta) -> str | None:
    """The stage to fire ``elapsed`` after the last activity: the latest one due, never one
    before the job's own ``kind``."""
    known = delays(timers)
    floor = STAGES.index(kind) if kind in STAGES else 0
    eligible = [s for s in known if STAGES.index(s) >= floor]
    due = [s for s in eligible if known[s] <= elapsed]
    if due:
        return due[-1]
    return eligible[0] if eligible else None


def next_stage(timers: Timers, stage: str) -> tuple[str, timedelta] | None:
    """The stage after ``stage`` and its delay from the last activity."""
    after = STAGES.index(stage)
    return next(((s, d) for s, d in delays(timers).items() if STAGES.index(s) > after), None)


@lru_cache(maxsize=256)
def _escalate_mode(text: str) -> str:
    doc = yaml_text.safe_load(text) or {}
    return str((doc.get("timers") or {}).get("escalate") or "notify")


def escalate_mode(flow: Flow) -> str:
    """``notify`` (tell the facilitator) or ``reassign`` (also hand owners' questions over)."""
    return _escalate_mode(flow.text)


def fire(
    turn: TurnBase, stage: str, latest: Mapping[str, Any] | None = None, only: Collection[str] | None = None
) -> Outcome:
    """``latest``: the latest reading of the metric that started the run, if it was one's;
    ``only``: the ids of the people a reminder goes to (default: all a question waits on)."""
    if stage == "remind":
        remind(turn, latest, only)
    elif stage == "escalate":
        escalate(turn, latest)
    elif stage == "expire":
        expire(turn)
    return turn.out


def remind(turn: TurnBase, latest: Mapping[str, Any] | None = None, only: Collection[str] | None = None) -> None:
    """Re-send the open questions (those to ``only``, when given). They show the trigger's values
    as the run started: when the metric has changed or resolved since, the reminder says so, with
    when it was last seen (in the addressee's time zone)."""
    moved = _moved(turn, latest)
    for prompt in [p for p in turn.ctx.prompts if p.asked and (only is None or p.to["id"] in only)]:
        turn.ask(prompt, current=turn.current_value(prompt))
        last = turn.out.replies[-1]
        since = _since(turn, moved, Actor.from_dict(prompt.to))
        turn.out.replies[-1] = replace(last, text=texts.reminder(last.text, since))


def escalate(turn: TurnBase, latest: Mapping[str, Any] | None = None) -> None:
    """Tell who has not answered what, quoting the questions as asked; when the metric has
    changed or resolved since the run started, with its latest reading, like a reminder."""
    silent = [p for p in turn.ctx.prompts if p.asked]
    if not silent:
        return
    fac = turn.ctx.facilitator
    backup = backup_of(turn.ctx.trigger.get("escalate_to"))
    if backup is not None and backup.id == fac.id:  # the backup leads the run (its facilitator left)
        backup = None
    nobody = placeholder_facilitator(fac.channel).id  # a run nobody has taken yet: anyone may answer
    reader = backup or fac  # the room, when the facilitator is silent too, reads the facilitator's zone
    zone = turn.tz_for(reader)
    waiting = [
        (
            texts.anyone_in_the_run() if p.to["id"] == nobody else p.to["name"],
            _question_line(turn, p),
            texts.moment(p.asked_at, zone) if p.asked_at else None,  # none on runs of older releases
        )
        for p in silent
    ]
    said = _since(turn, _moved(turn, latest), reader)
    if backup is not None:
        lead = None if fac.id == nobody else fac.name
        turn.say(texts.escalation(waiting, lead, said, backup=True), to=backup)
    elif any(p.to["id"] == fac.id for p in silent):  # the facilitator is silent too: tell the room
        turn.say(texts.escalation(waiting, None, said))
    else:
        turn.say(texts.escalation(waiting, None, said), to=fac)
    if escalate_mode(turn.flow) != "reassign":
        return
    _hand_over(turn, {p.to["id"] for p in silent} - {fac.id}, fac)
    turn.ask_waiting()


def _hand_over(turn: TurnBase, silent: set[str], fac: Actor) -> None:
    """Every question of the silent owners goes to the facilitator: the one they left unanswered
    and those still to come (an owner of several actions is asked one at a time), so the run can
    go on without them; each owner is told once."""
    handed = [p for p in turn.ctx.prompts if p.to["id"] in silent and p.purpose == "answer"]
    for owner in {p.to["id"]: p.actor for p in handed}.values():
        turn.ctx.note_handed(owner.id, fac.name)
        turn.say(
            texts.handed_over(fac.name, turn.run_id, turn.title, sum(p.to["id"] == owner.id for p in handed)),
            to=owner,
            private=True,
        )
    for prompt in handed:
        prompt.to, prompt.escalated, prompt.asked = fac.to_dict(), True, False


def expire(turn: TurnBase) -> None:
    state = turn.state
    turn.out.status = "stalled"
    turn.out.transitions.append({"from": state, "to": state, "event": "stall", "actor": None})
    handover = turn.ctx.trigger.get("handover") if turn.flow.record.handover else None
    if handover:  # 'give A12 @person' unanswered: nothing changed; the asker alone hears it
        text = texts.handover_unanswered(
            handover["to"]["name"], handover["what"], handover["from"]["name"], turn.run_id
        )
        turn.say(text, to=turn.ctx.facilitator, private=True)
        return
    turn.say(texts.stalled(turn.ctx.addressees()))


def _moved(turn: TurnBase, latest: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The latest reading when the metric has changed or resolved since the run started, else None."""
    if latest is None:
        return None
    started = turn.ctx.trigger.get("value")
    if latest.get("status") == "resolved" or str(latest.get("value")) != str(started):
        return latest
    return None


def _since(turn: TurnBase, moved: Mapping[str, Any] | None, reader: Actor) -> str | None:
    return texts.latest_reading(moved, turn.tz_for(reader)) if moved is not None else None


def _question_line(turn: TurnBase, prompt: Prompt) -> str:
    step = turn.flow.step(prompt.step)
    text = turn.prompt_text(prompt, step, turn.question_of(prompt), None, quoted=True).splitlines()[0]
    return text if len(text) <= 160 else text[:157] + "..."


def backup_of(value: Any) -> Actor | None:
    """The backup escalations go to (the trigger's ``escalate_to``), if the run has one."""
    if isinstance(value, dict) and value.get("id"):
        return Actor.from_dict(value)
    return None


def may_lead(ctx: RunState, actor_id: str) -> bool:
    """Whether ``actor_id`` may cancel or move the run: its facilitator, or, for an alert's run
    nobody has taken yet, the trigger's backup (whom the run's troubles are told to: a channel
    lost, where nobody else can take it)."""
    if actor_id == ctx.facilitator.id:
        return True
    backup = backup_of(ctx.trigger.get("escalate_to"))
    return is_placeholder(ctx.facilitator.id) and backup is not None and backup.id == actor_id


def lead_refused(ctx: RunState, action: str) -> str:
    """What someone who may not (:func:`may_lead`) is told of ``action``: who may (nobody has
    claimed the run: its route's backup, or whoever claims it; not the stand-in's name)."""
    if not is_placeholder(ctx.facilitator.id):
        return texts.only_facilitator(action, ctx.facilitator.name)
    backup = backup_of(ctx.trigger.get("escalate_to"))
    return texts.only_facilitator(action, None, backup.name if backup is not None else None)
