"""Bot commands people type on any chat platform: start, list, status, cancel, actions, done,
due, drop, give, help (the verbs on actions are :mod:`bot.action_commands`).

Slack's ``/decision ...`` and ``@decisionbot ...``, Teams' ``@decisionbot ...`` and Rasa actions
all come here with a neutral actor and conversation, so the verbs mean the same everywhere.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from bot import outbox_rows, texts
from bot.action_commands import drop, give, move_due, open_actions, report_done
from bot.command_result import CommandResult, action_id_of, run_id_of
from bot.dispatch import Dispatcher, TurnResult
from bot.engine import waiting
from bot.engine.commands import one_slip_from
from bot.engine.runtime import Turn
from bot.engine.small_talk import chatter, nod
from bot.errors import FlowError, FlowNotFound, FlowRefused, NoDecisionToReview
from bot.flow_catalog import BOT_STARTED
from bot.model import Actor, ConversationKey, Trigger
from bot.store import actions, placing, runs, transcript
from bot.store.runs import RUN_COLUMNS

VERBS = ("start", "list", "status", "cancel", "actions", "done", "due", "drop", "give", "help")
#: The longest title a run started in chat takes (the generic trigger hook's limit too): every
#: question of the run may repeat it, so a title of a whole request (a MB on Teams, 100 MB over
#: Rasa) would be stored again with each.
TITLE_MAX = 500

__all__ = [
    "CommandResult",
    "VERBS",
    "actions_of",
    "comes_first",
    "is_command",
    "names_a_run",
    "run_command",
    "start_arguments",
]


def command_words(text: str) -> list[str]:
    """The words of a command; ``A12 done`` (the code first, as people also say it) is ``done A12``."""
    words = text.strip().split()
    if len(words) == 2 and words[1].lower().rstrip(".!") == "done" and action_id_of(words[:1]) is not None:
        return ["done", words[0]]
    return words


def is_command(text: str) -> bool:
    words = command_words(text)
    return bool(words) and words[0].lower() in VERBS


def meant_command(text: str) -> str | None:
    """The command ``text`` is a slip of the keyboard from ("staus 3": ``status 3``), or None:
    words after it that the command would not take make it a sentence ("lost my laptop")."""
    words = command_words(text)
    verb = one_slip_from(words[0], VERBS) if words else None
    args = words[1:]
    if verb in ("list", "actions", "help"):
        fits = not args
    elif verb in ("status", "cancel"):
        fits = len(args) == 1 and run_id_of(args) is not None
    elif verb in ("done", "due", "drop", "give"):
        fits = len(args) >= (1 if verb in ("done", "drop") else 2) and action_id_of(args) is not None
    else:  # start FLOW ...
        fits = bool(args) and len(args) <= 3
    return " ".join([verb, *args]) if verb and fits else None


def answers_words(text: str) -> bool:
    """Whether ``text``, though no command, gets an answer where nothing waits on its writer:
    a command misspelt, "what is this?", "thanks!" (:func:`run_command` says what they meant)."""
    return is_command(text) or meant_command(text) is not None or chatter(text) in ("about", "thanks", "stop")


def names_a_run(text: str, mine: Callable[[int], bool] | None = None) -> bool:
    """Whether ``text`` is a command that names its run or action (``status N``, ``cancel N``,
    ``cancel #N``, ``done A12``, ``due A12 DATE``, ``drop A12 [why]``, ``give A12 @person [why]``): a command
    wherever it is typed, before any run's answer (a bare ``cancel`` or ``done`` is a run's word, and so is ``done 1``)."""
    words = command_words(text)
    verb = words[0].lower() if words else ""
    if verb in (
        "due",
        "drop",
        "give",
    ):  # due A12 DATE, drop A12 [why]: sentences too ("Drop A4 paper, print on Letter")
        action_id = action_id_of(words[1:2])
        if len(words) < (2 if verb == "drop" else 3) or action_id is None:
            return False
        return mine is None or mine(action_id)
    if len(words) != 2:
        return False
    if verb == "done":
        return action_id_of(words[1:]) is not None
    return verb in ("status", "cancel") and words[1].lstrip("#").isdigit()


def comes_first(text: str, flows: Collection[str], mine: Callable[[int], bool] | None = None) -> bool:
    """Whether ``text`` is a command even where a question waits on its writer (a direct message, a
    Teams chat): one that names its run or action, ``start`` with a flow of ``flows``, or a bare
    ``list`` or ``actions``; no question takes these as its answer."""
    words = command_words(text)
    verb = words[0].lower() if words else ""
    if verb == "start":
        return len(words) >= 2 and words[1] in flows
    if verb in ("list", "actions"):
        return len(words) == 1
    return names_a_run(text, mine)


def actions_of(dispatcher: Dispatcher, actor_id: str) -> Callable[[int], bool]:
    """For :func:`names_a_run`: whether an action is ``actor_id``'s to change (they own it, or lead its
    decision), so that ``due A4 ...``/``drop A4 ...``/``give A4 ...`` typed where a question waits on them is a
    command only then, and an answer that merely starts so ("Drop A4 paper") stays an answer."""
    return lambda action_id: actions.may_change(dispatcher.db.conn, action_id, actor_id)


def run_command(
    dispatcher: Dispatcher,
    actor: Actor,
    conversation: ConversationKey,
    text: str,
    mentions: dict[str, Actor] | None = None,
    not_people: Mapping[str, str] | None = None,
) -> CommandResult:
    """Carry out ``text`` (without the bot's own mention or the slash command's name).
    ``not_people`` are the words of ``text`` that name no one person (see :func:`start_arguments`)."""
    words = command_words(text)
    verb = words[0].lower() if words else "help"
    args = words[1:]
    if verb == "start":
        return _start(dispatcher, actor, conversation, args, mentions or {}, not_people or {})
    if verb == "list":
        rows = open_runs(dispatcher, conversation)
        return CommandResult(texts.run_list(rows), runs=rows, about=tuple(int(str(r["id"])) for r in rows))
    if verb in ("status", "cancel"):
        run_id = run_id_of(args)
        if run_id is None:
            return CommandResult(texts.command_needs_run(verb), ok=False)
        if not may_see(dispatcher.db.conn, run_id, actor, conversation):
            return CommandResult(texts.chat_unknown_run(run_id), ok=False)  # as if there were no such run
        if verb == "status":
            return _status(dispatcher, run_id)
        result = dispatcher.cancel(run_id, actor)
        if result is None:
            return CommandResult(texts.chat_unknown_run(run_id), ok=False)
        return _cancelled(dispatcher, result, actor)
    if verb == "actions":
        return open_actions(dispatcher, actor)
    if verb == "done":
        return report_done(dispatcher, actor, conversation, text, args)
    if verb == "due":
        return move_due(dispatcher, actor, conversation, text, args)
    if verb == "drop":
        return drop(dispatcher, actor, conversation, text, args)
    if verb == "give":
        return give(dispatcher, actor, conversation, text, args, mentions or {}, not_people or {})
    if verb == "help":
        return CommandResult(texts.command_help(dispatcher.catalog.startable_in_chat()))
    flows = dispatcher.catalog.startable_in_chat()
    meant, said = meant_command(text), chatter(text)
    if meant and meant.split()[0] == "help":
        return CommandResult(texts.command_help(flows))
    if said == "about":
        return CommandResult(texts.about_commands(texts.command_help(flows)))
    if said == "thanks":
        return CommandResult(texts.welcome())
    if said == "stop":  # "unsubscribe": what the bot sends, and what ends it
        return CommandResult(texts.nothing_to_stop())
    if closed := placing.closed_for(dispatcher.db.conn, conversation.channel, actor.id, dispatcher.clock()):
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


#: What separates the participants of ``start``: ``@bob, @carol;`` and ``@bob,@carol`` list two.
_SEPARATORS = re.compile(r"[,;]")
#: Words that separate two of them as well: ``@bob and @carol``.
_AND = frozenset({"and", "&"})
#: What people write around a mention in a title: brackets, quotes, a full stop.
_AROUND = "()[]{}<>.:!?\"'\u201c\u201d\u2018\u2019"


@dataclass(frozen=True)
class StartArguments:
    """``start FLOW``'s words after the flow: its participants and its title."""

    people: list[Actor]
    title: str
    refused: tuple[str, str] | None = None  # (word, kind) of the first named that is not one person


