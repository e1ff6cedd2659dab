"""The asking half of a turn: enter a step, open its prompts, render them as replies.

:class:`TurnBase` holds what one turn works on (the flow, the run's state, the clock) and what
it produces (:class:`Outcome`); :class:`bot.engine.runtime.Turn` adds the answering half.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.engine import questions, shown, templates
from bot.engine.answers import ParseContext
from bot.engine.compiler import interpreter
from bot.engine.model import Flow, Question, Step
from bot.engine.state import Prompt, RunState
from bot.model import Actor, ConversationKey, Message, Reply


@dataclass
class Outcome:
    """Everything a turn decided, written by the store in one transaction."""

    state: str
    status: str
    replies: list[Reply] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    inbound_step: str | None = None
    inbound_kind: str = "answer"  # answer | command | invalid | refused | closed | start
    completion: dict[str, Any] | None = None
    #: False for a message the run took nothing from, said by someone it asks nothing (chatter in
    #: its conversation, their ``help``): no activity, so the reminder chain keeps its time.
    activity: bool = True


def taken_value(outcome: Outcome, actor_id: str) -> Any:
    """The value a turn took from ``actor_id``: their answer to the step they answered (a
    reassigned owner is recorded on the step it came from); None when it took none (a 'done')."""
    mine = [a for a in outcome.answers if a.get("actor") == actor_id]
    here = [a for a in mine if a.get("step") == outcome.inbound_step] or mine
    return here[-1]["value"] if here else None


REASSIGN = Question(id="owner", ask="", type="person")


class TurnBase(ABC):
    def __init__(
        self,
        flow: Flow,
        run_id: int,
        state: str,
        status: str,
        ctx: RunState,
        conversation: ConversationKey,
        now: datetime,
        tz_for: Callable[[Actor], ZoneInfo],
    ):
        self.flow = flow
        self.run_id = run_id
        self.ctx = ctx
        self.conversation = conversation
        self.now = now
        self.tz_for = tz_for
        self.interp = interpreter(flow)
        self.out = Outcome(state=state, status=status)
        self.message: Message | None = None

    @property
    def state(self) -> str:
        return self.out.state

    # --- replies ----------------------------------------------------------------------------

    def say(
        self,
        text: str,
        to: Actor | None = None,
        kind: str = "info",
        private: bool = False,
        expects: dict[str, Any] | None = None,
    ) -> None:
        """A reply; ``expects`` is the question it is about (``help``'s: a chat that gives a
        question's buttons with every message, Rasa, gives them again)."""
        step = self._step_id()
        self.out.replies.append(
            Reply(self.run_id, self.conversation, text, to=to, step=step, kind=kind, private=private, expects=expects)
        )

    @property
    def title(self) -> str:
        """The run's title, as people know it (else its flow's id)."""
        return str(self.ctx.trigger.get("title") or self.flow.id)

    def closed_note(self) -> str:
        """To someone writing to this run once it has ended: which run, and that it ended."""
        return texts.run_closed(self.out.status, self.run_id, self.title)

    def _step_id(self) -> str | None:
        return self.state if self.flow.has_step(self.state) else None

    def pctx(self, actor: Actor) -> ParseContext:
        said = self.message if self.message and self.message.actor == actor else None
        mentions = said.mentions if said else {}
        return ParseContext(
            now=self.now,
            tz=self.tz_for(actor),
            speaker=actor,
            people=self.ctx.known_people(),
            mentions=mentions,
            channel=self.conversation.channel,
            not_people=said.not_people if said else {},
            locale=said.locale if said else None,
        )

    # --- moving the machine ------------------------------------------------------------------

    def transition(self, event: str, actor: Actor | None, **kwargs: Any) -> str:
        before = self.state
        after = self.interp.send(before, event, **kwargs)
        self.out.state = after
        self.out.transitions.append({"from": before, "to": after, "event": event, "actor": actor.id if actor else None})
        return after

    def _close(self, prompt: Prompt) -> None:
        if prompt in self.ctx.prompts:
            self.ctx.prompts.remove(prompt)

    def guard_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {s.id: None for s in self.flow.steps}
        for key, value in self.on_route().items():
            values[key] = shown.guard_value(self.flow, key, value)
        return values

    def on_route(self) -> dict[str, Any]:
        """The answers conditions and prompts read: of the steps on the route taken and the step
        the run is at, not of a branch left by 'back' (kept to show as 'currently' if taken again)."""
        taken = {*self.ctx.path, self.state}
        return {step: value for step, value in self.ctx.answers.items() if step in taken}

    # --- entering a step ---------------------------------------------------------------------

    def enter(self, step_id: str, actor: Actor | None, revisit: bool = False, adding: bool = False) -> None:
        """``adding``: back into a repeat step to add an item (the list shown, a new item asked)."""
        step = self.flow.step(step_id)
        if step.type == "repeat":
            self._open_repeat(step, revisit, adding)
            return
        targets = self.targets(step)
        if not targets:  # a fan-out over no items, or everyone has answered already
            if self.named_themselves(step):  # their 'me' was their yes: conditions and the record read it
                self.named_yes(step)
            self.complete_step(step, actor)
            return
        for who, item in targets:
            self.ctx.prompts.append(Prompt(step=step.id, to=who.to_dict(), item=item))
        self.ask_waiting()

    def _open_repeat(self, step: Step, revisit: bool, adding: bool = False) -> None:
        if step.ask and not revisit:
            self.say(self.render(step.ask, None), to=self.ctx.facilitator)
        items = self.ctx.answers.setdefault(step.id, [])
        who = self.facilitator_of(step)
        if items:  # shown whole: back into the list (to add one, or change its last answer), or to one left with 'back'
            self.say(self._items_so_far(step, items), to=who)
        if revisit and items and not adding:  # its last answer to change
            last = step.fields[-1]
            self.ctx.draft, self.ctx.kept, self.ctx.later = dict(items.pop()), {}, []
            current = self.ctx.draft.pop(last.id, None)
            self.open_field(step, last, len(items), who, revisit=current)
            return
        self.ctx.draft, self.ctx.kept = {}, self.ctx.later.pop(0) if self.ctx.later else {}
        self.open_field(step, step.fields[0], len(items), who, revisit=self.ctx.kept.pop(step.fields[0].id, None))

    def _items_so_far(self, step: Step, items: list[dict[str, Any]]) -> str:
        listed = []
        for values in items:
            shown_values = [(f.id, shown.display(f, values[f.id])) for f in step.fields if values.get(f.id) is not None]
            first, *others = shown_values or [("", "")]
            listed.append((first[1], others))
        return texts.items_so_far(step.item_label, listed)

    def facilitator_of(self, step: Step) -> Actor:
        return self.role_actors(step.to)[0] if not step.fan_out else self.ctx.facilitator

    def role_actors(self, role: str) -> list[Actor]:
        if role == "participants":
            return self.ctx.participants or [self.ctx.facilitator]
        if self.flow.to_person_step(role):  # whom that step named
            named = questions.as_actor(self.on_route().get(role))
            return [named or self.ctx.facilitator]
        return [self.ctx.facilitator]

    def targets(self, step: Step) -> list[tuple[Actor, int | None]]:
        """Who is asked in ``step``, with the item each prompt is about; those who answered
        already (on an earlier pass) are not asked again."""
        done = self.ctx.answers.get(step.id) or {}
        fan = step.fan_out
        if fan is None:
            if self.named_themselves(step):
                return []
            actors = self.role_actors(step.to)
            if len(actors) == 1 and step.to != "participants":
                return [(actors[0], None)]
            return [(a, i) for i, a in enumerate(actors) if str(i) not in done]
        out: list[tuple[Actor, int | None]] = []
        for i, item in enumerate(self.fan_items(step)):
            owner = questions.as_actor(item.get(fan[1]))
            if owner and str(i) not in done:
                out.append((owner, i))
        return out

    def named_themselves(self, step: Step) -> bool:
        """A yes/no ``to: <person step>`` (that person's confirmation) when whoever answered that
        step named themselves (``me``): naming themselves was their yes, so it is not asked."""
        if step.type != "yes_no" or not self.flow.to_person_step(step.to):
            return False
        named = questions.as_actor(self.on_route().get(step.to))
        return named is not None and named.id == self.ctx.answered_by.get(step.to)

    @abstractmethod
    def named_yes(self, step: Step) -> None:
        """Keep the yes of a confirmation ``step`` whose person named themselves (``me``)."""

    def fan_items(self, step: Step) -> list[dict[str, Any]]:
        source, _ = step.fan_out or ("", "")
        if source == "trigger.actions":
            return list(self.ctx.trigger.get("actions") or [])
        return list(self.ctx.answers.get(source) or [])

    def open_field(self, step: Step, q: Question, item: int, who: Actor, revisit: Any = None) -> None:
        prompt = Prompt(step=step.id, to=who.to_dict(), item=item, field=q.id, current=revisit)
        self.ctx.prompts.insert(0, prompt)
        self.ask(prompt, current=revisit)

    def ask_waiting(self) -> None:
        """Ask everyone who has an open prompt but no question in front of them; an answer the
        question has already (gone back to, or on a branch 'back' left and taken again) is shown
        as 'currently', since 'ok' keeps it."""
        for actor_id in list(dict.fromkeys(p.to["id"] for p in self.ctx.prompts)):
            waiting = self.ctx.next_unasked(actor_id)
            if waiting:
                self.ask(waiting, current=self.current_value(waiting))

    # --- rendering a prompt ------------------------------------------------------------------

    def question_of(self, prompt: Prompt) -> Question:
        step = self.flow.step(prompt.step)
        if prompt.purpose == "reassign":
            return REASSIGN
        if prompt.field:
            found = step.field(prompt.field)
            assert found is not None
            return found
        return step

    def ask(self, prompt: Prompt, current: Any = None, lead: str | None = None) -> None:
        if not prompt.asked:  # put to them now (a reminder or 'help' asks again: silent since the first time)
            prompt.asked_at = self.now.astimezone(UTC).isoformat(timespec="seconds")
        prompt.asked = True
        self.ctx.closed.pop(prompt.to["id"], None)  # asked anew: what closed before is past
        step = self.flow.step(prompt.step)
        q = self.question_of(prompt)
        who = prompt.actor
        text = self.prompt_text(prompt, step, q, current)
        if prompt.escalated:
            owner = self.fan_owner_name(prompt)
            text = texts.escalated_prompt(owner, text)
        if lead:  # words before the question, on its line ("Back to: ...")
            text = f"{lead} {text}"
        expects = questions.expects(q, self.pctx(who), repeat=step.type == "repeat" and q is step.fields[0])
        private = self.flow.asks_named(step) and prompt.purpose == "answer" and not prompt.escalated
        self.out.replies.append(
            Reply(self.run_id, self.conversation, text, to=who, step=step.id, expects=expects, private=private)
        )

    def fan_owner_name(self, prompt: Prompt) -> str:
        step = self.flow.step(prompt.step)
        if self.flow.to_person_step(step.to):
            named = questions.as_actor(self.on_route().get(step.to))
            return named.name if named else "Someone"
        if step.fan_out and prompt.item is not None:
            items = self.fan_items(step)
            if prompt.item < len(items):
                return questions.display(items[prompt.item].get(step.fan_out[1]))
        return "Someone"

    def asked_for_owner(self, prompt: Prompt, step: Step, q: Question) -> str:
        """An owner's question handed to someone else (after their misses, or by the escalation
        timer), worded for that person: the owner's own wording says "you"."""
        number = prompt.item or 0
        items = self.fan_items(step)
        item = self._item_shown(step, items[number]) if number < len(items) else {}
        rec = self.flow.record
        role = {rec.accepts: "accepts", rec.actions_done: "done"}.get(step.id) if q.type == "yes_no" else None
        return texts.asked_for_owner(
            role or "answer",
            self.fan_owner_name(prompt),
            self.flow.item_label_of(step),
            number + 1,
            str(item.get("what") or ""),
            str(item.get("due") or ""),
            self.render(q.ask, prompt.item, step),
        )

    def prompt_text(self, prompt: Prompt, step: Step, q: Question, current: Any, quoted: bool = False) -> str:
        """``quoted``: for others to read (an escalation quotes it), never "You declined ..."."""
        if prompt.purpose == "reassign":
            item = self.fan_items(step)[prompt.item or 0]
            label = self.flow.item_label_of(step)
            owner = item.get(step.fan_out[1]) if step.fan_out else None
            yourself = not quoted and isinstance(owner, dict) and owner.get("id") == prompt.to["id"]
            who = texts.you_declined() if yourself else self.fan_owner_name(prompt)
            aside = bool(prompt.said) and not yourself and not quoted  # their words: told to the one asked alone
            return texts.reassign_prompt(who, label, (prompt.item or 0) + 1, item.get("what", ""), aside)
        if prompt.escalated and step.fan_out and prompt.item is not None:
            text = self.asked_for_owner(prompt, step, q)
        else:
            text = self.render(q.ask, prompt.item if step.type != "repeat" else None, step)
        if step.type == "repeat":
            number = (prompt.item or 0) + 1
            text = texts.item_prefix(step.item_label, number) + text
            if q is step.fields[0] and number > max(step.min_items, 1):
                text += " " + texts.done_hint()
        hints = []
        if q.options:
            hints.append(texts.options_line([o.label for o in q.options]))
        yes_no = q.type == "yes_no"  # where 'ok' means yes
        if current is not None:
            hints.append(texts.currently(shown.display(q, current), "same" if yes_no else "ok"))
        elif q.default is not None:
            hints.append(texts.default_hint(shown.display(q, q.default), "default" if yes_no else "ok"))
        if q.optional:
            hints.append(texts.optional_hint())
        return "\n".join([text, *hints])

    def render(self, text: str, item: int | None, step: Step | None = None) -> str:
        if "{" not in text:
            return text
        answers = shown.answers(self.flow, self.on_route())
        for s in (s for s in self.flow.steps if isinstance(answers.get(s.id), dict)):
            if s.to == "participants" or s.fan_out:  # an answer each: by name, not a Python mapping
                answers[s.id] = shown.per_person(answers[s.id], self._asked_names(s))
        context: dict[str, Any] = {"trigger": self.ctx.trigger, "run": self.run_id, "answers": answers, **answers}
        if step is not None and step.type == "repeat":
            context["item"] = shown.item(step, self.ctx.draft)
        elif step is not None and item is not None and step.fan_out:
            context["item"] = self._item_shown(step, self.fan_items(step)[item])
            context["n"] = item + 1
        return templates.render(text, context)

    def _asked_names(self, step: Step) -> dict[str, str]:
        """The name of the person asked each item of a step asked of several people."""
        if not step.fan_out:
            return {str(i): a.name for i, a in enumerate(self.role_actors(step.to))}
        people = (questions.as_actor(item.get(step.fan_out[1])) for item in self.fan_items(step))
        return {str(i): p.name for i, p in enumerate(people) if p}

    def _item_shown(self, step: Step, values: dict[str, Any]) -> dict[str, Any]:
        """An item a fan-out ``step`` asks about, as its prompt sees it: a field of the repeat step
        it comes from by that field's question (a choice by its label), trigger data as it is."""
        source = step.fan_out[0] if step.fan_out else ""
        if self.flow.has_step(source):
            return shown.item(self.flow.step(source), values)
        return shown.plain(values)

    def current_value(self, prompt: Prompt) -> Any:
        value = self.ctx.answers.get(prompt.step)
        if prompt.field is not None:
            return self.ctx.draft.get(prompt.field, prompt.current)
        if isinstance(value, dict) and not questions.is_person(value):
            return value.get(str(prompt.item))
        by = self.ctx.answered_by.get(prompt.step)
        if by and by != prompt.to["id"]:  # another's answer is not theirs to keep
            return None
        return None if self.declined_by_named(prompt.step) else value

    def declined_by_named(self, step_id: str) -> bool:
        """The person ``step_id`` named said no to their confirmation (a yes/no ``to: <step_id>``):
        not offered again as the answer to keep ('ok' would ask them again)."""
        said = self.on_route()
        return any(
            s.to == step_id and s.type == "yes_no" and self.flow.asks_named(s) and said.get(s.id) is False
            for s in self.flow.steps
        )

    @abstractmethod
    def complete_step(self, step: Step, actor: Actor | None) -> None:
        """Leave ``step`` along the branch its answers choose (the answering half)."""
