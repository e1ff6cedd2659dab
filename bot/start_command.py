"""``start FLOW [@people] [title]`` typed in chat, on every platform: its participants and title
read from the words after the flow (mentions, separators, quotes), and the run started.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot import texts
from bot.command_result import CommandResult
from bot.dispatch import Dispatcher
from bot.engine.commands import flow_meant
from bot.errors import FlowNotFound, FlowRefused, NoDecisionToReview
from bot.flow_catalog import BOT_STARTED
from bot.model import Actor, ConversationKey, Trigger

#: The longest title a run started in chat takes (the generic trigger hook's limit too): every
#: question of the run may repeat it, so a title of a whole request (a MB on Teams, 100 MB over
#: Rasa) would be stored again with each.
TITLE_MAX = 500


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


def participants_missing(dispatcher: Dispatcher, flow_id: str, parsed: StartArguments, actor: Actor) -> str | None:
    """Why a start of ``flow_id`` naming no participant (but its facilitator) starts nothing, when
    one of its questions is for its participants: they would all come to the facilitator."""
    if any(person.id != actor.id for person in parsed.people):
        return None
    try:
        flow = dispatcher.catalog.get(flow_id)
    except (FlowNotFound, FlowRefused):  # said by the start itself
        return None
    if not any(step.to == "participants" for step in flow.steps):
        return None
    return texts.command_needs_participants(flow_id)


def start_refused(dispatcher: Dispatcher, flow_id: str, parsed: StartArguments, actor: Actor) -> str | None:
    """Why a start of ``flow_id`` with ``parsed`` arguments starts nothing, known before anything is
    posted for it (a Slack start's root): a word that names no person, a title too long, no
    participant for a flow that asks them, a review (a chat start names no decision to review).
    None when nothing but the start itself can refuse it (an unknown flow is said by the start)."""
    if parsed.refused is not None:
        return texts.command_not_a_person(*parsed.refused)
    if len(parsed.title) > TITLE_MAX:
        return texts.command_title_too_long(len(parsed.title), TITLE_MAX)
    if flow_id in dispatcher.catalog.review_flows():
        return texts.review_needs_decision(flow_id)
    return participants_missing(dispatcher, flow_id, parsed, actor)


def start(
    dispatcher: Dispatcher,
    actor: Actor,
    conversation: ConversationKey,
    args: list[str],
    mentions: Mapping[str, Actor],
    not_people: Mapping[str, str],
    via: str | None = None,
) -> CommandResult:
    """``start FLOW [@people] [title]``: the run started, or why it was not; ``via``: how the
    command came, kept in its trigger's data (``runs list`` shows it)."""
    known = dispatcher.catalog.startable_in_chat()
    if not args:
        return CommandResult(texts.command_start_usage(known), ok=False)
    flow = args[0]
    if flow in BOT_STARTED:  # action_handover: for the action 'give' names
        return CommandResult(texts.handover_not_started(), ok=False)
    parsed = start_arguments(args[1:], mentions, not_people)
    if refused := start_refused(dispatcher, flow, parsed, actor):
        return CommandResult(refused, ok=False)
    trigger = Trigger(
        flow=flow,
        source=conversation.channel,
        title=parsed.title,
        data={"via": via} if via else {},
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
        return CommandResult(texts.command_unknown_flow(flow, known, flow_meant(flow, known)), ok=False)
    title = trigger.title or dispatcher.catalog.get(flow).title
    told = texts.run_started(started.run_id, flow, title, [person.name for person in trigger.participants])
    return CommandResult(told, started=started)