def start_arguments(words: list[str], mentions: Mapping[str, Actor], not_people: Mapping[str, str]) -> StartArguments:
    """The participants are the people mentioned: the leading mentions (commas and semicolons
    between or after them are separators, and an ``and`` or ``&`` between two) and those in the title, which is the rest, from the
    first other word (mentions there stay in it: "Retro with @bob"). A leading word the platform
    says names no one person (``not_people``: a word to its kind, ``group``, ``channel``,
    ``team``, ``everyone``, ``bot`` (this one) or ``app`` (another)) is refused; in the title it
    is only words ("about #pricing")."""
    people: dict[str, Actor] = {}
    refused: tuple[str, str] | None = None
    taken = 0

    def named(word: str) -> list[str] | None:
        parts = [part for part in _SEPARATORS.split(word) if part]
        return parts if all(part in mentions or part in not_people for part in parts) else None

    for at, word in enumerate(words):
        parts = named(word)
        following = words[at + 1] if at + 1 < len(words) else ""
        if parts is None and taken and word.casefold() in _AND and named(following):
            taken += 1  # "@alice and @bob": a separator too
            continue
        if parts is None:
            break
        taken += 1
        for part in parts:
            if part in not_people:
                refused = refused or (part, not_people[part])
            else:
                people.setdefault(mentions[part].id, mentions[part])
    for word in words[taken:]:
        for part in _SEPARATORS.split(word):
            part = part if part in mentions else part.strip(_AROUND)  # "(with @bob)", "@bob."
            if part in mentions and part not in not_people:
                people.setdefault(mentions[part].id, mentions[part])
    return StartArguments(list(people.values()), unquoted(" ".join(words[taken:])), refused)


