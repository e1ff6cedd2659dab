"""What people type in Slack, read as they typed it: messages (a thread reply, a direct message,
a mention of the bot) and slash commands, Slack's markup (mentions, links, escapes) turned back
into text, and the people a text mentions. Pure, no I/O; the envelopes around them are
:mod:`bot.channels.slack_events`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.slack_events import Malformed
from bot.model import Actor
from bot.store.people import Person

# --- messages people type ------------------------------------------------------------------

#: Message subtypes that are still someone typing (a thread reply also sent to the channel, a
#: message with a file); edits, deletions, joins and bot messages are not.
TYPED_SUBTYPES = frozenset({"thread_broadcast", "file_share"})
#: Slack's own bot: no person, though ``users.info`` says ``is_bot: false`` for it.
SLACKBOT = "USLACKBOT"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Said:
    """A message someone typed: in a channel, in a thread, or to the bot directly."""

    kind: str  # message | app_mention
    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str | None
    dm: bool
    mentions_bot: bool

    @property
    def platform_id(self) -> str:
        """One id per message, shared by its retries and by its app_mention twin."""
        return message_id(self.channel, self.ts)


@dataclass(frozen=True)
class Home:
    """The installation of the bot token (``auth.test``): its workspace, its Enterprise Grid
    organization, and whether it is installed org-wide (its ``team`` is then the organization)."""

    team: str | None = None
    org: str | None = None
    org_wide: bool = False
    url: str | None = None  # the workspace's (or organization's) address: its messages' links

    def foreign(self, user: Mapping[str, Any]) -> bool:
        """Whether a Slack user object is a person of another organization (Slack Connect): Slack
        says so (``is_stranger``), or their Grid organization (``enterprise_user``) is not the bot's,
        or, when the bot's installation is one workspace, their workspace is another. People of
        the same Grid organization, in any of its workspaces, are not."""
        if user.get("is_stranger") is True:
            return True
        enterprise = user.get("enterprise_user")
        theirs = (enterprise.get("enterprise_id") if isinstance(enterprise, Mapping) else None) or user.get(
            "enterprise_id"
        )
        if self.org and isinstance(theirs, str) and theirs:
            return theirs != self.org
        team = user.get("team_id")
        return not self.org_wide and bool(self.team and isinstance(team, str) and team and team != self.team)


def person(user: Mapping[str, Any], home: Home | None = None) -> Person:
    """A Slack user object (``users.info``'s ``user``, ``user_change``'s) as the people cache keeps
    it: the display name (else the real name, else the handle), time zone, whether the account
    is deactivated (``deleted``), whether it is an app's bot user (``is_bot``; Slackbot too,
    which ``users.info`` does not call a bot), and whether they are of another organization than
    the bot token's installation ``home`` (Slack Connect: :meth:`Home.foreign`)."""
    user_id = str(user.get("id"))
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    is_bot = bool(user.get("is_bot")) or user_id == SLACKBOT
    external = home is not None and home.foreign(user)
    return Person(f"slack:{user_id}", str(name or user_id), user.get("tz"), bool(user.get("deleted")), is_bot, external)


def message_id(channel: str, ts: str) -> str:
    """The platform id a typed message's turn stores (and an edit of it looks up)."""
    return f"msg:{channel}:{ts}"


def command_via(platform_id: str, channel: str) -> str:
    """How a command came, from its platform id (a slash command's: ``cmd:``; a submission of the
    form that starts a decision: ``view:``) and its channel (a direct message's id starts with
    ``D``): ``slash``, ``modal``, ``dm`` or ``mention`` (in a channel)."""
    if platform_id.startswith("cmd:"):
        return "slash"
    if platform_id.startswith("view:"):
        return "modal"
    return "dm" if channel.startswith("D") else "mention"


