"""Going back in a run ('back'): to the previous answer of a repeated item, or to the step before,
over the steps in between (every step gone back over is asked anew; owners confirm again)."""

from __future__ import annotations

from bot import texts
from bot.engine.asking import TurnBase
from bot.engine.model import Step
from bot.engine.state import Prompt
from bot.model import Actor


class GoingBack(TurnBase):
    def _back(self, prompt: Prompt, actor: Actor) -> None:
        step = self.flow.step(prompt.step)
        if step.type == "repeat" and self._back_in_repeat(prompt, step, actor):
            return
        if actor.id != self.ctx.facilitator.id:
            self.say(texts.only_facilitator("go back a step", self.ctx.facilitator.name), to=actor, kind="error")
            return
        path = self.ctx.path
        keep = len(path)
        while keep and self._others_answer(self.flow.step(path[keep - 1])):
            keep -= 1  # others' answers (owners', participants') are not the facilitator's to redo; hop over them
        if not keep:  # nothing to go back to: the path (and the record built from it) stays as it is
            self.say(texts.at_first_question(), to=actor, kind="error")
            return
        if step.type == "repeat":  # out of the list: every item stays, taken up again when the run comes back
            self._leave_repeat(prompt, step)
        over = path[keep:]
        del path[keep:]
        self._back_to(path, actor, over)

    def _back_to(self, path: list[str], actor: Actor, over: list[str], adding: bool = False) -> None:
        """Back to the last step of ``path``, over the steps the run went through after it (``over``,
        in the order taken); ``adding``: into a repeat step to add an item, where the owners'
        answers about the items listed stand (only the new item's owner is asked)."""
        target = path.pop()
        left = {self.state}
        way = [*reversed(over), target]  # the route taken, walked backwards
        for _ in range(len(way) + 2 * len(self.flow.steps)):  # a way back that never ends is a bug: said, not looped
            if self.state == target:
                break
            preds = self.interp.predecessors[self.state]
            hop = way.pop(0) if way and way[0] in preds else self._hop_towards(target)
            self.transition("back", actor, prev=hop)
            left.add(self.state)
        else:
            raise RuntimeError(f"no way back from {self.state} to {target} in flow {self.flow.id}")
        left.discard(target)
        # every step gone back over is asked anew: none of its questions stays open, and owners
        # confirm again (what they accepted may change on the way)
        self.ctx.prompts = [p for p in self.ctx.prompts if p.step not in left]
        for step_id in left:
            if self.flow.has_step(step_id) and self._others_answer(self.flow.step(step_id)) and not adding:
                self.ctx.answers.pop(step_id, None)
        if self.flow.step(target).to == "participants":  # the facilitator's vote (no participants): asked again,
            self.ctx.answers.pop(target, None)  # not taken as given (it completed at once, and 'back' went nowhere)
        self.enter(target, actor, revisit=True, adding=adding)

    def _others_answer(self, step: Step) -> bool:
        """Whether ``step``'s answers are others' (:meth:`Flow.others_answer`): a participants' step
        of a run that has none asked its facilitator, whose answer it is."""
        return self.flow.others_answer(step) and not (step.to == "participants" and not self.ctx.participants)

    def _leave_repeat(self, prompt: Prompt, step: Step) -> None:
        """Back from a repeat step's first item's first field, out of the list: the items gone back
        over (``later``, and the one asked now) are its answers again, whole ones (a half-given one
        waits in ``later``, asked on when the run comes back to the list)."""
        offered = self.ctx.offered(prompt)
        gone_over = [offered, *self.ctx.later] if offered else list(self.ctx.later)
        whole = [i for i in gone_over if all(f.id in i for f in step.fields)]
        self.ctx.answers[step.id] = whole
        self.ctx.later = [i for i in gone_over if i not in whole]
        self.ctx.kept = {}

    def _hop_towards(self, target: str) -> str:
        """The predecessor of the current state on the way back to ``target``."""
        preds = self.interp.predecessors[self.state]
        if target in preds:
            return target
        visited = self.ctx.path + [target]
        for candidate in reversed(visited):
            if candidate in preds:
                return candidate
        return preds[0]

    def _back_in_repeat(self, prompt: Prompt, step: Step, actor: Actor) -> bool:
        """Back to the answer before in a repeat step: the draft item's field before, else the last
        field of the item before. The item asked now and those after it wait in ``later``, asked
        again in turn. Back from the first item's first field leaves the list (False), every item
        kept: the list is taken up again where it was when the run comes back to it."""
        draft = self.ctx.draft
        items = self.ctx.answers.setdefault(step.id, [])
        if draft:
            last = list(draft)[-1]
            current = draft.pop(last)
            if prompt.field is not None and prompt.current is not None:  # gone back over: kept to offer again
                self.ctx.kept[prompt.field] = prompt.current
        else:
            offered = self.ctx.offered(prompt)
            if not items:  # back out of the list (:meth:`_leave_repeat`, once it is known there is a way back)
                return False
            if offered:
                self.ctx.later.insert(0, offered)
            self.ctx.kept = {}  # the item before's fields, not this one's
            restored = items.pop()
            last = step.fields[-1].id
            current = restored.pop(last, None)
            self.ctx.draft = restored
        self._close(prompt)
        q = step.field(last)
        assert q is not None
        self.open_field(step, q, len(items), actor, revisit=current)
        return True
