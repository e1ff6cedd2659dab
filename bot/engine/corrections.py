"""Corrections of earlier answers ("change owner of action 2 to @bob") and the answer records
every change leaves: nothing is overwritten, each change is a new revision."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot import texts
from bot.engine import handed, questions, shown, templates
from bot.engine.answers import AnswerError, parse_yes_no
from bot.engine.asking import TurnBase
from bot.engine.commands import Command, item_word, match_name
from bot.engine.model import Question, Step
from bot.engine.state import Prompt, slot_key
from bot.engine.validate_silent import condition_names
from bot.model import Actor

# "yes, by next friday", "ok but by 2026-12-04 instead": a yes, then the due date proposed
_YES_BY = re.compile(r"^(?P<yes>.+?)[\s,;:.!-]+(?:but\s+|and\s+)?by\s+(?P<date>.+?)(?:\s+instead)?[\s.!?]*$", re.I)


def named_answer(target: str, asked: Sequence[Question]) -> str | None:
    """The id of the one of ``asked`` that ``target`` names, by its id ("due date") or by the
    words messages call it ("the task": ``what``; its flow's label, "the budget")."""
    found = match_name(target, [q.id for q in asked])
    if found is None:
        by_words = {_words_of(q): q.id for q in asked}
        found = by_words.get(match_name(target, list(by_words)) or "")
    if found is None:  # "answer to 'What do we do about it?'", as a refusal lists an answer with no label
        quoted = [q.id for q in asked if "{" not in q.ask and _question(q.ask) == _question(target)]
        found = quoted[0] if len(quoted) == 1 else None
    return found


def _question(words: str) -> str:
    """A question as a correction may quote it: without 'answer to', its quotes, case and end mark."""
    plain = " ".join(words.casefold().split()).removeprefix("the ").removeprefix("answer to ")
    return plain.strip("'\"\u2018\u2019\u201c\u201d ").rstrip("?.! ")


def _same(q: Question, old: Any, new: Any) -> bool:
    """Whether a correction's ``new`` value is what ``old`` already is (a person by their id)."""
    if q.type == "person":
        was, now = questions.as_actor(old), questions.as_actor(new)
        return was is not None and now is not None and was.id == now.id
    return bool(old == new)


def _words_of(q: Question) -> str:
    """``q`` as messages name it, as an id: "the due date" is due_date."""
    words = texts.answer_named(q.id, label=q.label).removeprefix("the ").replace("-", " ")
    return "_".join(words.casefold().split())


class Corrections(TurnBase):
    def _record(self, slot: tuple[str, int | None, str | None], actor: Actor, value: Any, raw: str, kind: str) -> None:
        revision = self.ctx.next_revision(slot, actor.id)
        step, item, fld = slot
        self.out.answers.append(
            {
                "step": step,
                "item": None if item is None else item + 1,
                "field": fld,
                "actor": actor.id,
                "value": value,
                "raw": raw,
                "kind": kind,
                "revision": revision,
            }
        )

    def _slot_words(self, slot: tuple[str, int | None, str | None]) -> str:
        """An answer as people name it: ``the decision``, ``the owner of Action 2``."""
        step, item, fld = slot
        if not self.flow.has_step(step):
            return texts.answer_named(step)
        asked = self.flow.step(step)
        if item is None:
            return shown.named(asked)
        q = asked.field(fld or "") or asked
        return texts.item_field(shown.named(q), self.flow.item_label_of(asked), item + 1)

    def _correct(self, command: Command, actor: Actor) -> bool:
        """Change an earlier answer; whether it changed (a refusal says why)."""
        found = self._find_slot(command)
        if found is None:
            names = [self._slot_words((s, None, None)) for s in self.on_route()]
            unknown = self._no_such_item(command) or texts.correction_target_unknown(command.target or "", names)
            self.say(unknown, to=actor, kind="error")
            return False
        slot, q = found
        by = self.ctx.answered_by.get(slot_key(slot))
        label = self._slot_words(slot)
        if slot[0] not in self.on_route():  # left by 'back': nothing the run reads would take it
            self.say(texts.correction_off_route(label), to=actor, kind="error")
            return False
        confirmed = self._confirmed_by_named(slot)
        if confirmed:
            self.say(texts.correction_confirmed_by_named(label, confirmed), to=actor, kind="error")
            return False
        answered = self._answered_on_terms(slot[0], actor)
        if answered:
            self.say(texts.correction_answered_on_terms(answered[0], answered[1], label), to=actor, kind="error")
            return False
        if actor.id != self.ctx.facilitator.id and by != actor.id:
            gave = None if by == self.ctx.facilitator.id else self._answerer(by)  # the facilitator gave it
            self.say(texts.correction_not_allowed(label, gave, self.ctx.facilitator.name), to=actor, kind="error")
            return False
        if by is not None and by != actor.id and self.flow.step(slot[0]).to != "facilitator":
            self.say(texts.correction_theirs_alone(label, self._answerer(by)), to=actor, kind="error")  # their word
            return False
        if self._branched_on(slot[0]):
            self.say(texts.correction_branched(label), to=actor, kind="error")
            return False
        if command.value is None:  # "change the due date of action 2": to what, it does not say
            typed = self.message.text if self.message else f"change {command.target}"
            self.say(texts.correction_needs_value(typed.strip().rstrip(".!?")), to=actor, kind="error")
            return False
        try:
            value = questions.parse(q, command.value or "", self.pctx(actor))
        except AnswerError as error:
            self.say(texts.answer_error(error.code, error.params, self.conversation.channel), to=actor, kind="error")
            return False
        if _same(q, self._slot_value(slot), value):  # nothing to change, nobody to ask again
            self.say(texts.correction_unchanged(label, shown.display(q, value)), to=actor)
            return False
        old = self._set_slot(slot, value)
        self._record(slot, actor, value, command.value or "", "correction")
        self.say(texts.corrected(label, shown.display(q, old), shown.display(q, value)), to=actor)
        if q.type == "person":
            self.ctx.remember(Actor.from_dict(value))
            self._owner_changed(slot, value, actor)
        else:
            self._terms_changed(slot)
        self._quoted_terms_changed(slot, label)
        self._quoting_asked_again(slot[0], label, actor)
        return True

    def _answerer(self, by: str | None) -> str:
        """Who gave an answer, by name (their id when the run does not know them)."""
        return next((p.name for p in self.ctx.known_people() if p.id == by), by) or "the answerer"

    def _branched_on(self, step_id: str) -> str | None:
        """The step the run has left whose branch read ``step_id``'s answer (``when: approved``):
        a changed answer would leave the run on the way the old one chose; None when none has."""
        for left in self.ctx.path:
            if not self.flow.has_step(left):
                continue
            for branch in self.flow.step(left).next:
                if branch.when and step_id in condition_names(branch.when):
                    return left
        return None

    def _due_of(self, step: Step) -> Question | None:
        """The due date an owner asked to take an item at ``step`` may propose another of: the
        ``due`` field (or the only date field) of the items that step asks about."""
        if step.id != self.flow.record.accepts or not step.fan_out or not self.flow.has_step(step.fan_out[0]):
            return None
        dates = [f for f in self.flow.step(step.fan_out[0]).fields if f.type == "date"]
        return next((f for f in dates if f.id == "due"), dates[0] if len(dates) == 1 else None)

    def _proposed_due(self, prompt: Prompt, step: Step, text: str, actor: Actor) -> bool | None:
        """An owner's yes with another due date ("yes, by next friday"): the item's due date
        changed as a correction of theirs, told to the thread (True: their yes is to be taken);
        False when the date does not fit (said why, nothing taken); None when it is no such yes."""
        due, said = self._due_of(step), _YES_BY.match(text)
        if due is None and said is not None and step.id == self.flow.record.handover and prompt.item is not None:
            return handed.yes_with_a_date(self, prompt.item, said["yes"], said["date"], actor)
        if due is None or said is None or prompt.item is None or prompt.purpose != "answer" or prompt.escalated:
            return None
        try:
            if not parse_yes_no(said["yes"]):
                return None
            value = questions.parse(due, said["date"], self.pctx(actor))
        except AnswerError as error:
            if error.code in ("yes_no", "date_invalid"):  # "yes, by the way": not a date proposed
                return None
            self.say(texts.answer_error(error.code, error.params, self.conversation.channel), to=actor, kind="error")
            return False
        slot = (step.fan_out[0] if step.fan_out else "", prompt.item, due.id)
        old = self._set_slot(slot, value)
        self._record(slot, actor, value, said["date"], "correction")
        what = self.ctx.answers[slot[0]][prompt.item].get("what", "")
        label, was = self.flow.item_label_of(step), shown.display(due, old)
        self.say(texts.taken_with_due(actor.name, label, prompt.item + 1, what, shown.display(due, value), was))
        return True

    def _no_such_item(self, command: Command) -> str | None:
        """Why "change owner of action 3" finds nothing when the field exists but the number is not
        one listed ("There is no Action 3: only Action 1 is listed."); None otherwise."""
        if command.item is None:
            return None
        repeats = [s for s in self.flow.steps if s.type == "repeat"]
        named = [s for s in repeats if item_word(s.item_label) == command.label]
        for step in named or repeats:
            items = self.ctx.answers.get(step.id)
            target = command.target or ""
            if not isinstance(items, list) or not items or (target and not named_answer(target, step.fields)):
                continue
            if command.item == len(items) + 1 and self.state == step.id:  # being listed: that field is not yet
                return None
            return texts.correction_no_such_item(step.item_label, command.item, len(items))
        return None

    def _confirmed_by_named(self, slot: tuple[str, int | None, str | None]) -> str | None:
        """Whom this slot named, when a step asked of them (``to: <person step>``, 'Do you take
        it?') has been reached since: a correction would leave that question, or their answer (or
        their naming themselves), standing for someone else."""
        step_id, item, _ = slot
        if item is not None:
            return None
        for step in self.flow.steps:
            if step.to == step_id and step.fan_out is None and (step.id in self.ctx.path or self.state == step.id):
                named = questions.as_actor(self.ctx.answers.get(step_id))
                return named.name if named else step_id
        return None

    def _find_slot(self, command: Command) -> tuple[tuple[str, int | None, str | None], Question] | None:
        target = command.target or ""
        if command.item is not None:
            repeats = [s for s in self.flow.steps if s.type == "repeat"]
            named = [s for s in repeats if item_word(s.item_label) == command.label]
            for step in named or repeats:  # "owner of risk 2" is a Risk's; "of item 2", any step's
                items = self.ctx.answers.get(step.id)
                if not isinstance(items, list):
                    continue
                fid = named_answer(target, step.fields) if target else step.fields[0].id
                listing = command.item == len(items) + 1 and fid in self.ctx.draft and self.state == step.id
                if fid and (1 <= command.item <= len(items) or listing):
                    q = step.field(fid)
                    assert q is not None
                    return (step.id, command.item - 1, fid), q
            return None
        plain = [s.id for s in self.flow.steps if s.id in self.ctx.answers and s.type != "repeat" and not s.fan_out]
        sid = named_answer(target, [self.flow.step(i) for i in plain])
        return ((sid, None, None), self.flow.step(sid)) if sid else self._item_meant(target)

    def _item_meant(self, target: str) -> tuple[tuple[str, int | None, str | None], Question] | None:
        """The item whose field ``target`` names without its number ("change owner to ..."): the
        one being listed, or the only one listed."""
        for step in (s for s in self.flow.steps if s.type == "repeat"):
            items, fid = self.ctx.answers.get(step.id), named_answer(target, step.fields)
            q = step.field(fid) if fid else None
            if fid is None or q is None or not isinstance(items, list):
                continue
            if fid in self.ctx.draft and self.state == step.id:
                return (step.id, len(items), fid), q
            if len(items) == 1 and not self.ctx.draft:
                return (step.id, 0, fid), q
        return None

    def _slot_value(self, slot: tuple[str, int | None, str | None]) -> Any:
        step, item, fld = slot
        if item is None:
            return self.ctx.answers.get(step)
        entry = self.ctx.draft if self._listing(slot) else self.ctx.answers[step][item]
        return entry.get(fld or "")

    def _set_slot(self, slot: tuple[str, int | None, str | None], value: Any) -> Any:
        """``slot`` set to ``value``; what it held."""
        step, item, fld = slot
        old = self._slot_value(slot)
        if item is None:
            self.ctx.answers[step] = value
        else:
            (self.ctx.draft if self._listing(slot) else self.ctx.answers[step][item])[fld or ""] = value
        return old

    def _listing(self, slot: tuple[str, int | None, str | None]) -> bool:
        """Whether ``slot`` is a field of the repeat item being listed (its draft): nobody was asked
        to confirm it yet."""
        step, item, _ = slot
        items = self.ctx.answers.get(step)
        return isinstance(items, list) and item == len(items) and self.state == step

    def _owner_changed(self, slot: tuple[str, int | None, str | None], owner: dict[str, str], by: Actor) -> None:
        source, item, fld = slot
        if self._listing(slot):
            return
        for step in self.flow.steps:
            if step.fan_out != (source, fld) or item is None:
                continue
            what = self.ctx.answers[source][item].get("what", "")
            label = self.flow.item_label_of(step)
            given = texts.given_to_another(by.name, label, item + 1, what, owner.get("name") or owner["id"])
            self._tell_former_owner(step.id, item, owner, by, given)
            self._confirm_again(step.id, item, owner, texts.owner_changed_notice(label, item + 1, what))

    def _tell_former_owner(self, step_id: str, item: int, owner: dict[str, str], by: Actor, given: str) -> None:
        """The person already asked to confirm the item, which now goes to ``owner``, is told why
        their question went (a late answer of theirs, a click on it), not that the run moved on.
        ``by`` and ``answer`` as a run this version wrote are read by the one before it."""
        for p in self.ctx.prompts:
            if p.step == step_id and p.item == item and p.asked and p.to["id"] != owner["id"]:
                self.ctx.closed[p.to["id"]] = {"by": by.name, "answer": owner.get("name", ""), "given": given}

    def _terms_changed(self, slot: tuple[str, int | None, str | None]) -> None:
        """An item's other field changed (its due date, what it is): the owner confirms it again,
        so no one is recorded as accepting terms they were never shown."""
        source, item, fld = slot
        if item is None or self._listing(slot):
            return
        entry = self.ctx.answers[source][item]
        for step in self.flow.steps:
            if not step.fan_out or step.fan_out[0] != source or step.fan_out[1] == fld:
                continue
            owner = entry.get(step.fan_out[1])
            if isinstance(owner, dict) and owner.get("id"):
                notice = texts.terms_changed_notice(self.flow.item_label_of(step), item + 1, entry.get("what", ""))
                self._confirm_again(step.id, item, owner, notice)

    def _quoted_terms_changed(self, slot: tuple[str, int | None, str | None], label: str) -> None:
        """An answer a fan-out's question quotes changed (``Do you approve {{ vendor }} for {{ amount
        }}?``): those who answered it are asked again (their answers stay as earlier revisions, and
        no longer count) and those it is open to see it anew, since what they were shown was other
        terms. A fan-out over the changed item's own list is ``_terms_changed``'s."""
        source, item, _ = slot
        for step in self.flow.steps:
            if not step.fan_out or (item is not None and step.fan_out[0] == source):
                continue
            if source not in templates.names_read(step.ask):
                continue
            answered = self._answerers(step.id)
            open_now = [p for p in self.ctx.prompts if p.step == step.id and p.asked and p.purpose == "answer"]
            if not answered and not open_now:
                continue
            for number, owner in answered:
                self._confirm_again(step.id, number, owner, notice=None)
            for prompt in open_now:
                prompt.asked = False  # asked again below, worded with the new terms
            names = [owner["name"] for _, owner in answered] + [p.to["name"] for p in open_now]
            self.say(texts.quoted_terms_changed_notice(label, list(dict.fromkeys(names))))
            self.ask_waiting()

    def _quoting(self, source: str) -> list[Step]:
        """The steps asked of the one person an earlier step named (``to: approver``) whose
        question quotes ``source``'s answer ("Do you approve {{ vendor }} ...?")."""
        return [
            s
            for s in self.flow.steps
            if s.id != source and self.flow.to_person_step(s.to) and source in templates.names_read(s.ask)
        ]

    def _answered_on_terms(self, source: str, actor: Actor) -> tuple[str, str] | None:
        """Who answered, and the question they were shown, when a step quoting ``source`` was
        answered by someone other than ``actor``: a correction would leave their answer standing
        for terms they never saw (their yes to Acme for Initech)."""
        for step in self._quoting(source):
            by = self.ctx.answered_by.get(step.id)
            if step.id in self.ctx.answers and step.id in self.on_route() and by and by != actor.id:
                name = next((p.name for p in self.ctx.known_people() if p.id == by), by)
                return name, self.render(step.ask, None, step)
        return None

    def _quoting_asked_again(self, source: str, label: str, actor: Actor) -> None:
        """A question quoting ``source`` open to another person: asked again in the new terms, so
        their answer is to what they were shown."""
        for step in self._quoting(source):
            open_now = [p for p in self.ctx.prompts if p.step == step.id and p.asked and p.to.get("id") != actor.id]
            for prompt in open_now:
                prompt.asked = False
            if open_now:
                self.say(texts.quoted_terms_changed_notice(label, list(dict.fromkeys(p.to["name"] for p in open_now))))
                self.ask_waiting()

    def _answerers(self, step_id: str) -> list[tuple[int, dict[str, str]]]:
        """The items of a fan-out step answered so far, each with the person it asks."""
        step = self.flow.step(step_id)
        field = step.fan_out[1] if step.fan_out else ""
        items = self.fan_items(step)
        out = []
        for key in self.ctx.answers.get(step_id) or {}:
            owner = items[int(key)].get(field) if int(key) < len(items) else None
            if isinstance(owner, dict) and owner.get("id"):
                out.append((int(key), owner))
        return out

    def _confirm_again(self, step_id: str, item: int, owner: dict[str, str], notice: str | None) -> None:
        """Drop the item's answer to the fan-out step and, once that step is reached, ask ``owner``."""
        reached = step_id in self.ctx.path or self.state == step_id
        (self.ctx.answers.get(step_id) or {}).pop(str(item), None)
        self.ctx.prompts = [p for p in self.ctx.prompts if not (p.step == step_id and p.item == item)]
        if reached:
            self.ctx.prompts.append(Prompt(step=step_id, to=owner, item=item))
            if notice:
                self.say(notice)
                self.ask_waiting()
