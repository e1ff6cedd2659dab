"""The terminal channel: a decision conversation in a terminal, or scripted as JSON lines.

Everyone shares one conversation; ``/as NAME`` switches who is speaking. Replies go through the
outbox like every channel's: queued by the turn, printed after the commit, marked delivered.
A line is a chat command (``actions``, ``done A12``, ``status 3``...) where a direct message on
Slack or Teams would be one (:meth:`ConsoleSession.take`), so the terminal takes them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from bot import outbox, texts
from bot.control import (
    CommandResult,
    actions_of,
    answers_words,
    comes_first,
    meant_command,
    open_runs,
    run_command,
)
from bot.dispatch import Dispatcher, TurnResult
from bot.engine import commands
from bot.engine.small_talk import chatter
from bot.errors import BotError
from bot.model import Actor, ConversationKey, Message, Reply, Trigger
from bot.outbox import Queued
from bot.render import terminal_safe
from bot.store import placing, runs, utc_now
from bot.store.runs import RunRow

CHANNEL = "console"


def person(name: str) -> Actor:
    """A console user is just a name: ``alice`` is ``console:alice``."""
    clean = name.strip().lstrip("@")
    return Actor(f"{CHANNEL}:{clean.lower()}", clean)


class ConsoleSession:
    def __init__(self, dispatcher: Dispatcher, out: TextIO, jsonl: bool = False):
        self.dispatcher = dispatcher
        self.out = out
        self.jsonl = jsonl
        self.run_id: int | None = None  # None: a session of commands only (no FLOW, no --run)
        self.status = "active"
        self.record: dict[str, Any] | None = None
        self.conversation = ConversationKey(CHANNEL, f"terminal-{utc_now().strftime('%Y%m%dT%H%M%S%f')}")
        #: The question each person was being asked, of each run, when this session last printed them
        #: one: its slot, when it was first put and its words (a reminder's: the same question), by
        #: (run, person id).
        self.seen: dict[tuple[int, str], tuple[object, ...]] = {}

    def start(self, trigger: Trigger) -> int:
        result = self.dispatcher.start(trigger, self.conversation)
        self.run_id = result.run_id
        self._after(result)
        return result.run_id

    def resume(self, run_id: int, announce: Callable[[RunRow], None] | None) -> RunRow:
        """Continue an open run of the terminal (left with /quit, started by a trigger routed to
        the console, a review): ``announce`` it, print what was queued for it since, then the
        questions it waits on."""
        row = runs.load_run(self.dispatcher.db.conn, run_id)
        if row is None:
            raise BotError(texts.cli_unknown_run(run_id))
        if row.conversation.channel != CHANNEL:
            raise BotError(texts.cli_resume_elsewhere(run_id, str(row.conversation)))
        if row.status in ("completed", "cancelled"):
            raise BotError(texts.cli_resume_ended(run_id, row.status))
        self.run_id, self.status, self.conversation = row.id, row.status, row.conversation
        if announce is not None:
            announce(row)
        queued = self.deliver()
        if not any(q.reply.kind == "prompt" and q.reply.run_id == run_id for q in queued):  # none new: the open ones
            for item in outbox.latest_prompts(self.dispatcher.db, row.id, row.context.asked_ids()):
                self._show_queued(item)
        return row

    def known_as(self, typed: Actor) -> Actor:
        """``typed`` (``/as ALICE``) as this session's run knows the person of that id (alice): a
        name typed in other letters renamed the run's facilitator for good."""
        row = runs.load_run(self.dispatcher.db.conn, self.run_id) if self.run_id is not None else None
        known = row.context.known_people() if row is not None else ()
        return next((person for person in known if person.id == typed.id), typed)

    def show_waiting(self, speaker: Actor) -> int:
        """The questions the terminal's open runs wait on ``speaker`` to answer, each run's newest
        to them shown again (a session of commands only takes its answers as a direct message
        does: shown first, so that a line is never an answer to a question nobody saw); how many."""
        db = self.dispatcher.db
        waiting = placing.runs_waiting_on(db.conn, CHANNEL, speaker.id)
        for row in waiting:
            for item in outbox.latest_prompts(db, row.id, [speaker.id]):
                self._show_queued(item)
        return len(waiting)

    def take(self, speaker: Actor, text: str) -> None:
        """One line ``speaker`` typed, read as a direct message on Slack or Teams is: a command no
        question takes as its answer (``status 3``, ``done A12``, a bare ``actions`` or ``list``)
        is carried out; else it answers this terminal's run while that is open (as it always
        did), or, once it has ended or in a session of commands only, the run of the terminal
        waiting on ``speaker`` (a handover asked of them; ``#N answer`` where several wait, as
        in a direct message); with none, a command again (``help``, ``cancel 3``), else they are
        told nothing waits. What the line queued in another terminal session's conversation (the
        notice to a decision made there, a handover's question, its run's replies) is printed
        here: nobody reads that session now."""
        mark = outbox.last_id(self.dispatcher.db)
        self._take(speaker, text)
        self._deliver_elsewhere(mark)

    def _take(self, speaker: Actor, text: str) -> None:
        bot = self.dispatcher
        if comes_first(text, bot.catalog.current, actions_of(bot, speaker.id)):
            self.command(speaker, text)
            return
        if self._answered(speaker, text):
            return
        if answers_words(text):  # a command, or "hlep", "thanks!"
            self.command(speaker, text)
        else:
            self._answer(speaker, CommandResult(self._nothing_waiting(speaker), ok=False))

    def _answered(self, speaker: Actor, text: str) -> bool:
        """Whether the line answered this session's open run, or once it has none, the run waiting
        on ``speaker`` (told which, when several wait and it is no command)."""
        if not self.done:
            assert self.run_id is not None
            return self._not_seen(self.run_id, speaker, text) or self.say(speaker, text) is not None
        placed = placing.place(self.dispatcher.db.conn, self.conversation, speaker.id, text)
        if isinstance(placed, placing.Unplaced) and not answers_words(text):  # "thanks!": answered as such
            self._answer(speaker, CommandResult(placed.told(None), ok=False))
            return True
        if isinstance(placed, placing.Placed) and self._not_seen(placed.row.id, speaker, placed.text):
            return True
        return isinstance(placed, placing.Placed) and self.say(speaker, placed.text, placed.row.id) is not None

    def _not_seen(self, run_id: int, speaker: Actor, text: str) -> bool:
        """Whether run ``run_id`` now asks ``speaker`` a question this session never printed (another
        terminal's session took the one shown here, or put it again on new terms): it is printed,
        and the line is not taken as its answer (a yes to terms never shown; an answer to the
        question before, read as the next one's)."""
        if commands.classify(text) is not None:  # 'back', 'cancel', a correction: not an answer
            return False
        asked = self._asked(run_id, speaker.id)
        seen = self.seen.get((run_id, speaker.id))
        if asked is None or seen == asked:
            return False
        self._answer(speaker, CommandResult(texts.console_question_moved_on(run_id, seen is not None), ok=False))
        for item in outbox.latest_prompts(self.dispatcher.db, run_id, [speaker.id]):
            self._show_queued(item)
        return True

    def _asked(self, run_id: int, person_id: str) -> tuple[object, ...] | None:
        """What run ``run_id`` asks ``person_id`` now: the question's slot, when it was first put, and
        its words as last sent (a reminder's are the question's; new terms, another question)."""
        row = runs.load_run(self.dispatcher.db.conn, run_id)
        prompt = row.context.prompt_for(person_id) if row is not None else None
        if prompt is None:
            return None
        latest = outbox.latest_prompts(self.dispatcher.db, run_id, [person_id])
        words = texts.reminded(latest[-1].reply.text) if latest else ""
        return (*prompt.slot, prompt.purpose, prompt.asked_at, words)

    def command(self, speaker: Actor, text: str) -> None:
        """Carry out a chat command as ``speaker`` and print its answer, then what it queued here
        (the notice to the decision's conversation, the question of a handover)."""
        done = self._carry_out(speaker, text)
        if self.jsonl or not self._said_here(done):  # else what is printed next says it
            self._answer(speaker, done)
        if done.cancelled is not None and done.cancelled.run_id == self.run_id:
            self._after(done.cancelled)  # this terminal's run ended
        else:
            self.deliver()

    def _carry_out(self, speaker: Actor, text: str) -> CommandResult:
        verb, meant = text.split()[0].lower(), meant_command(text)
        if verb == "help" or meant == "help":  # "hlep" too
            return CommandResult(texts.console_help())
        if meant:  # "staus 1": said in the terminal's words, not a slash command's
            return CommandResult(texts.console_meant(verb, meant), ok=False)
        if chatter(text) == "about":  # "who are you?"
            return CommandResult(texts.about_commands(texts.console_help()))
        if verb == "start":  # a second run in this terminal would take this run's answers
            return CommandResult(texts.console_start_elsewhere(), ok=False)
        try:
            done = run_command(self.dispatcher, speaker, self.conversation, text)
        except BotError as exc:
            return CommandResult(str(exc), ok=False)
        if verb == "list":  # the open runs of every terminal session: each continues with --run N
            rows = open_runs(self.dispatcher, CHANNEL, reader=speaker.id)
            return CommandResult(texts.console_open_runs(rows), runs=rows)
        return done

    def _said_here(self, done: CommandResult) -> bool:
        """Whether what the command queued in this terminal says what its answer would: the notice
        to the decision's conversation (as in its Slack thread), a run cancelled here its own word."""
        if done.told is not None and done.told.channel == CHANNEL:  # printed here, from any session
            return True
        return done.said_by_notice(self.dispatcher.db.conn, self.conversation)

    def say(self, speaker: Actor, text: str, run_id: int | None = None) -> TurnResult | None:
        message = Message(conversation=self.conversation, actor=speaker, text=text)
        result = self.dispatcher.handle(message, run_id=run_id or self.run_id)
        if result is None:
            return None
        if result.run_id == self.run_id:
            self._after(result)
        else:
            self.deliver()
        return result

    def _nothing_waiting(self, speaker: Actor) -> str:
        if closed := placing.closed_for(self.dispatcher.db.conn, CHANNEL, speaker.id):
            return closed
        if self.run_id is None:
            return texts.console_nothing_waiting_no_run()
        return texts.console_nothing_waiting(self.run_id, self.status)

    @property
    def done(self) -> bool:
        """Whether no run of this session takes answers: it ended, or there is none."""
        return self.run_id is None or self.status in ("completed", "cancelled")

    def _after(self, result: TurnResult) -> None:
        self.status = result.outcome.status
        if result.outcome.completion is not None:
            self.record = result.outcome.completion
        self.deliver()
        if self.done and self.jsonl:
            event = {"event": self.status, "run": self.run_id, "record": self.record}
            self._write(json.dumps(event, default=str))

    def deliver(self) -> list[Queued]:
        """Print what is queued in this terminal's conversation: its run's replies, and those of a
        command (a notice to the decision, a handover's question); what was printed."""
        db = self.dispatcher.db
        return self._print(outbox.pending(db, CHANNEL, limit=100_000, conversation=str(self.conversation)))

    def _deliver_elsewhere(self, after: int) -> None:
        """Print what was queued above message ``after`` in other terminal sessions' conversations."""
        queued = outbox.pending(self.dispatcher.db, CHANNEL, limit=100_000, after=after)
        if elsewhere := [q for q in queued if q.reply.conversation != self.conversation]:
            self._print(elsewhere)

    def _print(self, queued: list[Queued]) -> list[Queued]:
        for item in queued:
            self._show_queued(item)
        outbox.mark_sent(self.dispatcher.db, [q.id for q in queued], utc_now())
        self.dispatcher.maintain()
        return queued

    def _show_queued(self, item: Queued) -> None:
        """Print a queued reply, noting a question as seen here by whom it asks."""
        reply = item.reply
        if reply.kind == "prompt" and reply.to is not None and (asked := self._asked(reply.run_id, reply.to.id)):
            self.seen[(reply.run_id, reply.to.id)] = asked
        self._show(reply)

    def _show(self, reply: Reply) -> None:
        if self.jsonl:
            self._write(json.dumps(reply.to_dict(), default=str))
            return
        to = f" -> {reply.to.name}" if reply.to else ""
        if not self.done and reply.run_id not in (0, self.run_id):  # another run's, while this one goes on
            to += texts.console_other_run(reply.run_id)  # (a cancellation in console:triggers read as this run's)
        for i, line in enumerate(reply.text.splitlines() or [""]):
            self._write(f"bot{to}: {line}" if i == 0 else f"    {line}")

    def _answer(self, speaker: Actor, done: CommandResult) -> None:
        """A command's answer, to whom typed it (a JSON line: ``{"event": "command", ...}``)."""
        if self.jsonl:
            said = {"event": "command", "to": speaker.id, "to_name": speaker.name, "ok": done.ok, "text": done.text}
            self._write(json.dumps(said))
            return
        self._show(Reply(self.run_id or 0, self.conversation, done.text, to=speaker, kind="info"))

    def _write(self, line: str) -> None:
        self.out.write(terminal_safe(line) + "\n")  # what people typed cannot drive the terminal
        self.out.flush()


def parse_jsonl(line: str, line_no: int, error: Callable[[int, str], Exception]) -> tuple[str | None, str]:
    """One scripted input line: ``{"as": "bob", "text": "yes"}`` (``as`` optional)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise error(line_no, f"not JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise error(line_no, "'text' (a string) is missing")
    speaker = data.get("as")
    if speaker is not None and not isinstance(speaker, str):
        raise error(line_no, "'as' must be a name")
    return speaker, data["text"]
