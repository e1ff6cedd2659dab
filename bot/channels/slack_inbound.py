"""Slack payloads turned into turns: thread replies, direct messages and mentions (slash commands
and widget clicks: :mod:`bot.channels.slack_slash_clicks`, which this builds on). Built by the
Slack channel once it knows who the bot is (``auth.test``).

Which run a message belongs to: a thread reply goes to the run living in that thread (``slack_threads``),
a direct message to the run the dispatcher places it in (``#12 yes``; in a question's thread, that
question's; the one waiting on its author; several waiting: which one) unless it is a command naming
its run or the author's action (``cancel 3``, ``due A4 ...``), a click to the run its block id names.
Messages in other threads and the channel itself are not the bot's business; a mention or
``/decision`` outside a run's thread is a command. Every turn is committed before this returns.

A command is carried out in the savepoint that records its delivery id (its turn's savepoints nest
in it; :mod:`bot.channels.slack_turns`): one that fails leaves no id, so Slack's retry is carried out, not dropped. A run it starts
is stored with its thread in that savepoint; a slash command's "started" root is deleted again
when the run is not stored after all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from bot import control, notices, texts
from bot.channels import slack_behind as behind
from bot.channels import slack_blocks as blocks
from bot.channels import slack_deleted as deleted
from bot.channels import slack_edits as edits
from bot.channels import slack_lifecycle as lifecycle
from bot.channels import slack_messages as messages
from bot.channels import slack_move as moves
from bot.channels.slack_messages import Said
from bot.channels.slack_send import is_dm
from bot.channels.slack_slash_clicks import SlashesAndClicks
from bot.channels.slack_starts import starts_a_run
from bot.channels.slack_turns import NAME, remember
from bot.command_words import gives_here
from bot.control import CommandResult, answers_words, comes_first, names_a_run, run_command
from bot.dispatch import TurnResult
from bot.model import Actor, ConversationKey, Message
from bot.store import group, placing, runs, transaction, transcript
from bot.store import slack as store
from bot.store.placing import Unplaced

log = logging.getLogger("decisionbot.slack")

#: Seconds a request may wait in all for the ledger's write lock while another process holds it
#: (see ``GroupCommit.writable``): then an event is answered 503 and nothing is stored (Slack sends
#: it again), a slash command is told to try again. Inside Slack's 3 s. (A command or click with a
#: response_url waits longer, its outcome told there: ``slack_late``; a click without one: 503.)
LOCK_WAIT = 2.0


class Inbound(SlashesAndClicks):
    """Slack's events (slash commands and widget clicks: :class:`SlashesAndClicks`), each carried
    out as a turn or a command."""

    #: Told that Slack says the bot token no longer works (``app_uninstalled``, ``tokens_revoked``).
    token_gone: Callable[[str], None] = staticmethod(lambda kind: None)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.underway = edits.Underway()  # typed messages whose turns are under way, for their edits
        self.workspace_changes = asyncio.Lock()  # a channel lost or back: one at a time, in the order they came

    async def stop(self) -> None:
        """The server stops: no more Home tabs drawn again; what was answered late finished, or
        its person told it was not done (:meth:`LateAnswers.stop`)."""
        self.app_home.redraws.close()
        await self.late.stop()

    # --- events: thread replies, direct messages, mentions -----------------------------------

    async def on_event(self, data: dict[str, Any]) -> None:
        event = data["event"]
        if event.get("type") == "user_change" and isinstance(event.get("user"), dict):
            return self.people.changed(messages.person(event["user"], self.home))  # renamed, deactivated: from now on
        if event.get("type") == "app_home_opened":
            return self.app_home.opened(event)
        if (gone := lifecycle.lost(event)) is not None:  # the bot removed from a channel, or it archived
            async with self.workspace_changes:  # (its lookup of who did it awaits: a return after it waits)
                return await lifecycle.on_lost(self, gone, str(data["event_id"]))
        if (back := lifecycle.back(event, self.bot_user)) is not None:  # invited back, or unarchived
            async with self.workspace_changes:
                return await lifecycle.on_back(self, back, str(data["event_id"]))
        if (revoked := lifecycle.token_gone(event, self.bot_user)) is not None:  # uninstalled, token revoked
            return self.token_gone(revoked)
        if (removed := deleted.deleted(event)) and await deleted.on_deleted(self, removed, str(data["event_id"])):
            return  # a run's thread root or waiting question deleted: moved, or asked again
        if (change := edits.changed(event, self.bot_user)) is not None:
            clock = self.dispatcher.clock
            return await edits.tell(self.services.db, self.poster, clock, change, self._named, self.underway)
        said = messages.said(event, self.bot_user)
        if said is None:
            return
        with self.underway.turn(said.platform_id):  # an edit of it arriving meanwhile waits for it
            await self._said(said, event)

    async def _said(self, said: Said, event: dict[str, Any]) -> None:
        thread_run = store.thread_run(self.services.db.conn, said.channel, said.thread_ts) if said.thread_ts else None
        if said.kind == "app_mention":
            text = messages.without_mention(said.text, self.bot_user)
            if thread_run is not None and not self._starts(text.split()) and not self._moves(event, whole=True):
                await self._answer(said, event, thread_run, text)
            else:  # a start in a run's thread: the note naming its run
                await self._mention_command(said, event)
        elif said.mentions_bot and not said.dm:
            return  # its app_mention twin carries it
        elif said.dm:
            await self._direct(said, event)
        elif said.thread_ts and (move := self._moves(event, whole=True)) and self._leads(said, move.run_id):
            await self._move_asked(said, event, move)  # the facilitator's plain 'move 3 #ops' (a thread's too)
        elif thread_run is not None:
            await self._answer(said, event, thread_run, said.text)
        elif said.thread_ts and (names_a_run(said.text, self._mine(said)) or self._ended_runs_command(said, said.text)):
            await self._thread_command(said, said.text)
        elif said.thread_ts and await behind.typed_behind(self, said):
            return  # typed in a thread its run moved away from: kept, its writer told where it goes on
        elif not said.thread_ts and not said.text.rstrip().endswith("?"):  # the channel itself, which no run
            await self._beside_threads(said)  # reads, and no question to the others ("lunch?"): one may wait on them

    def _ended_runs_command(self, said: Said, text: str, run_id: int | None = None) -> bool:
        """Whether ``text``, typed plainly in a run's thread and no command its writer may give, is a
        command still: in the thread of a run that has ended, which takes no answer, anyone's
        (``due A12 DATE`` of another's action: refused, saying why); not in a thread its run moved
        away from. ``run_id``: the run of the open thread it was typed in (ended, its summary not
        out yet); None: the run that ever held the thread, if any."""
        if not names_a_run(text):
            return False
        conn = self.services.db.conn
        if run_id is None and (run_id := store.thread_holder(conn, said.channel, said.thread_ts or "")) is None:
            return False
        return transcript.run_status(conn, run_id) not in runs.OPEN

    async def _beside_threads(self, said: Said) -> None:
        """Told privately, once a question, that a run of this channel waits on them in its thread:
        an answer typed in the channel itself (Slack's bot reads none of it) is not taken."""
        actor_id = f"{NAME}:{said.user}"
        for row in placing.runs_waiting_on(self.services.db.conn, NAME, actor_id):
            prompt = row.context.prompt_for(actor_id)
            if prompt is None or row.conversation.conversation != said.channel:
                continue
            asked = (prompt.step, prompt.item, prompt.field, prompt.asked_at)
            if self.told_beside.get((row.id, actor_id)) == asked:
                return
            await group.writable(self.services.db.conn)
            if self._seen(said.platform_id):  # a retry of the same message: told already
                return
            remember(self.told_beside, (row.id, actor_id), asked)
            title = blocks.escape(str(row.context.trigger.get("title") or row.flow_id))
            return self.poster.ephemeral_later(said.channel, said.user, texts.slack_answer_in_thread(row.id, title))

    async def _named(self, user: str, text: str) -> str:
        """``text`` with the people it mentions as ``@Name``, as a turn keeps it."""
        _, mentions = await self._people(user, text)
        return messages.named(text, mentions)[0]

    def _leads(self, said: Said, run_id: int | None) -> bool:  # 'cancel 3', 'move 3 #ops' are theirs to give
        return moves.leads(self.services.db.conn, run_id, said.user)

    def _mine(self, said: Said) -> Callable[[int], bool]:
        return control.actions_of(self.dispatcher, f"{NAME}:{said.user}")  # the actions 'due A4 ...' may name

    async def _answer(self, said: Said, event: dict[str, Any], run_id: int, text: str) -> None:
        """A reply in a run's thread: its answer, unless it is a command that names its run or
        action (``status 3``, ``done A12``), answered to its writer alone, as Teams takes them;
        typed plainly (no mention of the bot), one its writer may give (``gives_here``), or anyone's
        once the run has ended (``_ended_runs_command``)."""
        if not text.strip():  # the bot mentioned and nothing typed: no answer attempt
            return
        mine = self._mine(said)  # typed plainly: only a command its writer may give (else words that look so)
        if (
            names_a_run(text, mine)
            if said.kind == "app_mention"
            else gives_here(text, mine, partial(self._leads, said))
        ) or self._ended_runs_command(said, text, run_id):
            await self._thread_command(said, text)
            return
        actor, mentions = await self._people(said.user, text)
        text, mentions = messages.named(text, mentions)
        conversation = ConversationKey(NAME, said.channel, said.thread_ts)
        others = self._not_people(str(event.get("text") or ""), mentions)  # "@design" as an owner
        message = Message(conversation, actor, text, said.platform_id, mentions=mentions, not_people=others, raw=event)
        self._after_turn(self.dispatcher.handle(message, run_id=run_id), actor, text)

    async def _thread_command(self, said: Said, text: str) -> None:
        """A command naming its run or action, typed in a thread (a run's, open or finished): carried
        out once, answered to its writer alone there (in its decision's thread: by the notice alone)."""
        actor, mentions = await self._people(said.user, text)
        text, mentions = messages.named(text, mentions)
        if self._seen(said.platform_id):
            return
        others = self._not_people(said.text, mentions)  # 'give A1 @someone' who has left
        left = behind.named_behind(self.services.db.conn, said, text)  # 'status 1' in the thread run 1 left
        where = ConversationKey(NAME, left.conversation.conversation if left is not None else said.channel)
        done = self._once(said.platform_id, actor, where, text, mentions, others)
        if done is None:
            return
        self._after_command(done)
        thread_run = store.thread_holder(self.services.db.conn, said.channel, said.thread_ts or "")
        if not done.told_where_typed(ConversationKey(NAME, said.channel, said.thread_ts), thread_run):
            told = blocks.mrkdwn_parts(done.text, self._unnamed(done), self._links(done))
            if left is not None and transcript.run_status(self.services.db.conn, left.id) in runs.OPEN:
                return behind.tell_where(self, said, left, told)  # and where the run went on
            self.poster.ephemeral_later(said.channel, said.user, told, said.thread_ts)

    async def _direct(self, said: Said, event: dict[str, Any]) -> None:
        """A direct message: a command no question takes as its answer (``cancel 3``, ``start FLOW``,
        ``actions``, as Teams takes them); else an answer to the run the dispatcher places it in (a
        reply in a question's thread: that question's), or which question it is for (several wait),
        or a command (in the savepoint of the turn that recorded the delivery id and found no run)."""
        text = messages.without_mention(said.text, self.bot_user) or "help"  # a bare @decisionbot: what it can do
        if (move := self._moves(event, whole=True)) is not None:  # 'move 3 #ops' naming both: never an answer
            return await self._move_asked(said, event, move)
        came = self.dispatcher.clock()
        actor, mentions = await self._people(said.user, text)
        text, mentions = messages.named(text, mentions)
        if self._seen(said.platform_id):
            return
        conversation = ConversationKey(NAME, said.channel)
        others = self._not_people(str(event.get("text") or ""), mentions)  # a start, an owner
        done: CommandResult | None = None
        if comes_first(text, self.dispatcher.catalog.current, self._mine(said)):  # never an answer to a question
            start = self._message_start(said, actor, text, came) if starts_a_run(text) else None
            done = self._once(said.platform_id, actor, conversation, text, mentions, others, start)
            if done is None:
                return
        else:
            typed = Message(
                conversation, actor, text, said.platform_id, mentions=mentions, not_people=others, raw=event
            )
            asked = store.question_run(self.services.db.conn, said.thread_ts, actor.id) if said.thread_ts else None
            with transaction(self.services.db):
                result = self.dispatcher.answer(typed, asked)
                if (result is None or isinstance(result, Unplaced)) and answers_words(text):
                    result = None  # a command, or "hlep", "thanks!": answered so, whatever waits on them
                    done = run_command(self.dispatcher, actor, conversation, text, mentions, others)
            if isinstance(result, Unplaced):  # several questions wait: which one
                return self.poster.say_later(said.channel, blocks.mrkdwn_parts(result.told("buttons", thread=True)))
            if result is not None:
                self._taken_for_thread(said, actor, result)
                return self._after_turn(result, actor, result.text)
        if done is not None:
            self._after_command(done)
            if not done.told_where_typed(conversation, None):  # else the notice to the decision is the one
                told = blocks.mrkdwn_parts(done.text, self._unnamed(done), self._links(done))
                self.poster.say_later(said.channel, self._with_unseen(done, told, said.user, mentions, others))
        else:
            closed = placing.closed_for(self.dispatcher.db.conn, conversation.channel, actor.id)
            self.poster.say_later(said.channel, blocks.escape(closed or texts.slack_nothing_waiting()))

    def _taken_for_thread(self, said: Said, actor: Actor, result: TurnResult) -> None:
        """An answer by direct message to a run whose next question went to its thread: said there,
        once a run, since the direct message would show nothing of it."""
        outcome = result.outcome
        to_thread = [
            r for r in outcome.replies if r.kind == "prompt" and not r.private and r.to and r.to.id == actor.id
        ]
        if outcome.inbound_kind != "answer" or not to_thread or (result.run_id, actor.id) in self.told_direct:
            return
        conn = self.services.db.conn
        row = runs.load_run(conn, result.run_id)
        if row is None or is_dm(row.conversation.conversation):
            return
        if notices.told_lately(conn, row.id, f"conversation {row.conversation}", self.dispatcher.clock()):
            return  # the thread refuses the bot: her next question follows her here instead
        remember(self.told_direct, (result.run_id, actor.id), ())
        title = blocks.escape(str(row.context.trigger.get("title") or row.flow_id))
        self.poster.say_later(said.channel, texts.slack_taken_for_thread(result.run_id, title))

    async def _mention_command(self, said: Said, event: dict[str, Any]) -> None:
        """``@decisionbot start ...`` and the other commands; a run started so lives in the
        thread of the mention (the bot named again, as a participant, is refused)."""
        text = messages.without_mention(said.text, self.bot_user, count=1)
        if (move := self._moves(event)) is not None:
            return await self._move_asked(said, event, move)
        if said.thread_ts and names_a_run(text):
            await self._thread_command(said, text)
            return
        came = self.dispatcher.clock()
        actor, mentions = await self._people(said.user, text)
        text, mentions = messages.named(text, mentions)
        starts = starts_a_run(text)
        conversation = ConversationKey(NAME, said.channel, (said.thread_ts or said.ts) if starts else None)
        others = self._not_people(str(event.get("text") or ""), mentions)
        typed = self._message_start(said, actor, text, came) if starts else None
        done = self._once(said.platform_id, actor, conversation, text, mentions, others, typed)
        if done is None:
            return
        self._after_command(done)
        if done.started is not None:
            self._warn_absent(done.started.run_id, said.channel, said.user, conversation.thread, mentions, others)
        else:
            self.poster.ephemeral_later(
                said.channel,
                said.user,
                blocks.mrkdwn_parts(done.text, self._unnamed(done), self._links(done)),
                said.thread_ts,
            )

    def _moves(self, event: dict[str, Any], whole: bool = False) -> moves.Move | None:
        """``move RUN #channel`` in a message ``event`` (its text as Slack wrote it, the channel's id in it)."""
        return moves.move_words(messages.without_mention(str(event.get("text") or ""), self.bot_user, 1), whole)

    async def _move_asked(self, said: Said, event: dict[str, Any], move: moves.Move) -> None:
        """``@decisionbot move RUN #channel`` (or typed to the bot directly): carried out once, answered
        to its writer alone where they typed it."""
        actor, _ = await self._people(said.user, said.text)
        if self._seen(said.platform_id):
            return
        team = event.get("team") if isinstance(event.get("team"), str) else self.home.team
        typed = moves.Typed(said.platform_id, actor, ConversationKey(NAME, said.channel), team)
        told = await moves.carry_out(self, typed, move, moves.TYPED_WITHIN)  # (an event: Slack's 3 s)
        if told is None:
            return
        if said.dm:
            self.poster.say_later(said.channel, blocks.escape(told))
        else:
            self.poster.ephemeral_later(said.channel, said.user, blocks.escape(told), said.thread_ts)