#: Quotes people put around a title of several words, straight or curly (as phones type them).
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb"}


def unquoted(title: str) -> str:
    """``title`` without one pair of quotes around all of it (``"Weekly sync"``: Weekly sync)."""
    close = _QUOTES.get(title[:1])
    inside = title[1:-1]
    if (
        close is not None
        and len(title) > 1
        and title.endswith(close)
        and close not in inside
        and title[0] not in inside
    ):
        return title[1:-1].strip()
    return title


def _start(
    dispatcher: Dispatcher,
    actor: Actor,
    conversation: ConversationKey,
    args: list[str],
    mentions: Mapping[str, Actor],
    not_people: Mapping[str, str],
) -> CommandResult:
    known = dispatcher.catalog.startable_in_chat()
    if not args:
        return CommandResult(texts.command_start_usage(known), ok=False)
    flow = args[0]
    if flow in BOT_STARTED:  # action_handover: for the action 'give' names
        return CommandResult(texts.handover_not_started(), ok=False)
    parsed = start_arguments(args[1:], mentions, not_people)
    if parsed.refused is not None:
        return CommandResult(texts.command_not_a_person(*parsed.refused), ok=False)
    if len(parsed.title) > TITLE_MAX:
        return CommandResult(texts.command_title_too_long(len(parsed.title), TITLE_MAX), ok=False)
    trigger = Trigger(
        flow=flow,
        source=conversation.channel,
        title=parsed.title,
        facilitator=actor,
        participants=[person for person in parsed.people if person.id != actor.id],
    )
    try:
        started = dispatcher.start(trigger, conversation)
    except NoDecisionToReview as exc:  # a chat start names no decision
        return CommandResult(str(exc), ok=False)
    except FlowRefused:
        return CommandResult(texts.command_flow_refused(flow), ok=False)
    except FlowNotFound:
        return CommandResult(texts.command_unknown_flow(flow, known), ok=False)
    return CommandResult(texts.run_started(started.run_id, flow), started=started)


