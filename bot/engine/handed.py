"""An action a run asks about changed hands while the run was under way (``give A12 @person``,
accepted): a review asking its owner whether it was done asks the owner in force instead."""

from __future__ import annotations

from bot import texts
from bot.engine import dates
from bot.engine.answers import AnswerError, parse_yes_no
from bot.engine.asking import Outcome, TurnBase
from bot.model import Actor


def ask_new_owner(turn: TurnBase, action_id: int, old: Actor, new: Actor) -> Outcome:
    """The run's copy of action ``action_id`` (in ``trigger.actions``) names ``new`` as its owner
    where no answer was given about it yet, and an open question to ``old`` about it goes to
    ``new`` (asked in their turn; one handed to the facilitator by an escalation stays there).
    An answer already given stays, as given."""
    items = [i for i, a in enumerate(turn.ctx.trigger.get("actions") or []) if a.get("id") == action_id]
    fanned = [s.id for s in turn.flow.steps if s.fan_out and s.fan_out[0] == "trigger.actions"]
    unanswered = [i for i in items if all(str(i) not in (turn.ctx.answers.get(s) or {}) for s in fanned)]
    for i in unanswered:
        turn.ctx.trigger["actions"][i]["owner"] = new.to_dict()
    for prompt in turn.ctx.prompts:
        moves = prompt.step in fanned and prompt.item in unanswered and prompt.purpose == "answer"
        if moves and prompt.to["id"] == old.id and not prompt.escalated:
            prompt.to, prompt.asked = new.to_dict(), False
            what = str(turn.ctx.trigger["actions"][prompt.item or 0].get("what") or "")
            # a late answer of the old owner's is told the question is the new owner's now
            turn.ctx.closed[old.id] = {"by": new.name, "answer": "", "given": texts.question_taken_over(new.name, what)}
    turn.ask_waiting()
    return turn.out


def yes_with_a_date(turn: TurnBase, index: int, yes: str, when: str, actor: Actor) -> bool | None:
    """A yes with a due date to action ``index`` handed over ("yes, by 2026-12-20"): nothing taken
    (False), and the re-prompt says the date moves with ``due A12 ...`` once the action is theirs
    (before, the yes was taken and the date dropped without a word). None when it is no such yes."""
    try:
        if not parse_yes_no(yes) or dates.read(when, turn.now.astimezone(turn.tz_for(actor))) is None:
            return None
    except (AnswerError, ValueError, OverflowError):  # TimeAlone, NoDayYet, YearAlone too: no day named
        return None
    items = turn.ctx.trigger.get("actions") or []
    item = items[index] if index < len(items) else {}
    turn.say(texts.handover_yes_by(item.get("id"), str(item.get("due") or ""), when), to=actor, kind="error")
    return False
