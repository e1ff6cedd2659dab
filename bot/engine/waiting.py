"""What a run waits for, in the words people read (``status N``, ``list``): each person a question
waits on and what they are to do ("bob to accept 'Draft the plan'"), never the step's id."""

from __future__ import annotations

from bot import texts
from bot.engine.asking import TurnBase
from bot.engine.model import Flow, Step
from bot.engine.state import Prompt

#: The longest question quoted; a longer one is cut (the person asked sees it whole).
QUESTION_MAX = 100


def waiting_for(turn: TurnBase, reader: str | None = None) -> list[str]:
    """One phrase per question asked and not answered yet, in the order they were asked; to
    ``reader`` (an actor id), their own as "you to ..."."""
    return [phrase for phrase, _ in waited_for(turn, reader)]


def waited_for(turn: TurnBase, reader: str | None = None) -> list[tuple[str, str | None]]:
    """:func:`waiting_for`'s phrases, each with when its question was first put (None: not known);
    a 'cancel' waiting for its yes or no first (what a line typed now answers)."""
    asked = [(_waiting_on(turn, p, reader), p.asked_at) for p in turn.ctx.prompts if p.asked]
    confirm = turn.ctx.confirm
    if confirm and confirm.get("kind") == "cancel":
        who = str(confirm.get("actor"))
        name = next((a.name for a in turn.ctx.known_people() if a.id == who), who)
        shown = texts.waiting_on_you() if reader == who else name
        asked.insert(0, (texts.waiting_on(shown, texts.task_confirm_cancel()), None))
    return asked


def _waiting_on(turn: TurnBase, prompt: Prompt, reader: str | None) -> str:
    yours = reader is not None and prompt.to.get("id") == reader
    return texts.waiting_on(texts.waiting_on_you() if yours else prompt.to["name"], _task(turn, prompt, yours))


def tasks_of(turn: TurnBase, actor_id: str) -> list[str]:
    """What the run asks of ``actor_id`` ("accept 'Draft the plan'", "answer ..."), as
    :func:`waiting_for` says it of them."""
    return [_task(turn, p) for p in turn.ctx.prompts if p.asked and p.to.get("id") == actor_id]


def _task(turn: TurnBase, prompt: Prompt, yours: bool = False) -> str:
    step = turn.flow.step(prompt.step)
    if prompt.purpose == "reassign":
        return texts.task_reassign(_item_what(turn, step, prompt), turn.fan_owner_name(prompt))
    role = _item_role(turn.flow, step)
    if role and prompt.item is not None:
        owner = turn.fan_owner_name(prompt) if prompt.escalated else None
        return texts.task_on_item(role, _item_what(turn, step, prompt), owner, yours)
    question = turn.render(turn.question_of(prompt).ask, prompt.item if step.type != "repeat" else None, step)
    if step.type == "repeat":
        question = texts.item_prefix(step.item_label, (prompt.item or 0) + 1) + question
    return texts.task_answer(_question_line(question))


def _item_role(flow: Flow, step: Step) -> str | None:
    """What an owner's yes/no about their item records: ``accepts``, ``done`` or ``handover``."""
    if step.type != "yes_no" or step.fan_out is None:
        return None
    rec = flow.record
    return {rec.accepts: "accepts", rec.actions_done: "done", rec.handover: "handover"}.get(step.id)


def _item_what(turn: TurnBase, step: Step, prompt: Prompt) -> str:
    items = turn.fan_items(step)
    number = prompt.item or 0
    return str(items[number].get("what") or "") if number < len(items) else ""


def _question_line(text: str) -> str:
    """The question of a prompt: its last line (a prompt of several lines says what happened first,
    then asks), cut to :data:`QUESTION_MAX` characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= QUESTION_MAX else line[: QUESTION_MAX - 3].rstrip() + "..."