def _cancelled(dispatcher: Dispatcher, result: TurnResult, actor: Actor) -> CommandResult:
    """A cancel's answer. Refused (not the facilitator, a run that ended), the refusal is the
    command's own answer, given where it was typed as other refusals are; the turn's copy of it
    stays in the run's transcript, marked said, so the outbox does not say it a second time."""
    error = next((r.text for r in result.outcome.replies if r.kind == "error"), None)
    if error is None:
        return CommandResult(texts.cancelled(actor.name), cancelled=result)
    outbox_rows.mark_sent(dispatcher.db, result.outbox, dispatcher.clock())
    return CommandResult(error, ok=False)


def open_runs(
    dispatcher: Dispatcher, conversation: ConversationKey | str, only: Callable[[int], bool] | None = None
) -> list[dict[str, object]]:
    """The open runs of ``conversation`` (its threads too), or of a whole channel named alone
    (``"console"``: every terminal session's), each with what it waits for in words; with
    ``only``, those whose id it takes (a Rasa sender's: those they :func:`may_see`)."""
    conn = dispatcher.db.conn
    channel = conversation if isinstance(conversation, str) else conversation.channel
    base = None if isinstance(conversation, str) else f"{conversation.channel}:{conversation.conversation}"
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS}, (SELECT title FROM events e WHERE e.id = runs.event_id) FROM runs WHERE channel = ?"
        " AND (? IS NULL OR conversation = ? OR conversation LIKE ? || '/%')"
        " AND status IN ('active', 'stalled') ORDER BY id",
        (channel, base, base, base),
    ).fetchall()
    found = []
    for r in rows:
        row = runs.RunRow.from_row(r[:-1])
        if only is not None and not only(row.id):
            continue
        found.append(
            {
                "id": row.id,
                "flow": row.flow_id,
                "state": row.state,
                "status": row.status,
                "waiting_on": row.context.addressees(),
                "waiting_for": waiting_for(dispatcher, row),
                "title": r[-1],
            }
        )
    return found


def waiting_for(dispatcher: Dispatcher, row: runs.RunRow) -> list[str]:
    """What ``row`` waits for, in words ("bob to accept 'Draft the plan'"); by name alone when
    the run's flow version cannot be read."""
    try:
        flow = dispatcher.catalog.version(row.flow_id, row.flow_version)
    except (FlowError, FlowNotFound):  # a version the ledger lacks, or no longer reads
        return row.context.addressees()
    turn = Turn(
        flow, row.id, row.state, row.status, row.context, row.conversation, dispatcher.clock(), dispatcher.tz_for
    )
    return waiting.waiting_for(turn)


def may_see(conn: sqlite3.Connection, run_id: int, actor: Actor, conversation: ConversationKey) -> bool:
    """Whether ``actor`` may learn of run ``run_id`` (its title, step, whom it waits for): its
    facilitator, a participant, someone its answers named (an owner), someone it asks or has
    asked or heard from, or anyone speaking in the run's own conversation (as ``list`` shows)."""
    row = runs.load_run(conn, run_id)
    if row is None:
        return False
    ctx = row.context
    here = row.conversation
    if here.channel == conversation.channel and here.conversation == conversation.conversation:
        return True
    if actor.id in {p.id for p in ctx.known_people()} or any(p.to["id"] == actor.id for p in ctx.prompts):
        return True
    spoken = conn.execute("SELECT 1 FROM messages WHERE run_id = ? AND actor_id = ? LIMIT 1", (run_id, actor.id))
    return spoken.fetchone() is not None


def _status(dispatcher: Dispatcher, run_id: int) -> CommandResult:
    conn = dispatcher.db.conn
    detail = transcript.run_detail(conn, run_id)
    row = runs.load_run(conn, run_id)
    if detail is None or row is None:
        return CommandResult(texts.chat_unknown_run(run_id), ok=False)
    waiting = waiting_for(dispatcher, row) if row.status in ("active", "stalled") else []
    run = detail["run"]
    told = texts.run_status(run_id, run["flow"], run["title"], run["status"], waiting)
    return CommandResult(told, about=(run_id,))
