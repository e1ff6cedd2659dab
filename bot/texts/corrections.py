"""What the bot says of a correction of an earlier answer ("change owner of action 2 to @bob"):
the change, its refusals, and who confirms again."""

from __future__ import annotations

from bot.texts._common import _join

#: What people call an answer by the id a flow gives it (the shipped flows' ids): the words every
#: message naming an answer uses (a correction, its refusals, a cancelled run), never the raw id.
ANSWER_WORDS = {
    "what": "the task",
    "owner": "the owner",
    "due": "the due date",
    "decision": "the decision",
    "new_decision": "the new decision",
    "actions": "the actions",
    "owner_accepts": "the owners' answers to take their actions",
    "actions_done": "the owners' answers on whether their actions were done",
    "review_at": "the review date",
    "next_review": "the next review date",
    # the shipped flows' steps whose question quotes other answers: named by the words people saw
    "acknowledge": "the answer to 'Who takes this one?'",
    "takes_it": "the answer to 'Do you take it?'",
    "takes_over": "the answer to 'Do you accept?'",
    "plan": "the plan",
}


def answer_named(answer_id: str, ask: str | None = None, label: str | None = None) -> str:
    """An answer (a step or an item's field) as people read it: by the flow's ``label`` for it
    ("budget": "the budget"); else ``due`` is "the due date"; one not in :data:`ANSWER_WORDS` by the
    question that asked it ("the answer to 'Why ignore it?'"), or, when that question quotes other
    answers or runs long, by its id's words ("the root cause")."""
    if label:
        return "the " + " ".join(label.split()).removeprefix("the ")
    if answer_id in ANSWER_WORDS:
        return ANSWER_WORDS[answer_id]
    ask = " ".join((ask or "").split())
    if ask and "{" not in ask and len(ask) <= ASK_CHARS:
        return f"the answer to '{ask}'"
    return "the " + answer_id.replace("_", " ").replace("-", " ")


#: The longest question an answer is named by (:func:`answer_named`); a longer one, by its id
ASK_CHARS = 60


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def correction_target_unknown(target: str, known: list[str]) -> str:
    return f"I can't find '{target}' to change. Answers so far: {_join(known)}."


def correction_no_such_item(label: str, number: int, listed: int) -> str:
    """A correction naming an item by a number not listed ("change owner of action 3")."""
    there = f"only {label} 1 is listed" if listed == 1 else f"{label} 1 to {label} {listed} are listed"
    return f"There is no {label} {number}: {there}."


def correction_needs_value(typed: str) -> str:
    """A correction that names an answer but not its new value ("change the decision")."""
    return f"{typed[:1].upper()}{typed[1:]} to what? Say it in one message: '{typed} to ...'."


def correction_not_allowed(target: str, by: str | None, facilitator: str) -> str:
    """``by``: who gave the answer, when not the facilitator (named ``facilitator``)."""
    if by is None:
        return f"Only the facilitator, {facilitator}, who gave it, can change {target}."
    return f"Only the facilitator or {by}, who gave it, can change {target}."


def correction_theirs_alone(target: str, by: str) -> str:
    """The facilitator changing an answer to a question asked of someone else (an approval, a yes
    to take an action): it is that person's word."""
    return f"Only {by} can change {target}: the question was theirs to answer."


def correction_branched(target: str) -> str:
    """A change to an answer the run has already gone its way by (a branch read it)."""
    return (
        f"{_capital(target)} can't change now: the run has already gone the way it chose."
        " To answer it anew, the facilitator says 'back' until it is asked again."
    )


def item_field(field: str, label: str, number: int) -> str:
    """``field``: the field as people read it (:func:`answer_named`): "the due date of Action 1"."""
    return f"{field} of {label} {number}"


def corrected(target: str, old: str, new: str) -> str:
    return f"Changed {target}: {old} -> {new}."


def correction_unchanged(target: str, value: str) -> str:
    """A correction to the value the answer already has: nothing changed, nobody asked again."""
    return f"Nothing changed: {target} is already {value}."


#: How much of an item's text a sentence naming it quotes: an action pasted at length (a plan)
#: is named by its start, not repeated whole in every notice about it.
NAMED_CHARS = 200


