"""What a Teams mention names when it names no one person (a tag, a channel, a team, everyone in
a group chat, a bot), with what Teams sends for each and where that is written down. Pure: read
by :func:`bot.channels.teams_activities.clean_text`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: What a mention names when it names no one person, as Teams sends it (``entities[]``, each
#: ``{"type": "mention", "text": "<at>Name</at>", "mentioned": {...}}``), by the kind
#: :func:`bot.control.start_arguments` refuses and :func:`bot.texts.command_not_a_person` names:
#:
#: - a person: ``{"id": "29:...", "name": "Bob Smith"}`` (learn.microsoft.com, "Channel and group
#:   chat conversations with a bot", Retrieve mentions). The Microsoft 365 Agents Playground sends
#:   its own ids (``user-id-0``; protocols.md §6) and the Emulator GUIDs: anything not below is a
#:   person, as before;
#: - a tag (``group``): ``{"id": "<Graph tag id, base64>", "name": "Design", "type": "tag"}``
#:   (MicrosoftDocs/msteams-docs PR #8650, "Bots can mention tag"; OfficeDev/Microsoft-Teams-Samples
#:   ``samples/bot-tag-mention`` reads a tag's ``mentioned.id`` from the mention it receives and
#:   posts it back with ``"type": "tag"``). In 2020 a tag came with a ``29:`` id and no type
#:   (microsoft/botframework-sdk#5975, botbuilder-js#2662): such a mention cannot be told from a
#:   person and is taken as one;
#: - a channel or a team (``channel``, ``team``): ``mentioned`` is the conversation's account, its
#:   id the thread's ``19:...@thread.skype`` / ``@thread.tacv2`` (microsoft/BotBuilder-Samples#2077:
#:   ``@Bot @General`` gives the channel's account, good for mentioning it back); Graph and the
#:   message-action payload name it ``{"id", "displayName", "conversationIdentityType":
#:   "channel" | "team"}`` (Graph ``chatMessageMentionedIdentitySet.conversation``; botframework
#:   schema ``ConversationIdentityType``), which is honoured when present (directly or under
#:   ``conversation``). A team's id is its General channel's, so only that field tells a team;
#: - everyone in a group chat (``everyone``): Graph names a mentioned chat with
#:   ``conversationIdentityType: "chat"``; as an activity's mention its account is the chat's own
#:   ``19:...@thread.v2`` id (msteams-docs#10968: bots are not said to receive it; if one comes it
#:   is refused, not taken for a person);
#: - a bot (``bot``: this one, after its first mention, which addresses it; ``app``: another):
#:   bots' ids are ``28:<app id>`` (protocols.md §2.1), or an account with ``"role": "bot"``.
_THREAD = re.compile(r"^19:.*@thread\.", re.I)
_IDENTITY_KINDS = {"channel": "channel", "team": "team", "chat": "everyone"}


def mention_kind(who: Mapping[str, Any], bot_id: str | None, here: str) -> str | None:
    """What ``who`` (a mention's ``mentioned``) names when it is not one person, else None;
    ``here`` is a group chat's id, which a mention of everyone in it names."""
    uid = str(who.get("id") or "")
    if bot_id and uid == bot_id:
        return "bot"
    if str(who.get("type") or "").lower() == "tag":
        return "group"
    conversation = who.get("conversation")
    identity = who.get("conversationIdentityType") or (
        conversation.get("conversationIdentityType") if isinstance(conversation, Mapping) else None
    )
    if isinstance(identity, str) and identity.lower() in _IDENTITY_KINDS:
        return _IDENTITY_KINDS[identity.lower()]
    if here and uid == here:
        return "everyone"
    if _THREAD.match(uid):
        return "channel"
    if uid.startswith("28:") or str(who.get("role") or "").lower() == "bot":
        return "app"
    return None
