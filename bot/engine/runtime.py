"""One turn of a run: an inbound message interpreted against the run's state.

``Turn(...).start()`` opens a run's first step; :func:`handle` takes one message. Both return an
:class:`~bot.engine.asking.Outcome` and touch no database: the store writes the outcome in one
transaction, so a crash mid-turn leaves nothing half-written.
"""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.engine import answers, questions, shown
from bot.engine.answers import AnswerError, is_bare_yes_no
from bot.engine.asking import Outcome, taken_value
from bot.engine.commands import Command, classify, match_name
from bot.engine.ending import Ending
from bot.engine.listing import Listing
from bot.engine.model import Question, Step
from bot.engine.small_talk import SmallTalk
from bot.engine.state import Prompt, slot_key
from bot.engine.waiting import waiting_for
from bot.model import Actor, Message


class Turn(Listing, SmallTalk, Ending):
    # --- entry points ------------------------------------------------------------------------

    def start(self) -> Outcome:
        self.out.inbound_kind = "start"
        self.enter(self.flow.first.id, self.ctx.facilitator)
        return self.out

    def handle(self, message: Message) -> Outcome:
        self.message = message
        actor, text = message.actor, message.text.strip()
        self.out.inbound_step = self._step_id()
        status = self.out.status  # a stalled run a message resumes is active again: activity
        if self.out.status in ("completed", "cancelled"):
            self.out.inbound_kind = "closed"
            self.say(self.closed_note(), to=actor, kind="error", private=True)
            return self.out
        if self.out.status == "stalled" and self._resumes(actor):  # a bystander's chatter leaves it stalled
            self.out.status = "active"
            self.say(texts.resumed(), to=actor)
        if self.ctx.confirm and self.ctx.confirm.get("actor") == actor.id:
            self._confirming(actor, text)
            return self.out
        command = classify(text, self.flow.item_labels)
        prompt = self.ctx.prompt_for(actor.id)
        if prompt:
            self.out.inbound_step = prompt.step
        if command and command.kind == "correct" and prompt and self._free_text_answer(command, prompt):
            command = None  # "Update the plan to show the new date", said to a text question, is an answer
        if command and command.kind == "correct" and prompt and self._names_an_option(prompt, text):
            command = None  # "Change it", an option of the question waiting, is its answer
        if command:
            self.out.inbound_kind = "command"
            self._command(command, actor, prompt)
        elif prompt is None:
            self.out.inbound_kind = "refused"
            self.say(self._nothing_for(actor), to=actor, kind="error", private=True)
        elif not (
            self._small_talk(prompt, actor, text) or self._removal(text, actor) or self._adding(prompt, text, actor)
        ):
            self._answer(prompt, actor, text)  # not "thanks!", "what is this?", "remove action 2": no miss
        if prompt is None and not (self.out.answers or self.out.transitions) and self.out.status == status:
            self.out.activity = self.ctx.confirm is not None and self.ctx.confirm.get("actor") == actor.id
        return self.out

    def no_way_on(self, message: Message) -> Outcome:
        """The answer matched no branch: only a flow version stored before such versions were
        refused at load ends with a conditional branch. The run stays as it was, the answer untaken."""
        self.message = message
        prompt = self.ctx.prompt_for(message.actor.id)
        self.out.inbound_step = prompt.step if prompt else self._step_id()
        self.out.inbound_kind = "invalid"
        self.say(texts.no_branch_takes(message.text.strip()), to=message.actor, kind="error")
        return self.out

    # --- answers -----------------------------------------------------------------------------

    def _answer(self, prompt: Prompt, actor: Actor, text: str) -> None:
        step = self.flow.step(prompt.step)
        q = self.question_of(prompt)
        folded = answers.fold(answers.without_emoji_modifiers(text))  # "OK." and "ok 👍🏽" are ok
        if step.type == "repeat" and q is step.fields[0] and not self.ctx.draft and questions.is_done_word(text):
            self._finish_repeat(prompt, step, actor)
            return
        text = self._first_of_list(step, q, text, actor)  # "1. draft plan 2. call vendor": one at a time
        current = self.current_value(prompt)
        typed = text
        if q.type == "yes_no" and (proposed := self._proposed_due(prompt, step, text, actor)) is not None:
            if proposed:  # "yes, by next friday": the due date moved, then their yes
                self._accept(prompt, step, q, True, actor, typed)
            else:
                self.out.inbound_kind = "invalid"
            return
        if questions.agrees(q, text) and not (q.options and folded and self._is_option(q, text, actor)):
            if current is not None and folded != "default":
                self._accept(prompt, step, q, current, actor, typed, kind="kept")
                return
            if q.default is not None:
                text = str(q.default)
        try:
            value = questions.parse(q, text, self.pctx(actor))
        except AnswerError as error:
            self._invalid(prompt, step, q, error, actor)
            return
        if q.type == "person":
            self.ctx.remember(Actor.from_dict(value))
        self._accept(prompt, step, q, value, actor, typed, kind="answer" if text == typed else "default")

    def _free_text_answer(self, command: Command, prompt: Prompt) -> bool:
        """A correction naming nothing of this flow, said to a free-text question: the words are
        the answer ("Update the plan to show the new date"). One naming an answer, a step or field
        not answered yet, or the decision stays a correction (and says what can be changed)."""
        if self.question_of(prompt).type != "text" or self._find_slot(command) is not None:
            return False
        names = ["decision", *(s.id for s in self.flow.steps), *(f.id for s in self.flow.steps for f in s.fields)]
        return match_name(command.target or "", names) is None

    def _names_an_option(self, prompt: Prompt, text: str) -> bool:
        """Whether ``text`` is word for word an option of the question waiting (its label or value,
        any case: "Change it"), which no correction takes from it."""
        said = answers.fold(text)
        return any(said in (answers.fold(o.label), answers.fold(o.value)) for o in self.question_of(prompt).options)

    def _is_option(self, q: Question, text: str, actor: Actor) -> bool:
        """Whether ``text`` names one of the options ('Keep it' is an answer, not 'keep')."""
        try:
            questions.parse(q, text, self.pctx(actor))
        except AnswerError:
            return False
        return True

    def _finish_repeat(self, prompt: Prompt, step: Step, actor: Actor) -> None:
        """'done': the list ends; the item asked again and those after it, gone back over, stay
        (each whole one: a half-given item is not kept)."""
        items = self.ctx.answers.get(step.id) or []
        gone_over = [i for i in [self.ctx.offered(prompt), *self.ctx.later] if all(f.id in i for f in step.fields)]
        if len(items) + len(gone_over) < step.min_items:
            msg = texts.answer_error("min_items", {"count": step.min_items})
            self.say(msg, to=actor, kind="error")
            self.out.inbound_kind = "invalid"
            return
        self.ctx.answers[step.id] = [*items, *gone_over]
        self.ctx.kept, self.ctx.later = {}, []
        self._close(prompt)
        self.complete_step(step, actor)

    def _accept(
        self, prompt: Prompt, step: Step, q: Question, value: Any, actor: Actor, raw: str, kind: str = "answer"
    ) -> None:
        if prompt.purpose == "reassign":
            self._reassign(prompt, step, value, actor, raw)
            return
        self._record(prompt.slot, actor, value, raw, kind)
        self._close(prompt)
        if step.type == "repeat":
            self._next_field(step, q, value, actor)
        elif prompt.item is not None:
            self._fan_answer(prompt, step, value, actor, raw)
        else:
            self.ctx.answers[step.id] = value
            self.complete_step(step, actor)

    def named_yes(self, step: Step) -> None:
        """Their yes, as the run reads it: no answer row of its own (they typed one answer, 'me',
        which the naming step keeps), so participation counts one answer."""
        named = questions.as_actor(self.on_route().get(step.to))
        assert named is not None
        self.ctx.answers[step.id] = True
        self.ctx.answered_by[step.id] = named.id

    def _next_field(self, step: Step, q: Question, value: Any, actor: Actor) -> None:
        self.ctx.draft[q.id] = value
        items = self.ctx.answers.setdefault(step.id, [])
        remaining = [f for f in step.fields if f.id not in self.ctx.draft]
        if remaining:  # a field gone back over shows its answer as 'currently'
            self.open_field(step, remaining[0], len(items), actor, revisit=self.ctx.kept.pop(remaining[0].id, None))
            return
        items.append(dict(self.ctx.draft))
        self.ctx.draft, self.ctx.kept = {}, {}
        if self.ctx.later:  # the items after it, gone back over: the next one asked again as it was
            self.ctx.kept = self.ctx.later.pop(0)
            first = step.fields[0]
            self.open_field(step, first, len(items), actor, revisit=self.ctx.kept.pop(first.id, None))
            return
        if not self._next_of_list(step, len(items), actor):
            self.open_field(step, step.fields[0], len(items), actor)

    def _fan_answer(self, prompt: Prompt, step: Step, value: Any, actor: Actor, raw: str) -> None:
        self.ctx.answers.setdefault(step.id, {})[str(prompt.item)] = value
        if step.id == self.flow.record.actions_done:  # "no, blocked by legal": the review's summary quotes it
            self.ctx.said.pop(slot_key(prompt.slot), None)
            if not is_bare_yes_no(raw):
                self.ctx.said[slot_key(prompt.slot)] = raw
        reassign: Prompt | None = None
        if step.id == self.flow.record.accepts and value is False:
            fac = self.ctx.facilitator
            said = None if is_bare_yes_no(raw) else raw  # "No, I'm out that week": why, for whoever picks
            reassign = Prompt(step=step.id, to=fac.to_dict(), item=prompt.item, purpose="reassign", said=said)
            self.ctx.prompts.append(reassign)
            self.ctx.answers[step.id].pop(str(prompt.item))
            self.say(texts.declined_ack(fac.name, yourself=actor.id == fac.id), to=actor, private=True)
        self._after_fan(step, actor)
        if reassign is not None and reassign.said and actor.id != reassign.to["id"]:
            # said in private: told the facilitator alone, after the question the run's people read
            self.say(
                self._reason(step, prompt.item or 0, actor, reassign.said),
                to=Actor.from_dict(reassign.to),
                private=True,
            )

    def _reason(self, step: Step, item: int, owner: Actor, said: str) -> str:
        what = str(self.fan_items(step)[item].get("what") or "")
        return texts.decline_reason(owner.name, self.flow.item_label_of(step), item + 1, what, self.title, said)

    def _after_fan(self, step: Step, actor: Actor) -> None:
        open_here = [p for p in self.ctx.prompts if p.step == step.id]
        if self.state != step.id:  # a late confirmation after the step was left
            if not self.ctx.prompts and self.state == "completed":
                self._finish()
            else:
                self.ask_waiting()
            return
        if not open_here or (step.complete_when == "any" and self.ctx.answers.get(step.id)):
            self._close_for_others(step, open_here, actor)
            self.complete_step(step, actor)
        else:
            self.ask_waiting()

    def _close_for_others(self, step: Step, open_here: list[Prompt], actor: Actor) -> None:
        """One answer closed a ``complete_when: any`` step: the others' questions are withdrawn,
        and what closed them is kept (a choice by its label), so a late answer is told why rather
        than refused."""
        answer = shown.display(step, taken_value(self.out, actor.id))
        for prompt in open_here:
            self.ctx.prompts.remove(prompt)
            if prompt.asked and prompt.to["id"] != actor.id:
                self.ctx.closed[prompt.to["id"]] = {"by": actor.name, "answer": answer}

    def _resumes(self, actor: Actor) -> bool:
        """Whether ``actor``'s word resumes a stalled run: someone a question waits on, or its
        facilitator; not someone it asks nothing (as their chatter is no activity for reminders)."""
        return actor.id == self.ctx.facilitator.id or self.ctx.prompt_for(actor.id) is not None

    def _nothing_for(self, actor: Actor) -> str:
        """Why ``actor``'s message is no answer: a question of theirs another's answer closed, or
        the question is someone else's."""
        return self.ctx.late_note(actor.id) or texts.not_for_you(self.ctx.addressees())

    def _reassign(self, prompt: Prompt, step: Step, value: Any, actor: Actor, raw: str) -> None:
        source, fld = step.fan_out or ("", "owner")
        item = prompt.item or 0
        self._record((source, item, fld), actor, value, raw, "correction")
        self.ctx.answers[source][item][fld] = value
        self._close(prompt)
        self.ctx.prompts.append(Prompt(step=step.id, to=value, item=item))
        self.ask_waiting()

    def _invalid(self, prompt: Prompt, step: Step, q: Question, error: AnswerError, actor: Actor) -> None:
        self.out.inbound_kind = "invalid"
        prompt.fails += 1
        if prompt.fails < step.max_failures:
            said = texts.answer_error(error.code, error.params, self.conversation.channel)
            if error.code == "yes_no" and prompt.item is not None and self._due_of(step) is not None:
                said += " " + texts.take_with_due_hint()  # "can I do it by friday instead?"
            self.say(said, to=actor, kind="error")
            return
        prompt.fails = 0
        if step.on_fail == "skip" and q.optional:
            self.say(texts.skipped_after_failures(shown.named(q)), to=actor)
            self._accept(prompt, step, q, None, actor, "", kind="skip")
        elif step.on_fail == "cancel":
            self._cancel(actor, texts.cancelled_after_failures(shown.named(step), self.run_named()))
        elif step.on_fail != "help" and prompt.to["id"] != self.ctx.facilitator.id:
            fac = self.ctx.facilitator
            self.say(texts.escalation_notice(actor.name, fac.name), to=actor, private=True)
            self.ctx.note_handed(actor.id, fac.name)
            prompt.to, prompt.escalated, prompt.asked = fac.to_dict(), True, False
            self.ask_waiting()
        else:  # three misses by the facilitator, or on_fail: help: the whole question, with help
            self._help(prompt, actor)

    # --- commands ----------------------------------------------------------------------------

    def _command(self, command: Command, actor: Actor, prompt: Prompt | None) -> None:
        fac = self.ctx.facilitator
        if command.kind == "correct":
            since = len(self.out.replies)
            self._correct(command, actor)  # changed or refused, the question waiting is shown again
            self._back_to_question(actor, since)
        elif command.kind == "cancel":
            if actor.id != fac.id:
                self.say(texts.only_facilitator("cancel the run", fac.name), to=actor, kind="error", private=True)
                return
            self.ctx.confirm = {"kind": "cancel", "actor": actor.id}
            self.say(texts.confirm_cancel(), to=actor, kind="prompt")
        elif prompt is None and command.kind == "help":  # what the run is doing, not a refusal
            label = next(iter(self.flow.item_labels), None)
            said = texts.help_nothing_asked(waiting_for(self), actor.id == fac.id, label, self.run_id, self.title)
            self.say(said, to=actor, private=True)
        elif prompt is None and command.kind == "back" and actor.id == fac.id and self.ctx.prompts:
            self._back(self.ctx.prompts[0], actor)  # the lead goes back while the run waits on others
        elif prompt is None:
            self.say(texts.not_for_you(self.ctx.addressees()), to=actor, kind="error", private=True)
        elif command.kind == "help":
            self._help(prompt, actor)
        elif command.kind == "skip":
            q = self.question_of(prompt)
            if not q.optional:
                self.say(texts.cannot_skip(), to=actor, kind="error")
                return
            self._accept(prompt, self.flow.step(prompt.step), q, None, actor, "skip", kind="skip")
        elif command.kind == "back":
            self._back(prompt, actor)

    def _back_to_question(self, actor: Actor, since: int) -> None:
        """After a correction, made or refused, the question ``actor`` was answering is put before
        them again, unless the correction asked them something already (replies from ``since``
        on). It goes out as a question, so a chat's widgets move to it (Slack withdraws the older
        ones)."""
        prompt = self.ctx.prompt_for(actor.id)
        asked = any(r.kind == "prompt" and r.to is not None and r.to.id == actor.id for r in self.out.replies[since:])
        if prompt is not None and not asked:
            self.ask(prompt, current=self.current_value(prompt), lead=texts.back_to())

    def _confirming(self, actor: Actor, text: str) -> None:
        self.out.inbound_kind = "command"
        try:
            yes = questions.parse(Question(id="confirm", ask="", type="yes_no"), text, self.pctx(actor))
        except AnswerError as error:
            self.say(texts.answer_error(error.code, error.params, self.conversation.channel), to=actor, kind="error")
            return
        self.ctx.confirm = None
        if yes:
            self._cancel(actor, texts.cancelled(actor.name, self.run_named()))
            return
        self.say(texts.cancel_kept(), to=actor)
        prompt = self.ctx.prompt_for(actor.id)
        if prompt:
            self.ask(prompt, current=self.current_value(prompt))
