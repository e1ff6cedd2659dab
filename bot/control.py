"""Bot commands people type on any chat platform: start, list, status, cancel, actions, done, help.

Slack's ``/decision ...`` and ``@decisionbot ...``, Teams' ``@decisionbot ...`` and Rasa actions
all come here with a neutral actor and conversation, so the verbs mean the same everywhere.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from bot import texts
from bot.dispatch import Dispatcher, TurnResult
from bot.engine.state import RunState
from bot.errors import FlowNotFound, FlowRefused
from bot.model import Actor, ConversationKey, Reply, Trigger
from bot.store import actions, iso, runs, transaction, transcript

VERBS = ("start", "list", "status", "cancel", "actions", "done", "help")


@dataclass
class CommandResult:
    """What to answer the person who typed the command (privately where the platform can)."""

    text: str
    ok: bool = True
    started: TurnResult | None = None
    cancelled: TurnResult | None = None
    runs: list[dict[str, object]] = field(default_factory=list)
    queued_on: str | None = None  # a channel the command queued a reply on (its outbox to wake)
    private: bool = False  # the caller's own business (their actions): never for a whole channel


def is_command(text: str) -> bool:
    words = text.strip().split()
    return bool(words) and words[0].lower() in VERBS


def names_a_run(text: str) -> bool:
    """Whether ``text`` is a command that names its run or action (``status N``, ``cancel N``,
    ``cancel #N``, ``done A12``): a command wherever it is typed, before any run's answer (a bare
    ``cancel`` or ``done`` is a run's word, and so is ``done 1``)."""
    words = text.strip().split()
    if len(words) != 2:
        return False
    verb = words[0].lower()
    if verb == "done":
        return _action_id(words[1:]) is not None
    return verb in ("status", "cancel") and words[1].lstrip("#").isdigit()


def comes_first(text: str, flows: Collection[str]) -> bool:
    """Whether ``text`` is a command even where a question waits on its writer (a direct message, a
    Teams chat): one that names its run or action, ``start`` with a flow of ``flows``, or a bare
    ``list`` or ``actions``; no question takes these as its answer."""
    words = text.split()
    verb = words[0].lower() if words else ""
    if verb == "start":
        return len(words) >= 2 and words[1] in flows
    if verb in ("list", "actions"):
        return len(words) == 1
    return names_a_run(text)


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
    words = text.strip().split()
    verb = words[0].lower() if words else "help"
    args = words[1:]
    if verb == "start":
        return _start(dispatcher, actor, conversation, args, mentions or {}, not_people or {})
    if verb == "list":
        rows = _open_runs(dispatcher.db.conn, conversation)
        return CommandResult(texts.run_list(rows), runs=rows)
    if verb in ("status", "cancel"):
        run_id = _run_id(args)
        if run_id is None:
            return CommandResult(texts.command_needs_run(verb), ok=False)
        if not _may_see(dispatcher.db.conn, run_id, actor, conversation):
            return CommandResult(texts.chat_unknown_run(run_id), ok=False)  # as if there were no such run
        if verb == "status":
            return _status(dispatcher.db.conn, run_id)
        result = dispatcher.cancel(run_id, actor)
        if result is None:
            return CommandResult(texts.chat_unknown_run(run_id), ok=False)
        error = next((r.text for r in result.outcome.replies if r.kind == "error"), None)
        return CommandResult(error or texts.cancelled(actor.name), ok=error is None, cancelled=result)
    if verb == "actions":
        return _open_actions(dispatcher, actor)
    if verb == "done":
        return _done(dispatcher, actor, conversation, text, args)
    if verb == "help":
        return CommandResult(texts.command_help(sorted(dispatcher.catalog.current)))
    return CommandResult(texts.command_unknown(verb, sorted(dispatcher.catalog.current)), ok=False)


#: What separates the participants of ``start``: ``@bob, @carol;`` and ``@bob,@carol`` list two.
_SEPARATORS = re.compile(r"[,;]")
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
    between or after them are separators) and those in the title, which is the rest, from the
    first other word (mentions there stay in it: "Retro with @bob"). A leading word the platform
    says names no one person (``not_people``: a word to its kind, ``group``, ``channel``,
    ``team``, ``everyone``, ``bot`` (this one) or ``app`` (another)) is refused; in the title it
    is only words ("about #pricing")."""
    people: dict[str, Actor] = {}
    refused: tuple[str, str] | None = None
    taken = 0
    for word in words:
        parts = [part for part in _SEPARATORS.split(word) if part]
        if not all(part in mentions or part in not_people for part in parts):
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
    known = sorted(dispatcher.catalog.current)
    if not args:
        return CommandResult(texts.command_start_usage(known), ok=False)
    flow = args[0]
    parsed = start_arguments(args[1:], mentions, not_people)
    if parsed.refused is not None:
        return CommandResult(texts.command_not_a_person(*parsed.refused), ok=False)
    trigger = Trigger(
        flow=flow,
        source=conversation.channel,
        title=parsed.title,
        facilitator=actor,
        participants=[person for person in parsed.people if person.id != actor.id],
    )
    try:
        started = dispatcher.start(trigger, conversation)
    except FlowRefused:
        return CommandResult(texts.command_flow_refused(flow), ok=False)
    except FlowNotFound:
        return CommandResult(texts.command_unknown_flow(flow, known), ok=False)
    return CommandResult(texts.run_started(started.run_id, flow), started=started)


def _open_actions(dispatcher: Dispatcher, actor: Actor) -> CommandResult:
    """The caller's open actions, and those of the decisions they lead (which they may report
    done in the owner's place), each with its code for ``done A12``; overdue by the caller's
    own calendar."""
    conn = dispatcher.db.conn
    own, led = actions.open_actions(conn, actor.id), actions.led_by(conn, actor.id)
    if not own and not led:
        return CommandResult(texts.no_open_actions(), private=True)
    today = dispatcher.clock().astimezone(dispatcher.tz_for(actor)).date().isoformat()
    parts = [texts.owner_digest(actor.name, actions.listed(own, today))] if own else []
    if led:
        parts.append(texts.actions_led(actions.listed(led, today), [a.owner_name or a.owner_id or "" for a in led]))
    return CommandResult("\n".join(parts), private=True)


def _done(
    dispatcher: Dispatcher, actor: Actor, conversation: ConversationKey, text: str, args: list[str]
) -> CommandResult:
    """``done A12``: the owner of action A12 (or its decision's facilitator, in their place) reports it
    done; anyone else is told there is no such action of theirs. The decision's own conversation
    is told, so the team sees the work done (the answer may be private to whoever said it)."""
    action_id = _action_id(args)
    if action_id is None:
        return CommandResult(texts.command_needs_action(), ok=False)
    with transaction(dispatcher.db) as conn:
        action = actions.load_action(conn, action_id)
        if action is None or actor.id not in (action.owner_id, action.facilitator_id):
            return CommandResult(texts.action_unknown(action_id), ok=False)
        if action.status == "done":
            return CommandResult(texts.action_already_done(action.what, (action.done_at or "")[:10]))
        if action.status != "open":
            return CommandResult(texts.action_dropped(action.what), ok=False)
        now = dispatcher.clock()
        actions.mark_done(conn, action, actor, conversation, text.strip(), now)
        owner = None if actor.id == action.owner_id else (action.owner_name or action.owner_id or "")
        home = ConversationKey.parse(action.conversation)
        notice = texts.action_reported_done(actor.name, owner, action.what, action.title)
        runs.queue_replies(conn, [Reply(action.run_id, home, notice, kind="info")], iso(now))
    return CommandResult(texts.action_marked_done(action.what, action.title, owner), queued_on=home.channel)


def _action_id(args: list[str]) -> int | None:
    """An action's code, ``A12`` (or ``a12``, ``#A12``): never a bare number, which in a run's
    summary and its corrections ("action 2") is the item of that run, not an action of the ledger."""
    token = args[0].lstrip("#") if args else ""
    return _run_id([token[1:]]) if token[:1] in ("A", "a") else None


def _run_id(args: list[str]) -> int | None:
    if not args:
        return None
    token = args[0].lstrip("#")  # ASCII digits that fit the ledger's ids: '²' and 10**30 name no run
    return int(token) if token.isascii() and token.isdigit() and len(token) <= 18 else None


def _open_runs(conn: sqlite3.Connection, conversation: ConversationKey) -> list[dict[str, object]]:
    base = f"{conversation.channel}:{conversation.conversation}"
    rows = conn.execute(
        "SELECT r.id, r.flow_id, r.state, r.status, r.context, e.title FROM runs r"
        " LEFT JOIN events e ON e.id = r.event_id WHERE r.channel = ? AND (r.conversation = ? OR r.conversation LIKE ?)"
        " AND r.status IN ('active', 'stalled') ORDER BY r.id",
        (conversation.channel, base, f"{base}/%"),
    ).fetchall()
    return [
        {
            "id": r[0],
            "flow": r[1],
            "state": r[2],
            "status": r[3],
            "waiting_on": RunState.loads(r[4]).addressees(),
            "title": r[5],
        }
        for r in rows
    ]


def _may_see(conn: sqlite3.Connection, run_id: int, actor: Actor, conversation: ConversationKey) -> bool:
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


def _status(conn: sqlite3.Connection, run_id: int) -> CommandResult:
    detail = transcript.run_detail(conn, run_id)
    if detail is None:
        return CommandResult(texts.chat_unknown_run(run_id), ok=False)
    row = runs.load_run(conn, run_id)
    waiting = row.context.addressees() if row else []
    run = detail["run"]
    return CommandResult(texts.run_status(run_id, run["flow"], run["title"], run["status"], run["state"], waiting))
