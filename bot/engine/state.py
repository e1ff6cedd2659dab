"""A run's state between turns: what the machine does not hold, kept as JSON in ``runs.context``.

The machine holds which step the run is at; this holds the answers given so far, the path
taken (for ``back``), the open prompts (who is being asked what), a repeat step's draft item,
a pending confirmation, and the questions closed under people by someone else's answer
(``complete_when: any``), so a late answer is told why. It is loaded and saved with the run's row in every turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from bot import texts
from bot.model import Actor


@dataclass
class Prompt:
    """One open question to one person.

    ``item`` is the 0-based item of a repeat or fan-out step; ``field`` a repeat step's field;
    ``purpose`` is ``answer`` or ``reassign`` (the facilitator names a new owner for a declined
    action). Only the first open prompt of each person is ``asked``: the rest wait their turn.
    """

    step: str
    to: dict[str, str]
    item: int | None = None
    field: str | None = None
    purpose: str = "answer"
    asked: bool = False
    fails: int = 0
    escalated: bool = False
    current: Any = None  # a repeat field reopened by 'back': its value until it is answered
    said: str | None = None  # a reassign prompt's: the owner's words when they said more than no
    asked_at: str | None = None  # when first put to its person (UTC, ISO 8601): silent since then

    @property
    def actor(self) -> Actor:
        return Actor.from_dict(self.to)

    @property
    def slot(self) -> tuple[str, int | None, str | None]:
        return (self.step, self.item, self.field)


@dataclass
class RunState:
    roles: dict[str, Any]
    trigger: dict[str, Any]
    answers: dict[str, Any] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    draft: dict[str, Any] = field(default_factory=dict)
    confirm: dict[str, Any] | None = None
    revisions: dict[str, int] = field(default_factory=dict)
    answered_by: dict[str, str] = field(default_factory=dict)
    people: list[dict[str, str]] = field(default_factory=list)
    closed: dict[str, dict[str, str]] = field(default_factory=dict)
    # the draft item's later fields gone back over with 'back': shown as 'currently' when asked again
    kept: dict[str, Any] = field(default_factory=dict)
    # a repeat step's items after the draft one, gone back over with 'back': each asked again in turn,
    # its answers shown as 'currently' (and kept by 'done'), so that going back loses none
    later: list[dict[str, Any]] = field(default_factory=list)
    # the items of a list typed at once for a repeat step ("1. draft plan 2. call vendor") still to open
    listed: list[str] = field(default_factory=list)
    # an owner's words beyond yes or no to their item's review question ("no, blocked by legal"), by slot
    said: dict[str, str] = field(default_factory=dict)

    def offered(self, prompt: Prompt) -> dict[str, Any]:
        """The repeat item ``prompt`` asks about as gone back over: its fields kept to offer again
        and the answer it shows as 'currently'."""
        here = {prompt.field: prompt.current} if prompt.field is not None and prompt.current is not None else {}
        return {**self.kept, **here}

    # --- roles and people -------------------------------------------------------------------

    @property
    def facilitator(self) -> Actor:
        return Actor.from_dict(self.roles["facilitator"])

    @property
    def participants(self) -> list[Actor]:
        return [Actor.from_dict(p) for p in self.roles.get("participants", [])]

    def known_people(self) -> tuple[Actor, ...]:
        seen: dict[str, Actor] = {}
        for actor in [self.facilitator, *self.participants, *map(Actor.from_dict, self.people)]:
            seen.setdefault(actor.id, actor)
        return tuple(seen.values())

    def named(self, actor: Actor) -> Actor:
        """``actor`` as the run names them when all they brought is their platform id (a Rasa
        sender whose tracker has no ``decision_user_name``, a Slack user whose profile could not be
        fetched) and the run knows their name (the start's participants, an owner named in it)."""
        if not actor.named_by_id:
            return actor
        known = next((p for p in self.known_people() if p.id == actor.id), None)
        return known if known is not None and not known.named_by_id else actor

    def learn(self, actor: Actor) -> bool:
        """Name ``actor`` wherever the run knows them only by their platform id (a trigger named
        them before their platform said who they are): roles, prompts, the backup, and the
        trigger's names prompts show. Whether anything changed."""
        if actor.named_by_id:
            return False
        unnamed = (actor.id, actor.platform_id)
        entries = [self.roles["facilitator"], *self.roles.get("participants", []), *self.people]
        entries += [p.to for p in self.prompts]
        if isinstance(self.trigger.get("escalate_to"), dict):
            entries.append(self.trigger["escalate_to"])
        renamed = [e for e in entries if e.get("id") == actor.id and e.get("name") in unnamed]
        for entry in renamed:
            entry["name"] = actor.name
        if not renamed:
            return False
        if self.facilitator.id == actor.id and self.trigger.get("facilitator") in unnamed:
            self.trigger["facilitator"] = actor.name
        for key in ("participants", "owners"):  # names joined by ", " (bot.model.Trigger.fields, the router)
            if isinstance(self.trigger.get(key), str) and self.trigger[key]:
                names = self.trigger[key].split(", ")
                self.trigger[key] = ", ".join(actor.name if n in unnamed else n for n in names)
        return True

    def remember(self, actor: Actor) -> None:
        if all(p["id"] != actor.id for p in self.people) and actor.id != self.facilitator.id:
            self.people.append(actor.to_dict())

    # --- prompts ----------------------------------------------------------------------------

    def prompt_for(self, actor_id: str) -> Prompt | None:
        """The question ``actor_id`` is answering now: their first asked prompt."""
        return next((p for p in self.prompts if p.to["id"] == actor_id and p.asked), None)

    def addressees(self, reader: str | None = None) -> list[str]:
        """The names of those the run's questions wait on; to ``reader`` (an actor id), they
        themselves as "you" (``texts.waiting_on_you``)."""
        names: list[str] = []
        for p in self.prompts:
            name = texts.waiting_on_you() if reader is not None and p.to["id"] == reader else p.to["name"]
            if p.asked and name not in names:
                names.append(name)
        return names

    def closed_note(self, actor_id: str) -> str | None:
        """Why ``actor_id`` is asked nothing now when another's answer closed their question
        (``complete_when: any``): who answered and with what; or a correction gave the item they
        were asked to confirm to someone else; None otherwise (and for a question handed over,
        whose widgets say so themselves: :meth:`late_note`)."""
        closed = self.closed.get(actor_id)
        if not closed or "handed" in closed:
            return None
        if "given" in closed:  # a correction gave their item to someone else
            return str(closed["given"])
        return texts.question_closed_by(closed["by"], closed["answer"])

    def late_note(self, actor_id: str) -> str | None:
        """What ``actor_id``'s words are told where nothing waits on them: :meth:`closed_note`, or
        that their question was handed to the facilitator (:meth:`note_handed`)."""
        closed = self.closed.get(actor_id)
        if closed and "handed" in closed:
            return texts.question_handed_closed(str(closed["handed"]))
        return self.closed_note(actor_id)

    def note_handed(self, actor_id: str, to: str) -> None:
        """``actor_id``'s question goes to ``to`` (the facilitator: three answers it could not take,
        or the escalation): a late answer of theirs is told so, not that nothing waits on them
        (``by`` and ``answer`` for a release before this one, which reads them)."""
        self.closed[actor_id] = {"by": to, "answer": "", "handed": to}

    def asked_ids(self) -> list[str]:
        """The people a question is in front of now, by id."""
        return list(dict.fromkeys(p.to["id"] for p in self.prompts if p.asked))

    def next_unasked(self, actor_id: str) -> Prompt | None:
        if any(p.to["id"] == actor_id and p.asked for p in self.prompts):
            return None
        return next((p for p in self.prompts if p.to["id"] == actor_id), None)

    # --- revisions --------------------------------------------------------------------------

    def next_revision(self, slot: tuple[str, int | None, str | None], actor_id: str) -> int:
        key = slot_key(slot)
        self.revisions[key] = self.revisions.get(key, 0) + 1
        self.answered_by[key] = actor_id
        return self.revisions[key]

    # --- JSON -------------------------------------------------------------------------------

    def dumps(self) -> str:
        data = {name: getattr(self, name) for name in _FIELDS}
        for optional in OPTIONAL:  # as the versions before them wrote it: their server, beside
            if not data[optional]:  # this one in a rolling restart onto this version, reads the run
                del data[optional]  # (unknown keys: refused)
        data["prompts"] = [vars(p) for p in self.prompts]  # asdict() deep-copies: 10x slower
        return json.dumps(data, separators=(",", ":"), default=str)

    @classmethod
    def loads(cls, text: str) -> RunState:
        data = json.loads(text)
        data["prompts"] = [Prompt(**p) for p in data.get("prompts", [])]
        return cls(**data)


_FIELDS = tuple(f.name for f in fields(RunState))
#: Keys of a run's state left out while empty: a server of the version before each, reading the run
#: in a rolling restart, refuses keys it does not know.
OPTIONAL = ("closed", "kept", "later", "listed", "said")


def slot_key(slot: tuple[str, int | None, str | None]) -> str:
    step, item, fld = slot
    if item is None:
        return step
    return f"{step}[{item + 1}]" + (f".{fld}" if fld else "")
