"""Neutral types shared by the channels and the engine.

A channel adapter turns a platform's payload into a :class:`Message` and a :class:`Reply` back
into the platform's payload; the engine and the store only ever see these types, never a
platform SDK object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    """A person (or the bot) on one platform.

    ``id`` is platform-neutral and unique across platforms: ``"<channel>:<platform id>"``,
    for example ``console:alice``, ``slack:U0123``, ``teams:29:1abc``.
    """

    id: str
    name: str

    @property
    def channel(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def platform_id(self) -> str:
        return self.id.split(":", 1)[1] if ":" in self.id else self.id

    @property
    def named_by_id(self) -> bool:
        """Whether all the name ``self`` has is its id (a trigger's person, a Rasa sender without
        ``decision_user_name``, a Slack user whose profile could not be fetched)."""
        return self.name in (self.id, self.platform_id)

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        return cls(id=str(data["id"]), name=str(data.get("name") or data["id"]))


@dataclass(frozen=True)
class ConversationKey:
    """Where a conversation happens: a channel, a conversation on it, and maybe a thread."""

    channel: str
    conversation: str
    thread: str | None = None

    def __str__(self) -> str:
        base = f"{self.channel}:{self.conversation}"
        return f"{base}/{self.thread}" if self.thread else base

    @classmethod
    def parse(cls, text: str) -> ConversationKey:
        channel, _, rest = text.partition(":")
        conversation, _, thread = rest.partition("/")
        return cls(channel, conversation, thread or None)


@dataclass(frozen=True)
class Message:
    """One inbound message, as every channel hands it to the dispatcher.

    ``value`` carries a structured answer from a widget (a button, a date picker, a card);
    ``mentions`` maps the mention tokens found in ``text`` to the people they name;
    ``not_people`` maps those that name no one person (a group, a channel, everyone, a bot) to
    that kind: neither a participant of ``start`` nor the answer to a person question.
    """

    conversation: ConversationKey
    actor: Actor
    text: str
    platform_id: str | None = None
    value: Any = None
    mentions: dict[str, Actor] = field(default_factory=dict)
    raw: dict[str, Any] | None = None
    not_people: dict[str, str] = field(default_factory=dict)
    locale: str | None = None  # the writer's client's language and region (Teams' ``en-GB``): how they write "03/04"


def placeholder_facilitator(channel: str) -> Actor:
    """Who facilitates a triggered run that named nobody, until the first person to speak in it
    takes the role."""
    return Actor(f"{channel}:facilitator", "facilitator")


def is_placeholder(actor_id: str) -> bool:
    """Whether ``actor_id`` is a channel's placeholder facilitator rather than a person."""
    return actor_id.split(":", 1)[-1] == "facilitator"


@dataclass(frozen=True)
class Reply:
    """One outbound message queued by a turn, delivered after the turn commits."""

    run_id: int
    conversation: ConversationKey
    text: str
    to: Actor | None = None
    step: str | None = None
    expects: dict[str, Any] | None = None
    kind: str = "prompt"  # prompt | info | error | summary
    private: bool = False  # for ``to`` alone: a direct message where the platform has them
    #: files riding on the message: ``{"filename", "content_type", "content"}`` (a review's .ics)
    attachments: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "to": self.to.id if self.to else None,
            "to_name": self.to.name if self.to else None,
            "step": self.step,
            "kind": self.kind,
            "text": self.text,
            "expects": self.expects,
            "conversation": str(self.conversation),
            "private": self.private,
        }


#: The kinds of event the bot makes itself, which no sender may claim: a decision's review comes
#: due, an action changes hands (``give A12 @person``). Analysts leave them out of trigger quality's
#: ``(all)``: they trigger no new decision.
BOTS_OWN_KINDS = ("review", "handover")

#: The senders whose notifications carry an alert group's ``groupKey`` (``dedup: group``).
GROUPING_SOURCES = ("alertmanager", "grafana")


def group_key(source: str, key: str) -> str:
    """The dedup key of an alert group: ``alertmanager:group:<groupKey>``, ``grafana:group:...``."""
    return f"{source}:group:{key}"


def is_group_key(dedup_key: str | None) -> bool:
    return any((dedup_key or "").startswith(group_key(s, "")) for s in GROUPING_SOURCES)


#: ``via`` in the data of a run a person started in chat on Teams (a channel or a personal chat),
#: over the Rasa assistant or in the terminal (``decisionbot chat``); a Slack start keeps its way
#: in instead (``slash``, ``mention``, ``dm``). ``runs list`` names what started a run from it.
CHAT = "chat"


@dataclass
class Trigger:
    """Something happened that needs a decision: an alert, a metric check, a facilitator."""

    flow: str
    source: str = "cli"
    kind: str = "manual"
    title: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    facilitator: Actor | None = None
    participants: list[Actor] = field(default_factory=list)
    dedup_key: str | None = None
    conversation: ConversationKey | None = None
    status: str = "firing"

    @property
    def grouped(self) -> bool:
        """Whether the trigger stands for a whole alert group (``dedup: group``: keyed by the
        notification's ``groupKey``, Alertmanager's or Grafana's), not for one alert."""
        return is_group_key(self.dedup_key)

    def fields(self) -> dict[str, Any]:
        """The trigger as prompt templates see it: ``trigger.title``, ``trigger.value``, ..."""
        out: dict[str, Any] = dict(self.data)
        out.setdefault("title", self.title or self.flow)
        out["source"] = self.source
        out["kind"] = self.kind
        out["status"] = self.status
        if self.facilitator:
            out["facilitator"] = self.facilitator.name
        out["participants"] = ", ".join(p.name for p in self.participants)
        return out
