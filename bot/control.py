"""Bot commands people type on any chat platform: start, list, status, cancel, actions, done,
due, drop, give, help (and move, Slack's alone: :mod:`bot.channels.slack_move`), each carried out by its module (``start``: :mod:`bot.start_command`; the
verbs on runs: :mod:`bot.run_commands`; on actions: :mod:`bot.action_commands`), and the answer
to words that are none. How words are read as a command is :mod:`bot.command_words`.

Slack's ``/decision ...`` and ``@decisionbot ...``, Teams' ``@decisionbot ...`` and Rasa actions
all come here with a neutral actor and conversation, so the verbs mean the same everywhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from bot import texts
from bot.action_commands import drop, give, move_due, open_actions, report_done
from bot.command_result import CommandResult
from bot.command_words import (
    VERBS,
    actions_of,
    answers_words,
    comes_first,
    command_words,
    is_command,
    meant_command,
    names_a_run,
)
from bot.dispatch import Dispatcher
from bot.engine.small_talk import chatter, nod
from bot.model import Actor, ConversationKey, Message
from bot.run_commands import list_runs, may_see, open_runs, status_or_cancel, waiting_for
from bot.start_command import TITLE_MAX, StartArguments, start, start_arguments, unquoted
from bot.store import placing, starts

__all__ = [
    "TITLE_MAX",
    "VERBS",
    "CommandResult",
    "StartArguments",
    "actions_of",
    "answers_words",
    "comes_first",
    "command_words",
    "is_command",
    "may_see",
    "meant_command",
    "names_a_run",
    "open_runs",
    "run_command",
    "run_command_kept",
    "start_arguments",
    "started_run",
    "unquoted",
    "waiting_for",
]


def run_command(
    dispatcher: Dispatcher,
    actor: Actor,
    conversation: ConversationKey,
    text: str,
    mentions: dict[str, Actor] | None = None,
    not_people: Mapping[str, str] | None = None,
    via: str | None = None,
    locale: str | None = None,
) -> CommandResult:
    """Carry out ``text`` (without the bot's own mention or the slash command's name).
    ``not_people`` are the words of ``text`` that name no one person (see :func:`start_arguments`);
    ``via``: how it came (Slack's ``slash``, ``mention``, ``dm``), kept with a run it starts;
    ``locale``: the writer's (Teams' ``en-GB``), how ``due A12 03/04/2027`` orders its day and month."""
    words = command_words(text)
    verb = words[0].lower() if words else "help"
    args = words[1:]
    if verb == "start":
        return start(dispatcher, actor, conversation, args, mentions or {}, not_people or {}, via)
    if verb == "list":
        return list_runs(dispatcher, conversation, actor.id)
    if verb in ("status", "cancel"):
        return status_or_cancel(dispatcher, actor, conversation, verb, args)
    if verb == "actions":
        return open_actions(dispatcher, actor)
    if verb == "done":
        return report_done(dispatcher, actor, conversation, text, args)
    if verb == "due":
        return move_due(dispatcher, actor, conversation, text, args, locale)
    if verb == "drop":
        return drop(dispatcher, actor, conversation, text, args)
    if verb == "give":
        return give(dispatcher, actor, conversation, text, args, mentions or {}, not_people or {})
    if verb == "move":  # Slack's channel carries it out before it comes here (bot.channels.slack_move)
        said = texts.slack_move_usage() if conversation.channel == "slack" else texts.slack_move_slack_only()
        return CommandResult(said, ok=False)
    if verb == "help":
        return CommandResult(_help(dispatcher))
    return _no_command(dispatcher, actor, conversation, text, verb, via)


def _help(dispatcher: Dispatcher) -> str:
    """``help``: the commands, what RUN and ACTION are, and the flows a chat starts, with their titles."""
    flows = dispatcher.catalog.startable_in_chat()
    return texts.command_help(flows, {f: dispatcher.catalog.get(f).title for f in flows})


def run_command_kept(
    dispatcher: Dispatcher, conn: sqlite3.Connection, message: Message, conversation: ConversationKey, via: str
) -> CommandResult:
    """:func:`run_command` of ``message`` typed in chat (Teams, Rasa), in the transaction ``conn``
    is in: a ``start`` that starts a run in ``conversation`` begins its transcript as a Slack
    start does (:mod:`bot.store.starts`: the words typed, ``in`` of kind ``start``, its payload the
    platform's, when it came); a start that starts nothing, or fails, leaves no row."""
    words = command_words(message.text)
    typed_start = bool(words) and words[0].lower() == "start"
    said = starts.StartSaid(message.actor, message.text, dispatcher.clock(), dict(message.raw or {}))
    return starts.kept_start(
        conn,
        said if typed_start else None,
        conversation,
        message.platform_id,
        lambda: run_command(
            dispatcher,
            message.actor,
            conversation,
            message.text,
            message.mentions,
            message.not_people,
            via,
            message.locale,
        ),
        started_run,
    )


def started_run(done: CommandResult) -> int | None:
    """The run a command started (None: none)."""
    return done.started.run_id if done.started is not None else None


def _no_command(
    dispatcher: Dispatcher, actor: Actor, conversation: ConversationKey, text: str, verb: str, via: str | None
) -> CommandResult:
    """The answer to words that are no command: a command misspelt, small talk ("what is this?",
    "thanks!", "stop"), an answer to a run that ended or that waits in a thread, a nod. A command
    misspelt (``staus 1``) or given to the slash command (``/decision frobnicate``) is no late answer:
    it is told as a command nobody knows, never "Run #N has your answer already"."""
    flows = dispatcher.catalog.startable_in_chat()
    meant, said = meant_command(text), chatter(text)
    if meant and meant.split()[0] == "help":
        return CommandResult(_help(dispatcher))
    if said == "about":
        return CommandResult(texts.about_commands(_help(dispatcher)))
    if said == "thanks":
        return CommandResult(texts.welcome())
    if said == "stop":  # "unsubscribe": what the bot sends, and what ends it
        return CommandResult(texts.nothing_to_stop())
    late = not meant and via != "slash"  # may be an answer typed late; a command misspelt or slashed is none
    if late and (closed := placing.closed_for(dispatcher.db.conn, conversation.channel, actor.id, dispatcher.clock())):
        return CommandResult(closed, ok=False)
    if beside := _waiting_in_a_thread(dispatcher.db.conn, conversation, actor.id):  # an answer typed beside it
        return CommandResult(texts.command_unknown_beside_thread(verb, *beside, flows, conversation.channel), ok=False)
    if nod(text):  # 👍 after the summary: nothing to answer
        return CommandResult(texts.nod_nothing_waits())
    return CommandResult(texts.command_unknown(verb, flows, meant), ok=False)


def _waiting_in_a_thread(
    conn: sqlite3.Connection, conversation: ConversationKey, actor_id: str
) -> tuple[int, str] | None:
    """(run id, title) of a run of this conversation's threads waiting on ``actor_id`` (a Teams
    channel's, or a Slack channel's a trigger started: there, a run lives in the thread of its
    first message, and a new post in the channel is read as a command), for words typed outside
    that thread."""
    if conversation.thread is not None:
        return None
    rows = placing.runs_waiting_on(conn, conversation.channel, actor_id)
    row = next((row for row in rows if row.conversation == conversation), None)
    return (row.id, str(row.context.trigger.get("title") or row.flow_id)) if row is not None else None
