"""Several items typed at once where a repeat step asks for one ("1. draft plan 2. call vendor",
bullets one a line): the first is this item's answer, and each next item opens with its first field
taken from the list, so nobody types it again; and a removal asked for mid-run ("remove the
second action"), answered with what can be done instead rather than listed as an item."""

from __future__ import annotations

import re

from bot import texts
from bot.engine.corrections import Corrections
from bot.engine.going_back import GoingBack
from bot.engine.model import Question, Step
from bot.engine.state import Prompt
from bot.model import Actor

# One item a line: "- x", "* x", "• x", "1. x", "2) x", "(3) x", "a. x"
_BULLET = re.compile(r"\s*(?:[-*•·–]|\(?\d{1,2}[.)]|[a-z][.)])\s+(?P<text>\S.*)")
# Numbered on one line: "1. x 2. y" (numbers 1, 2, 3 ... in order); "• x • y"
_NUMBER = re.compile(r"(?:^|\s)(\d{1,2})[.)]\s+")
_INLINE_BULLET = re.compile(r"\s*•\s*")
# "remove the second action", "delete action 2", "scrap the last one"
_REMOVE = re.compile(
    r"(?:please )?(?:remove|delete|scrap|forget|take out|get rid of|cancel|drop)\s+(?:the\s+)?"
    r"(?:(?:first|second|third|fourth|fifth|last|previous|\d{1,2}(?:st|nd|rd|th)?)\s+)?"
    r"(?:action|item|task|one)(?:\s*#?\d{1,2})?[.!]?",
    re.IGNORECASE,
)

# "add another action", "one more action", "I forgot an action"
_ADD = re.compile(
    r"(?:please )?(?:add|i forgot|we forgot|one more|another|there's another|there is another)\s+"
    r"(?:(?:one more|another|an?|one)\s+)?(?:action|item|task)s?(?: please)?[.!]?",
    re.IGNORECASE,
)


def listed(text: str) -> list[str]:
    """The items of ``text`` when it is a list of two or more; [] when it is not one."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) >= 2:
        found = [_BULLET.fullmatch(line) for line in lines]
        return [m["text"].strip() for m in found if m] if all(found) else []
    if text.strip().startswith("•"):
        items = [part.strip() for part in _INLINE_BULLET.split(text) if part.strip()]
        return items if len(items) >= 2 else []
    marks = list(_NUMBER.finditer(text))
    if len(marks) < 2 or marks[0].start() != 0 or [int(m[1]) for m in marks] != list(range(1, len(marks) + 1)):
        return []
    ends = [m.start() for m in marks[1:]] + [len(text)]
    items = [text[m.end() : end].strip() for m, end in zip(marks, ends, strict=True)]
    return items if all(items) else []


class Listing(Corrections, GoingBack):
    def _first_of_list(self, step: Step, q: Question, text: str, actor: Actor) -> str:
        """``text``, or the first item of the list it is (the rest kept for the items that follow)."""
        items = listed(text) if step.type == "repeat" and q is step.fields[0] and q.type == "text" else []
        if not items:
            return text
        self.ctx.listed = items[1:]
        label = self.flow.item_label_of(step)
        self.say(texts.list_taken(len(items), label, items[0]), to=actor)
        return items[0]

    def _next_of_list(self, step: Step, item: int, actor: Actor) -> bool:
        """Open the next item with its first field from the list typed (True), if one is left."""
        if not self.ctx.listed:
            return False
        first, *self.ctx.listed = self.ctx.listed
        q = step.fields[0]
        self.ctx.draft = {q.id: first}
        self._record((step.id, item, q.id), actor, first, first, "answer")
        self.open_field(step, step.fields[1], item, actor)
        return True

    def _removal(self, text: str, actor: Actor) -> bool:
        """Whether ``text`` asks to remove an item mid-run; if so, told what can be done instead."""
        if not _REMOVE.fullmatch(text.strip()) or not any(s.type == "repeat" for s in self.flow.steps):
            return False
        self.out.inbound_kind = "command"
        label = next(iter(self.flow.item_labels), None) or "Action"
        self.say(texts.cannot_remove_item(label, actor.id == self.ctx.facilitator.id), to=actor)
        return True

    def _adding(self, prompt: Prompt, text: str, actor: Actor) -> bool:
        """Whether ``text`` asks to add an item to a list already made ("add another action"): if
        so, the run goes back into it, shows it and asks a new item (the rest stands)."""
        path = self.ctx.path
        lists = [i for i, sid in enumerate(path) if self.flow.has_step(sid) and self.flow.step(sid).type == "repeat"]
        if not _ADD.fullmatch(text.strip()) or (not lists and self.flow.step(prompt.step).type != "repeat"):
            return False
        self.out.inbound_kind = "command"
        if self.flow.step(prompt.step).type == "repeat":  # listing them now: the question waiting takes it
            self.ask(prompt, current=self.current_value(prompt), lead=texts.adding_here(bool(self.ctx.draft)))
        elif actor.id != self.ctx.facilitator.id:
            self.say(texts.only_facilitator("add an action", self.ctx.facilitator.name), to=actor, kind="error")
        else:
            over = path[lists[-1] + 1 :]
            del path[lists[-1] + 1 :]
            self._back_to(path, actor, over, adding=True)
        return True
