"""Pure translators between Bot Framework activities (as Teams sends them) and neutral types.

An activity (its JSON) becomes an :class:`Inbound` holding a neutral
:class:`~bot.model.Message`: the bot's own ``<at>`` mention is stripped, other mentions become
``Message.mentions`` (``@Bob_Smith`` -> ``Actor("teams:29:...", "Bob Smith")``), or
``Message.not_people`` when they name no one person (a tag, a channel, everyone, a bot: see
:func:`mention_kind`, with what Teams sends for each); what goes the
other way is :mod:`bot.channels.teams_cards`. No I/O here: ``bot/channels/teams.py`` does the
HTTP and the storing.

Conversation keys: ``ConversationKey("teams", <conversation id without ;messageid=...>,
thread=<root message id>)``. A ``/`` in a Teams id is written ``%2F`` (and ``%`` as ``%25``) so
the key's own ``/thread`` separator stays unambiguous.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.channels.teams_lists import with_markers
from bot.channels.teams_mentions import mention_kind
from bot.model import Actor, ConversationKey, Message

CHANNEL = "teams"
#: The Bot Framework channel this bot serves. A token the Bot Framework signed for another of the
#: bot's channels (Web Chat, on by default on an Azure Bot; Direct Line) is as valid, but there
#: the client says who speaks: ``from.id`` would be anyone's Teams id.
TEAMS_CHANNEL_ID = "msteams"
_MESSAGE_ID = ";messageid="
_AT_TAG = re.compile(r"<at>(.*?)</at>", re.S)
#: The placeholder a quoted reply leads its text with (``<quoted messageId="1772050244572"/> yes``;
#: the quoted message itself comes as a ``quotedReply`` entity: microsoft/teams.net PR #389).
_QUOTED = re.compile(r"<quoted\b[^<>]*/>", re.I)
#: A character reference as Teams escapes text (``&amp;``, ``&lt;``, ``&#39;``): only with its
#: semicolon, so what someone typed (``Ops&registry``) is not read as ``&reg`` (html.unescape's
#: legacy names without one).
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def unescaped(text: str) -> str:
    """``text`` with its character references (each ending in ``;``) read."""
    return _REFERENCE.sub(lambda m: html.unescape(m.group()), text)


_MARKUP = re.compile(r"<[^<>]*>")


class ActivityError(ValueError):
    """An activity that lacks what the bot needs; ``str()`` names the missing field."""


@dataclass(frozen=True)
class Inbound:
    """One inbound activity, translated. ``kind`` is message, submit, install, invoke or ignore."""

    kind: str
    conversation_id: str  # as Teams sent it (channels: with ;messageid=<root>)
    base_id: str  # without ;messageid=
    thread: str | None
    conversation_type: str  # personal | groupChat | channel
    service_url: str
    tenant_id: str | None
    bot: dict[str, str]
    actor: Actor | None = None
    aad_object_id: str | None = None
    message: Message | None = None
    addressed: bool = False  # a personal chat, an @mention of the bot, or a card submit
    value: dict[str, Any] | None = None
    name: str | None = None  # of an invoke
    timezone: str | None = None  # the sender's, as their Teams client reports it
    activity_id: str | None = None  # as Teams sent it: what a reply is threaded to
    conversation_name: str | None = None  # a channel's "Team / Channel", a group chat's topic, when Teams says

    @property
    def delivery_id(self) -> str | None:
        """The key a repeated delivery is dropped by: Teams' activity ids are only unique within
        a conversation (they are often its epoch milliseconds)."""
        return f"{self.base_id}|{self.activity_id}" if self.activity_id else None


# --- conversations ---------------------------------------------------------------------------


def split_conversation(conversation_id: str) -> tuple[str, str | None]:
    """``19:c@thread.tacv2;messageid=17`` -> (``19:c@thread.tacv2``, ``17``)."""
    base, sep, thread = conversation_id.partition(_MESSAGE_ID)
    return base, (thread or None) if sep else None


def key_for(base_id: str, thread: str | None = None) -> ConversationKey:
    return ConversationKey(CHANNEL, base_id.replace("%", "%25").replace("/", "%2F"), thread)


def base_of(key: ConversationKey) -> str:
    return key.conversation.replace("%2F", "/").replace("%25", "%")


def conversation_id(key: ConversationKey) -> str:
    """The Teams conversation id a key stands for (a channel thread gets ``;messageid=``)."""
    base = base_of(key)
    return f"{base}{_MESSAGE_ID}{key.thread}" if key.thread else base


def actor(account: Mapping[str, Any]) -> Actor:
    uid = str(account["id"])
    return Actor(f"{CHANNEL}:{uid}", str(account.get("name") or uid))


def mention_token(name: str) -> str:
    """How a mention reads in the neutral text: ``<at>Bob Smith</at>`` -> ``@Bob_Smith``; one
    word, without the commas and semicolons that separate participants (a directory's "Smith,
    John" reads ``@Smith_John``)."""
    return "@" + "_".join(name.replace(",", " ").replace(";", " ").split())


# --- inbound ---------------------------------------------------------------------------------


def parse(activity: Mapping[str, Any]) -> Inbound:
    """Translate one activity; :class:`ActivityError` names what a usable one lacks, or the field
    of the wrong type: raised before the channel writes anything."""
    if activity.get("channelId") != TEAMS_CHANNEL_ID:
        raise ActivityError(texts.teams_other_channel(activity.get("channelId"), TEAMS_CHANNEL_ID))
    kind = str(activity.get("type") or "")
    common = _conversation_fields(activity)
    entities = _entities(activity)
    for field in ("membersAdded", "membersRemoved"):  # read for any activity (teams.py)
        _members(activity, field)
    if kind in ("conversationUpdate", "installationUpdate"):
        return Inbound("install", **common)
    if kind not in ("message", "invoke"):
        return Inbound("ignore", **common)
    sender = _object(activity, "from")
    if not _string(sender, "id", "from."):
        raise ActivityError("from.id is missing")
    if sender["id"] == common["bot"]["id"]:  # the bot's own message, echoed to it: never a person's
        return Inbound("ignore", **common)
    who = actor(sender)
    common.update(actor=who, aad_object_id=_string(sender, "aadObjectId", "from."), timezone=_timezone(activity))
    if kind == "invoke":
        name = str(activity.get("name") or "")
        action = _object(_object(activity, "value"), "action", "value.")
        data = _card_data(_object(action, "data", "value.action."), "value.action.data.")
        return Inbound("invoke", name=name, value=data, addressed=True, **common)
    value = activity.get("value")
    if isinstance(value, Mapping):
        return Inbound("submit", value=_card_data(value, "value."), addressed=True, **common)
    return _typed(activity, entities, who, common)


def _conversation_fields(activity: Mapping[str, Any]) -> dict[str, Any]:
    """What every kind of activity tells of its conversation, bot and tenant (:class:`Inbound`'s
    fields); a conversation id or service URL missing is an :class:`ActivityError`."""
    conv = _object(activity, "conversation")
    conversation = _string(conv, "id", "conversation.")
    if not conversation:
        raise ActivityError("conversation.id is missing")
    service_url = _string(activity, "serviceUrl")
    if not service_url:
        raise ActivityError("serviceUrl is missing")
    base, thread = split_conversation(conversation)
    bot = _object(activity, "recipient")
    tenant = _object(_object(activity, "channelData"), "tenant", "channelData.")
    return {
        "conversation_id": conversation,
        "base_id": base,
        "thread": thread,
        "conversation_type": str(conv.get("conversationType") or ("channel" if thread else "personal")),
        "service_url": service_url,
        "tenant_id": _string(tenant, "id", "channelData.tenant.") or _string(conv, "tenantId", "conversation."),
        "bot": {"id": _string(bot, "id", "recipient.") or "", "name": str(bot.get("name") or "")},
        "activity_id": str(activity.get("id") or "") or None,
        "conversation_name": conversation_name(activity),
    }


def conversation_name(activity: Mapping[str, Any]) -> str | None:
    """The conversation's name as the activity gives it, if at all: a channel's
    (``channelData.channel.name``, after its team's ``channelData.team.name``: ``Team / Channel``),
    a group chat's topic (``conversation.name``); a field of another type is none."""
    data = activity.get("channelData")
    data = data if isinstance(data, Mapping) else {}
    channel, team, conv = (data.get("channel"), data.get("team"), activity.get("conversation"))
    named = [_named(team), _named(channel)] if _named(channel) else [_named(conv)]
    return " / ".join(n for n in named if n) or None


def _named(holder: Any) -> str:
    name = holder.get("name") if isinstance(holder, Mapping) else None
    return name.strip() if isinstance(name, str) else ""


def _typed(activity: Mapping[str, Any], entities: list[Any], who: Actor, common: dict[str, Any]) -> Inbound:
    """A message typed in a conversation: its text cleaned of the bot's mention, and whether it
    was addressed to the bot (a mention, or a personal chat)."""
    base, thread = common["base_id"], common["thread"]
    bot = _object(activity, "recipient")
    personal = common["conversation_type"] == "personal"
    here = base if common["conversation_type"] == "groupChat" else ""
    cleaned = clean_text(_string(activity, "text") or "", entities, bot, here, personal)
    message = Message(
        conversation=key_for(base, thread),
        actor=who,
        text=with_markers(cleaned.text, activity),
        platform_id=f"{base}|{activity['id']}" if activity.get("id") else None,  # Inbound.delivery_id
        mentions=cleaned.mentions,
        raw=dict(activity),
        not_people=cleaned.not_people,
        locale=activity["locale"] if isinstance(activity.get("locale"), str) else None,
    )
    addressed = cleaned.addressed or personal
    return Inbound("message", message=message, addressed=addressed, **common)


#: The largest id SQLite stores: a card's run or message id beyond it is not one of ours.
_MAX_ID = 2**63 - 1


def _object(holder: Mapping[str, Any], name: str, where: str = "") -> Mapping[str, Any]:
    """``holder[name]``, an object ({} when absent or null); :class:`ActivityError` naming it
    (``where`` + ``name``) when it is anything else."""
    value = holder.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ActivityError(f"{where}{name} is not an object")
    return value


def _string(holder: Mapping[str, Any], name: str, where: str = "") -> str | None:
    """``holder[name]``, a string (None when absent or null), as :func:`_object`."""
    value = holder.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ActivityError(f"{where}{name} is not a string")
    return value


def _entities(activity: Mapping[str, Any]) -> list[Any]:
    """``entities``, a list; a ``mention`` among them names an object with a string id."""
    entities = activity.get("entities")
    if entities is None:
        return []
    if not isinstance(entities, list):
        raise ActivityError("entities is not a list")
    for entity in entities:
        if isinstance(entity, Mapping) and entity.get("type") == "mention":
            _string(_object(entity, "mentioned", "entities[]."), "id", "entities[].mentioned.")
    return entities


def _members(activity: Mapping[str, Any], field: str) -> None:
    """``membersAdded`` / ``membersRemoved``: a list of accounts, each id and AAD id a string."""
    members = activity.get(field)
    if members is None:
        return
    if not isinstance(members, list) or not all(isinstance(m, Mapping) for m in members):
        raise ActivityError(f"{field} is not a list of objects")
    for member in members:
        _string(member, "id", f"{field}[].")
        _string(member, "aadObjectId", f"{field}[].")


def _card_data(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A card's submit data; its ``decisionbot`` run and message ids, when numbers, in range."""
    meta = value.get("decisionbot")
    if isinstance(meta, Mapping):
        for name in ("run", "message"):
            number = meta.get(name)
            if isinstance(number, int) and not 0 <= number <= _MAX_ID:
                raise ActivityError(f"{where}decisionbot.{name} is out of range")
    return dict(value)


def carries_file(activity: Mapping[str, Any]) -> bool:
    """Whether a message carries a file or a picture: an attachment other than the HTML copy of
    its text Teams adds to a message with a mention or formatting, or that copy holding a
    picture (a GIF, a sticker: an ``<img>``, which its text leaves out)."""
    found = activity.get("attachments")
    return isinstance(found, list) and any(
        isinstance(a, Mapping) and (a.get("contentType") != "text/html" or "<img" in str(a.get("content") or ""))
        for a in found
    )


def reference_of(activity: Mapping[str, Any]) -> dict[str, Any]:
    """The activity's conversation reference, as botbuilder's ``get_conversation_reference``
    gives it: enough to post into the conversation later; and, in a team, the team's id
    (``teamId``: which channels the bot leaves when it is removed from the team)."""
    data = activity.get("channelData")
    team = data.get("team") if isinstance(data, Mapping) else None
    return {
        "teamId": team.get("id") if isinstance(team, Mapping) else None,
        "activityId": activity.get("id"),
        "user": activity.get("from"),
        "bot": activity.get("recipient"),
        "conversation": activity.get("conversation"),
        "channelId": activity.get("channelId"),
        "locale": activity.get("locale"),
        "serviceUrl": activity.get("serviceUrl"),
    }


def _timezone(activity: Mapping[str, Any]) -> str | None:
    """``localTimezone``, else the ``clientInfo`` entity's ``timezone`` (e.g. Europe/Paris)."""
    if zone := _string(activity, "localTimezone"):
        return zone
    for entity in activity.get("entities") or []:
        if isinstance(entity, Mapping) and entity.get("type") == "clientInfo" and entity.get("timezone"):
            return _string(entity, "timezone", "entities[].")
    return None


@dataclass(frozen=True)
class Cleaned:
    """A message's text as the bot reads it, and what its mentions name."""

    text: str
    mentions: dict[str, Actor]  # token -> the person it names
    not_people: dict[str, str]  # token -> what it names instead (see :func:`mention_kind`)
    addressed: bool  # the bot was mentioned


def clean_text(
    text: str, entities: Sequence[Mapping[str, Any]], bot: Mapping[str, Any], here: str = "", personal: bool = False
) -> Cleaned:
    """Strip the bot's mention that addresses it (its first; in a personal chat, where none is
    needed, only one the text starts with); turn the other mentions into ``@Name`` tokens: people
    into ``mentions``, what names no one person (the bot named again included) into
    ``not_people``. ``here``: a group chat's id (see :func:`mention_kind`)."""
    mentions: dict[str, Actor] = {}
    not_people: dict[str, str] = {}
    mentioned = False
    text = _QUOTED.sub(" ", text)  # a quoted reply: what was typed is the message
    for entity in entities:
        if not isinstance(entity, Mapping) or entity.get("type") != "mention":
            continue
        who = entity.get("mentioned") or {}
        if not who.get("id"):
            continue
        tag = str(entity.get("text") or f"<at>{who.get('name') or ''}</at>")
        kind = mention_kind(who, bot.get("id"), here)
        if kind == "bot" and not mentioned:
            mentioned = True
            if not personal or _leads(text, tag):
                text = text.replace(tag, " ", 1)
        if kind is None:
            person = actor(who)
            token = mention_token(person.name)
            mentions[token] = person
        else:
            token = mention_token(str(who.get("name") or who.get("displayName") or _AT_TAG.sub(r"\1", tag)))
            if tag in text:
                not_people[token] = kind
        text = text.replace(tag, f" {token} ")
    text = _AT_TAG.sub(lambda m: m.group(1), text)
    text = unescaped(text).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return Cleaned("\n".join(line for line in lines if line), mentions, not_people, mentioned)


def _leads(text: str, tag: str) -> bool:
    """Whether ``tag`` is the first thing ``text`` says (markup and spaces before it aside)."""
    at = text.find(tag)
    return at >= 0 and not unescaped(_MARKUP.sub("", text[:at])).strip()


def submitted_answer(
    value: Mapping[str, Any], expects: Mapping[str, Any] | None, people: Mapping[str, Actor]
) -> tuple[str, dict[str, Actor]]:
    """A card's submitted value as the answer a person would have typed, for the engine to
    validate: an option's value, yes/no, an ISO date, a person as a mention."""
    say = value.get("say")
    if isinstance(say, str) and say:
        return say, {}
    raw = value.get("answer")  # a card's inputs submit text (a choice set's values comma-separated)
    text = str(raw).strip() if isinstance(raw, str | int | float) and not isinstance(raw, bool) else ""
    if (expects or {}).get("type") == "person" and text:
        person = people.get(text)
        if person is not None:
            token = mention_token(person.name)
            return token, {token: person}
    return text, {}


def card_ref(value: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(run id, outbox message id) carried in a card's submit data."""
    meta = value.get("decisionbot")
    if not isinstance(meta, Mapping):
        return None, None
    run, message = meta.get("run"), meta.get("message")
    return (run if isinstance(run, int) else None), (message if isinstance(message, int) else None)
