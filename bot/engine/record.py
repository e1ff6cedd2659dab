"""The decision record of a completed run, built from its answers as the flow's ``record`` maps."""

from __future__ import annotations

import logging
from typing import Any

from bot import texts
from bot.engine import questions, shown, templates
from bot.engine.model import Flow
from bot.engine.state import RunState, slot_key

log = logging.getLogger("decisionbot.flows")


def build_record(flow: Flow, ctx: RunState, run_id: int) -> dict[str, Any]:
    rec = flow.record
    taken = set(ctx.path)  # the steps of the route the run took: not a branch left by 'back'
    answers = {step: value for step, value in ctx.answers.items() if step in taken}
    out: dict[str, Any] = {
        "run": run_id,
        "flow": flow.id,
        "title": ctx.trigger.get("title") or flow.title,
        "facilitator": ctx.roles["facilitator"],
        "decision": _decision_text(flow, ctx, answers),
        "decision_steps": [step for step in _decision_steps(flow, rec.decision) if step in taken],
        "accepts_step": rec.accepts,
        "actions_done_step": rec.actions_done,
        "actions": _actions(ctx, answers, rec.actions, rec.accepts),
        "review_at": answers.get(rec.review_at) if rec.review_at else None,
        "outcome": answers.get(rec.outcome) if rec.outcome else None,
        "outcome_shown": _shown(flow, rec.outcome, answers),
        "answers": answers,
        # whether the flow records a decision at all (a flow of questions alone records none)
        "records": bool(rec.decision or rec.actions or rec.review_at or rec.outcome),
    }
    if rec.actions_done:
        out["actions_done"] = _actions_done(ctx, answers, rec.actions_done)
        out["reviewed_decision"] = ctx.trigger.get("decision_id")
    if rec.handover:  # 'give A12 @person': the action, its owners and the new owner's answer
        handover = ctx.trigger.get("handover") or {}
        stand_in = _answered_for(ctx, (rec.handover, 0, None), (handover.get("to") or {}).get("id"))
        answer = _per_item(answers, rec.handover).get("0")
        out["handover"] = {**handover, "accepted": answer, "answered_by": stand_in}  # by: someone in their place
    out["schedule"] = [
        {"flow": a["schedule_flow"]["flow"], "at": answers.get(a["schedule_flow"]["at"])}
        for a in flow.on_complete
        if "schedule_flow" in a and answers.get(a["schedule_flow"]["at"])
    ]
    return out


def _actions(ctx: RunState, answers: dict[str, Any], step: str | None, accepts: str | None) -> list[dict[str, Any]]:
    """The actions listed at ``step``: what, owner, due, and the owner's answer at ``accepts``
    (with who gave it in their place)."""
    accepted = _per_item(answers, accepts)
    found = []
    for i, item in enumerate(answers.get(step) or [] if step else []):
        owner = item.get("owner") or {}
        action = {
            # a version that let 'what' be skipped (refused at load since; runs pinned to it finish)
            "what": item.get("what") or texts.action_without_what(),
            "owner": owner.get("id"),
            "owner_name": owner.get("name"),
            "due": item.get("due"),
            "accepted": accepted.get(str(i)) if accepts else None,
        }
        if action["accepted"] is not None:
            by = _answered_for(ctx, (accepts or "", i, None), owner.get("id"))
            if by is not None:
                action["confirmed_by"] = by
        found.append(action)
    return found


def _actions_done(ctx: RunState, answers: dict[str, Any], step: str) -> list[dict[str, Any]]:
    """A review's answer at ``step`` for each action its trigger names: done or not, and who said
    so in the owner's place."""
    done = _per_item(answers, step)
    found = []
    for i, a in enumerate(ctx.trigger.get("actions") or []):
        entry = {"action_id": a.get("id"), "done": done.get(str(i)), "what": a.get("what")}
        entry["owner_name"] = (a.get("owner") or {}).get("name")
        owner = (a.get("owner") or {}).get("id")
        if entry["done"] is not None and (by := _answered_for(ctx, (step, i, None), owner)):
            entry["confirmed_by"] = by  # said in the owner's place, as a yes to take it (above)
        if entry["done"] is not None and (said := ctx.said.get(slot_key((step, i, None)))):
            entry["said"] = said  # their words beyond yes or no: "no, blocked by legal"
        found.append(entry)
    return found


def _shown(flow: Flow, step: str | None, answers: dict[str, Any]) -> str | None:
    """A step's answer as people read it (a choice by its label), None when not answered."""
    value = answers.get(step) if step else None
    return None if value is None or step is None else shown.display(flow.step(step), value)


def _per_item(answers: dict[str, Any], step: str | None) -> dict[str, Any]:
    """A per-owner step's answers by item. A pinned version may name a step asked once (refused
    at load today): what it says of each item is unknown."""
    value = answers.get(step) if step else None
    return value if isinstance(value, dict) else {}


def _answered_for(ctx: RunState, slot: tuple[str, int | None, str | None], owner: str | None) -> dict[str, str] | None:
    """Who gave a per-owner item's answer in the owner's place (the facilitator their question
    was handed to), as ``{"id", "name"}``; None when the owner answered it themself."""
    by = ctx.answered_by.get(slot_key(slot))
    if by is None or by == owner:
        return None
    known = {p.id: p.name for p in ctx.known_people()}
    return {"id": by, "name": known.get(by, by)}


def _decision_text(flow: Flow, ctx: RunState, answers: dict[str, Any]) -> str | None:
    """The decision as people read it: ``record.decision``'s step answer or its template filled,
    a choice by its label."""
    spec = flow.record.decision
    if not spec:
        return None
    if "{{" not in spec:
        value = answers.get(spec)
        step = flow.step(spec) if flow.has_step(spec) else None
        return None if value is None else shown.display(step, value)
    single = {k: v for k, v in answers.items() if not isinstance(v, list) and not _fanned(v)}
    seen = shown.answers(flow, single)
    try:  # stored, so never the template as written: no decision text rather than '{{ plan / 2 }}'
        return templates.render(spec, {"trigger": ctx.trigger, "answers": seen, **seen}, strict=True).strip() or None
    except templates.RENDER_ERRORS as exc:
        log.warning(
            "record.decision of %s failed on this run's answers (%s: %s): no decision text",
            flow.id,
            type(exc).__name__,
            exc,
        )
        return None


def _decision_steps(flow: Flow, spec: str | None) -> tuple[str, ...]:
    """The steps whose answers make the decision: the step ``record.decision`` names, or the step ids
    its template uses (as ``plan`` or ``answers.plan``). The ledger dates the decision by them."""
    if not spec:
        return ()
    if "{{" not in spec:
        return (spec,) if flow.has_step(spec) else ()
    return tuple(name for name in templates.names_read(spec) if flow.has_step(name))


def _fanned(value: Any) -> bool:
    """A fan-out step's answers: one per item, keyed by item number (not a person)."""
    return isinstance(value, dict) and not questions.is_person(value)
