"""What people say to a question instead of answering it: "what is this?", "thanks!", "stop",
"remind me tomorrow". Each gets a short reply saying what is expected, and none counts as a miss
(three misses hand an owner's question to the facilitator); ``help`` lives here too, since
"what is this?" is answered with it."""

from __future__ import annotations

import re
import unicodedata

from bot import texts
from bot.engine import questions
from bot.engine.answers import AnswerError
from bot.engine.asking import TurnBase
from bot.engine.model import Question
from bot.engine.state import Prompt
from bot.model import Actor

_SAID = {
    "about": (
        "what is this",
        "whats this",
        "what's this",
        "what is that",
        "what's going on",
        "what is going on",
        "who are you",
        "who r u",
        "what are you",
        "what do you want",
        "what do you want from me",
        "why am i getting this",
        "why did i get this",
        "huh",
        "what",
        "??",
        "???",
    ),
    "thanks": (
        "thanks",
        "thank you",
        "thx",
        "ty",
        "cheers",
        "thanks a lot",
        "many thanks",
        "ok thanks",
        "great thanks",
    ),
    "stop": ("stop", "unsubscribe", "stop asking", "stop it", "leave me alone", "go away", "mute", "opt out"),
}
_KINDS = {said: kind for kind, words in _SAID.items() for said in words}
# "remind me tomorrow", "later", "not now", "snooze", "ask me later": never an answer, a date's neither
_LATER = re.compile(
    r"(?:remind me|snooze|ask me|ping me)\b.*|later|not now|not right now|(?:i'?ll|i will) answer later"
)


#: A nod where nothing waits: "ok", "got it", or emoji alone (👍, 👌 🙏, with skin tones)
_NODS = frozenset(("ok", "okay", "k", "kk", "cool", "got it", "noted", "great", "nice", "perfect", "sounds good"))


def nod(text: str) -> bool:
    """Whether ``text`` is a nod: words of agreement that ask nothing, or emoji alone."""
    said = " ".join(text.casefold().split()).strip(" .!")
    if said in _NODS:
        return True
    kept = [c for c in said if not c.isspace() and c not in "\u200d\ufe0f"]
    return bool(kept) and all(unicodedata.category(c) in ("So", "Sk") for c in kept)


def chatter(text: str) -> str | None:
    """What ``text`` says instead of an answer: ``about`` (what the bot is), ``thanks``, ``stop``,
    ``later``; None for anything else."""
    said = " ".join(text.casefold().replace("\u2019", "'").split()).strip(" .!")
    if said.strip("?") and said.endswith("?"):
        said = said.rstrip("?")
    if _LATER.fullmatch(said):
        return "later"
    return _KINDS.get(said)


class SmallTalk(TurnBase):
    def _small_talk(self, prompt: Prompt, actor: Actor, text: str) -> bool:
        """Whether ``text`` was small talk, and answered as such; False: it is an answer."""
        kind = chatter(text)
        if kind is None:
            return False
        q = self.question_of(prompt)
        if kind != "later" and q.type != "text" and self._parses(q, text, actor):
            return False  # "stop" may be an option, "huh" a name
        if questions.agrees(q, text) and (q.default is not None or self.current_value(prompt) is not None):
            return False  # "thanks" may take the default
        if kind == "stop" and q.type == "text":
            return False  # a decision may be "Stop"
        self.out.inbound_kind = "command"
        fac = self.ctx.facilitator
        title = str(self.ctx.trigger.get("title") or self.flow.title)
        if kind == "about":
            self._help(prompt, actor, lead=texts.about_bot(fac.name, title, actor.id == fac.id))
        elif kind == "thanks":
            self.say(texts.welcome_question_waits(), to=actor)
        elif kind == "stop" and actor.id == fac.id:  # the run is hers to end: as 'cancel' does, asked first
            self.ctx.confirm = {"kind": "cancel", "actor": actor.id}
            self.say(texts.confirm_cancel(), to=actor, kind="prompt")
        elif kind == "stop":
            self.say(texts.cannot_stop_question(fac.name), to=actor)
        else:
            self.say(texts.cannot_postpone(self.flow.timers.remind_after is not None), to=actor)
        return True

    def _parses(self, q: Question, text: str, actor: Actor) -> bool:
        try:
            questions.parse(q, text, self.pctx(actor))
        except AnswerError:
            return False
        return True

    def _help(self, prompt: Prompt, actor: Actor, lead: str | None = None) -> None:
        step, q = self.flow.step(prompt.step), self.question_of(prompt)
        pctx = self.pctx(actor)
        info = questions.expects(q, pctx)
        low = info.get("not_before") if q.type == "date" else q.minimum
        high = info.get("not_after") if q.type == "date" else q.maximum
        dated = q.type == "date"
        example_date = texts.date_example(pctx.today, info.get("not_before"), info.get("not_after")) if dated else None
        question = self.prompt_text(prompt, step, q, None)
        if prompt.escalated:  # an owner's question handed over reads on after a colon: "does bob take ..."
            question = question[:1].upper() + question[1:]
        bounds = texts.bounds_text(low, high)
        label = next(iter(self.flow.item_labels), None)
        commands = texts.commands_help(actor.id == self.ctx.facilitator.id, q.optional, label)
        said = texts.help_text(q.type, question, q.help, q.example, bounds, example_date, commands)
        self.say(f"{lead}\n{said}" if lead else said, to=actor, expects=info)