def said(event: Mapping[str, Any], bot_user_id: str | None) -> Said | None:
    """The typed message in ``event``; None for the bot's own, edits, deletions and the rest."""
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return None
    subtype = event.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise Malformed("event subtype is not a string")
    if event.get("bot_id") or (subtype and subtype not in TYPED_SUBTYPES):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not isinstance(user, str) or not isinstance(channel, str) or not isinstance(ts, str):
        return None
    if bot_user_id and user == bot_user_id:
        return None
    text = event.get("text")
    if (
        not isinstance(text, str) or not text.strip()
    ):  # a file shared without a caption: nothing typed, so no answer attempt
        return None
    thread = event.get("thread_ts")
    return Said(
        kind=str(kind),
        channel=channel,
        user=user,
        text=typed(text),
        ts=ts,
        thread_ts=thread if isinstance(thread, str) and thread != ts else None,
        dm=event.get("channel_type") == "im" or channel.startswith("D"),
        mentions_bot=bool(bot_user_id) and re.search(_mention_of(str(bot_user_id)), text) is not None,
    )


#: What Slack writes between ``<`` and ``>`` in message text: ``@U..`` (a user), ``#C..`` (a
#: channel), ``!here`` and the other special mentions, ``!date^..``, or a link; maybe ``|label``.
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_CHARACTERS = {"amp": "&", "lt": "<", "gt": ">"}
_SCHEMES = ("https://", "http://", "mailto:", "tel:")
#: Slack's shortcodes for the emoji an answer may be (yes and no, as the engine reads them), which
#: Slack's text carries in place of the emoji people pick: ``:+1:`` for 👍, a skin tone after it.
_ANSWERING_EMOJI = {"+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "white_check_mark": "✅", "x": "❌"}
_SHORTCODE = re.compile(r":(\+1|thumbsup|-1|thumbsdown|white_check_mark|x):(?::skin-tone-([2-6]):)?")


def typed(text: str) -> str:
    """Message text as its author typed it, from Slack's markup ("Formatting text for app
    surfaces"), for every inbound text path (messages, mentions, slash commands). User mentions
    stay ``<@U..>`` tokens for :func:`mentions`; a link reads as its label, or ``label (url)`` when
    they differ; a channel as ``#name``; ``<!here>``, ``<!channel>``, ``<!everyone>`` and user
    groups as plain ``@here``... (posted again they are escaped: never a live ping); a date as its
    fallback. ``&lt;``, ``&gt;`` and ``&amp;`` are unescaped, in one pass; then the shortcodes of
    the emoji that answer yes or no (``:+1:``, ``:-1:``, ``:white_check_mark:``, ``:x:``) are those
    emoji (👍 👎 ✅ ❌, a skin tone kept), as Teams sends them; other emoji stay as Slack writes them."""
    return _SHORTCODE.sub(_emoji, _ENTITY.sub(lambda m: _CHARACTERS[m.group(1)], _MARKUP.sub(_read, text)))


def _emoji(match: re.Match[str]) -> str:
    tone = match.group(2)  # skin-tone-2 .. 6: the Fitzpatrick modifiers U+1F3FB .. U+1F3FF
    return _ANSWERING_EMOJI[match.group(1)] + (chr(0x1F3FB + int(tone) - 2) if tone else "")


def _read(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2) or ""
    if MENTION.fullmatch(match.group(0)):
        return match.group(0)
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        name, _, ref = target[1:].partition("^")
        if name in ("here", "channel", "everyone"):
            return f"@{name}"
        if name == "subteam":
            return label if label.startswith("@") else f"@{label or ref}"
        return label or ("" if name == "date" else name)
    if not label or label == target or any(target == scheme + label for scheme in _SCHEMES):
        return label or target
    return f"{label} ({target})"


def mention_ids(text: str) -> list[str]:
    return list(dict.fromkeys(MENTION.findall(text)))


def _mention_of(user_id: str) -> str:
    """A pattern for Slack's mention of ``user_id`` (``<@U123>``, ``<@U123|name>``), not of
    another user whose id starts with it (``<@U1234>``)."""
    return rf"<@{re.escape(user_id)}(?:\|[^>]*)?>"


def without_mention(text: str, user_id: str | None, count: int = 0) -> str:
    """The text with the bot's own mention taken out (the first ``count`` of them; 0: all). In a
    ``give`` the bot named after the leading mention that addresses it stays: it is named as the
    new owner (``give A1 @decisionbot``), and refused as one."""
    if not user_id:
        return text.strip()
    mention = _mention_of(user_id)
    addressed = re.sub(rf"^\s*{mention}", " ", text).strip()
    if addressed.lower().split(maxsplit=1)[:1] == ["give"]:
        return addressed
    return re.sub(mention, " ", text, count=count).strip()


def not_people(text: str, found: Mapping[str, Actor], bot_user_id: str | None) -> dict[str, str]:
    """What ``text`` (as Slack sent it) names that is not one person, each as :func:`typed` and
    :func:`named` write it, to its kind: a user group, a channel, ``@here`` and the other
    special mentions (``everyone``), and the bot itself (``bot``, a mention of ``found``)."""
    kinds: dict[str, str] = {}
    for match in _MARKUP.finditer(text):
        target = match.group(1)
        name = target[1:].partition("^")[0] if target.startswith("!") else ""
        kind = "channel" if target.startswith("#") else "group" if name == "subteam" else ""
        kind = kind or ("everyone" if name in ("here", "channel", "everyone") else "")
        if kind:
            kinds[_read(match)] = kind
    bot = f"slack:{bot_user_id}" if bot_user_id else None
    kinds.update({word: "bot" for word, actor in found.items() if actor.id == bot})
    return kinds


def mentions(text: str, people: Mapping[str, Actor]) -> dict[str, Actor]:
    """Each ``<@U..>`` token in ``text`` mapped to the person it names (``people`` by user id)."""
    found: dict[str, Actor] = {}
    for match in MENTION.finditer(text):
        uid = match.group(1)
        found[match.group(0)] = people.get(uid) or Actor(f"slack:{uid}", uid)
    return found


def named(text: str, found: Mapping[str, Actor]) -> tuple[str, dict[str, Actor]]:
    """``text`` with each ``<@U..>`` token of ``found`` (from :func:`mentions`) written as
    ``@Name`` (as the Teams channel writes them: spaces as underscores), and the mentions keyed
    by those names: stored text reads as people read it, and a person answer still names its
    person. Two people of one name keep their ``<@U..>`` tokens (still understood)."""
    names = {token: "@" + "_".join((actor.name or actor.platform_id).split()) for token, actor in found.items()}
    holders: dict[str, set[str]] = {}
    for token, name in names.items():
        holders.setdefault(name, set()).add(found[token].id)
    kept: dict[str, Actor] = {}

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in found:
            return token
        shown = names[token] if len(holders[names[token]]) == 1 else token
        kept[shown] = found[token]
        return shown

    return MENTION.sub(swap, text), kept


# --- slash commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Slash:
    user: str
    channel: str
    text: str
    trigger_id: str
    channel_name: str = ""  # "directmessage" in a DM, "mpdm-..." in a group DM
    response_url: str = field(default="", repr=False)  # where an answer after Slack's 3 s is told (never logged)

    @property
    def platform_id(self) -> str:
        return f"cmd:{self.trigger_id}"

    @property
    def between_people(self) -> bool:
        """Typed in a DM or a group DM (no app can be added to either; the bot's own DM aside)."""
        name = self.channel_name
        return self.channel.startswith("D") or name == "directmessage" or name.startswith("mpdm-")


def slash(form: Mapping[str, str]) -> Slash:
    """The command's text as typed (:func:`typed`: Slack escapes it as it does messages)."""
    text = typed(form.get("text", "")).strip()
    return Slash(
        form["user_id"],
        form["channel_id"],
        text,
        form["trigger_id"],
        form.get("channel_name", ""),
        str(form.get("response_url") or ""),
    )