def _item_named(label: str, number: int, what: str) -> str:
    """``Action 2 ('Book venue')``; ``Approver 2`` when the items have no ``what`` field."""
    if len(what) > NAMED_CHARS:
        what = what[: NAMED_CHARS - 1].rstrip() + "…"
    return f"{label} {number} ('{what}')" if what else f"{label} {number}"


def taken_with_due(owner: str, label: str, number: int, what: str, due: str, was: str) -> str:
    """An owner asked to take their item said yes with another due date ("yes, by next Friday")."""
    return f"{owner} takes {_item_named(label, number, what)} due {due} instead of {was}."


def take_with_due_hint() -> str:
    """After the yes-or-no re-prompt to an owner asked to take an item that has a due date."""
    return "To take it with another due date, say yes with the date: 'yes, by next Friday'."


def owner_changed_notice(label: str, number: int, what: str) -> str:
    return f"{_item_named(label, number, what)} has a new owner, who will be asked to confirm it."


def given_to_another(by: str, label: str, number: int, what: str, to: str) -> str:
    """To the owner a correction took an item from, whose question to confirm it went with it."""
    return f"That question closed: {by} gave {_item_named(label, number, what)} to {to}. Nothing waits on you in this run now."


def terms_changed_notice(label: str, number: int, what: str) -> str:
    return f"{_item_named(label, number, what)} changed; its owner will be asked to confirm it again."


def correction_off_route(target: str) -> str:
    """A step on a branch the run left with 'back': nothing the run reads takes its answer."""
    return f"{_capital(target)} is not on this run's route now (left with 'back'): take that branch again to change it."


def quoted_terms_changed_notice(target: str, names: list[str]) -> str:
    return f"{_capital(target)} changed, so {_join(names)} will be asked again: an earlier answer was for other terms."


def correction_confirmed_by_named(target: str, name: str) -> str:
    """A person step whose person has been asked since (``to: <step>``, 'Do you take it?')."""
    return (
        f"{_capital(target)} named {name}, and the question for the person named there has come since: a correction"
        f" would leave it with {name}. Say 'back' until that question is asked again, and name someone else there."
    )


def correction_answered_on_terms(name: str, asked: str, target: str) -> str:
    """``asked``: the question ``name`` answered, which quotes ``target`` (``to: <person step>``)."""
    return (
        f"{name} answered '{asked}', which quotes {target}: a correction would leave their answer standing"
        " for other terms. Say 'back' until that question is asked again."
    )


# --- edits and deletions of messages a run has (Slack, Teams) ----------------------------------


def edit_not_read(first: str, taken: bool, leader: str | None) -> str:
    """To whoever edited a message a run has (``first``: as first sent, on one line). ``taken``:
    the run took it as their answer; else it did not take it, and asked again. ``leader``: the
    run's facilitator, when the writer is someone else (an owner: only the facilitator reopens it)."""
    if not taken:
        return f'I don\'t read edits: your message stays as first sent ("{first}"). Send the answer again.'
    return f'I don\'t read edits: the run keeps your answer as first sent ("{first}"). {_how_to_change(leader)}'


def delete_not_read(first: str, leader: str | None) -> str:
    """To whoever deleted a message a run took as their answer (``first``: its text, on one line)."""
    return f'Deleting a message does not take back its answer: the run keeps "{first}". {_how_to_change(leader)}'


def edit_after_end(first: str, run_id: int, deleted: bool) -> str:
    """To whoever edited or deleted their answer to a run that has since completed: its record
    stands (a completed run takes no corrections), and where to see it."""
    if deleted:
        said = (
            f'Deleting a message does not take back its answer, and run #{run_id} has ended: its record keeps "{first}"'
        )
    else:
        said = (
            f'I don\'t read edits, and run #{run_id} has ended: its record keeps your answer as first sent ("{first}")'
        )
    return f"{said}; a completed run takes no corrections ('status {run_id}' shows its record)."


def _how_to_change(leader: str | None) -> str:
    if leader:
        return f"To change it, ask {leader}, who leads the run (only they can reopen it)."
    return "To change it, say so in a new message: 'back', or 'change ... to ...' ('help' shows how)."
