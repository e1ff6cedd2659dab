"""Pure translators of neutral replies into Slack messages (Block Kit). No I/O here.

A prompt gets the native widget of its answer type: buttons (up to five options) or a
static_select for choices, Yes/No buttons, a users_select for people, a datepicker for dates,
plus Skip / Done / default buttons where the step allows them; text and numbers are typed in
the thread. Every widget's ``block_id`` names the run and the outbox message, so a click finds
its run; what a widget stands for is the answer someone would type (see
``slack_events.action_answer``), so the engine parses clicks and typed text alike.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from bot import texts
from bot.channels import long_text
from bot.model import Reply

BLOCK_PREFIX = "decisionbot"
MAX_BUTTONS = 5
SECTION_LIMIT = 3000
#: Slack refuses (``msg_too_long``) or cuts a message's ``text`` above this many characters.
TEXT_LIMIT = 40_000
#: Room kept in each part of a long reply for the mention of whom it is for.
_MENTION_ROOM = 100
#: Room a question's text keeps for what its redraw adds (who answered what, why it was withdrawn).
_REDRAW_ROOM = 1000
LABEL_LIMIT = 75
#: Block Kit's limits on a button's value and a menu option's value.
BUTTON_VALUE_LIMIT, OPTION_VALUE_LIMIT = 2000, 150
#: A user mention, the only markup an answer may carry into a message live.
LIVE_MENTION = re.compile(r"<@[UW][A-Z0-9]+(\|[^<>]*)?>")
#: A Slack user id: U or W, then 8 to 11 capitals and digits, a digit among them (``U0123ABCD``;
#: never a word like UTC, UK or WIP).
_USER_ID = r"[UW](?=[A-Z]*\d)[A-Z0-9]{8,11}"
_MAYBE_USER_ID = re.compile(rf"\b{_USER_ID}\b")
#: A mention of a person Slack did not name, as ``slack_messages.named`` writes it: their user id
#: after an @ (``@U0123ABCD``).
_UNNAMED_MENTION = re.compile(rf"(?<![\w<@&;])@({_USER_ID})(?!\w)")
#: What a cut must not split: an escaped character or a mention.
_WHOLE = re.compile(r"&(?:amp|lt|gt);|<[^<>]*>")


def block_id(run_id: int, message_id: int) -> str:
    return f"{BLOCK_PREFIX}:{run_id}:{message_id}"


#: A row id of ours in a block id: ASCII digits (``str.isdigit`` also takes ``²``, which ``int``
#: refuses), and at most what SQLite's integers hold.
_ROW_ID = re.compile(r"[0-9]{1,19}")
_MOST_ROW_ID = 2**63 - 1


def parse_block_id(value: str) -> tuple[int, int] | None:
    """(run id, message id) from one of our block ids; None for anyone else's."""
    prefix, _, rest = value.partition(":")
    run, _, message = rest.partition(":")
    if prefix != BLOCK_PREFIX or not _ROW_ID.fullmatch(run) or not _ROW_ID.fullmatch(message):
        return None
    ids = int(run), int(message)
    return ids if max(ids) <= _MOST_ROW_ID else None


def escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    """A channel as a link Slack shows by its name (``<#C0123>``)."""
    return f"<#{channel_id}>"


def permalink(domain: str, channel_id: str, ts: str) -> str:
    """A message's link, as ``chat.getPermalink`` writes it, from its workspace's domain (a click's
    ``team.domain``): a thread's root opens its thread."""
    return f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


def thread_link(workspace: str, channel_id: str, ts: str) -> str:
    """A thread's link from its workspace's address (``auth.test``'s ``url``), as
    ``chat.getPermalink`` writes one, with no call to Slack."""
    return f"{workspace.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"


def runs_linked(told: str, links: Mapping[int, str]) -> str:
    """Escaped ``told`` (``list``, ``status N``) with each run's number where a line names it first
    (``#3`` opening a line of ``list``, ``Run #3`` opening ``status``) made a link to its thread."""
    for run_id, link in links.items():
        line = re.compile(rf"^(\s*)((?:Run )?#{run_id})(?=[\s:])", re.MULTILINE)
        told = line.sub(rf"\1<{link}|\2>", told, count=1)
    return told


def may_name_someone(text: str) -> bool:
    """``text`` has a word shaped like a Slack user id: it may name a person by it."""
    return _MAYBE_USER_ID.search(text) is not None


def unnamed_in(found: Any) -> set[str]:
    """The Slack user ids of the people in a run's context (roles, answers, prompts) named by
    their id: ``{"id": "slack:U0123ABCD", "name": "U0123ABCD"}``."""
    if isinstance(found, list):
        return set().union(*(unnamed_in(v) for v in found))
    if not isinstance(found, dict):
        return set()
    ids = set().union(*(unnamed_in(v) for v in found.values()))
    actor_id, name = found.get("id"), found.get("name")
    user = actor_id[6:] if isinstance(actor_id, str) and actor_id.startswith("slack:") else ""
    if _MAYBE_USER_ID.fullmatch(user) and name in (actor_id, user):  # (not the placeholder 'facilitator')
        ids.add(user)
    return ids


def live_people(text: str, unnamed: Collection[str] = ()) -> str:
    """Escaped ``text`` with the people it names by their Slack user id (Slack's ``users.info``
    did not answer when they were named: ``unnamed``, and mentions typed of them) as live
    mentions, which Slack shows by their names: never a bare ``U0123ABCD``."""
    text = _UNNAMED_MENTION.sub(r"<@\1>", text)
    if not unnamed:
        return text
    ids = "|".join(re.escape(i) for i in sorted(unnamed, key=len, reverse=True))
    return re.sub(rf"(?<![\w<@&;])@?({ids})(?!\w)", r"<@\1>", text)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": label_shown(text), "emoji": True}


def label_shown(label: str) -> str:
    """A button's or a menu option's label as Slack can show it (75 characters): a longer one cut,
    with "…" to say so (the question's text lists it whole)."""
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1].rstrip() + "…"


def option_value(option: dict[str, Any], number: int, limit: int) -> str:
    """What picking an option answers: its value, or, when Slack would not hold it whole (over
    ``limit``), its number (``#4``), which the engine takes as that option; a value cut short could
    name several."""
    value = str(option["value"])
    return value if len(value) <= limit else f"#{number}"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(without_options(text))}}


#: The line a choice's question lists its options on (``texts.options_line``: ``1) a  2) b``).
_OPTIONS_LINE = re.compile(r"\n1\) [^\n]*")


def without_options(text: str) -> str:
    """A question too long for a section without the line listing its options, which its buttons
    or menu show (the message's text, which phones notify with and screen readers read, keeps it):
    what gives way is the list, not the question. A question that fits keeps it."""
    found = list(_OPTIONS_LINE.finditer(text)) if len(text) > SECTION_LIMIT else []
    if not found:  # (the last such line: an answer the question echoes may have one of its own)
        return text
    return text[: found[-1].start()] + text[found[-1].end() :]


def fit(text: str, limit: int = SECTION_LIMIT) -> str:
    """``text`` within ``limit`` characters, its end kept: a message ends with its question, so a
    long one loses the middle of what it echoes, never the question. The last line stays whole
    when it leaves a sixth of the room for the start (which names whom the message is for)."""
    if len(text) <= limit:
        return text
    gap = texts.slack_cut()
    room = limit - len(gap)
    last_line = len(text) - text.rfind("\n")  # with its newline
    end = min(max(last_line, room // 2), room - room // 6)
    head, tail = room - end, len(text) - end
    for match in _WHOLE.finditer(text):
        if match.start() < head < match.end():
            head = match.start()
        if match.start() < tail < match.end():
            tail = match.end()
    return text[:head] + gap + text[tail:]


def parts(reply: Reply) -> list[Reply]:
    """A reply too long for one message (over TEXT_LIMIT once escaped: a summary of long answers,
    a busy channel's list) as parts that each fit, the files riding on the last; a question or an
    error stays one message (:func:`message` shortens what it repeats)."""
    if reply.kind in ("prompt", "error"):
        return [reply]
    pieces = long_text.split(reply.text, TEXT_LIMIT - _MENTION_ROOM, escaped_length)
    if len(pieces) == 1:
        return [reply]
    last = len(pieces) - 1
    return [replace(reply, text=p, attachments=reply.attachments if i == last else []) for i, p in enumerate(pieces)]


def mrkdwn_parts(text: str, unnamed: Collection[str] = (), links: Mapping[int, str] | None = None) -> list[str]:
    """Plain ``text`` as the escaped parts of one answer, each within Slack's limit (see parts);
    the ``unnamed`` people it names by their ids as live mentions; ``links``: the runs it names
    by their threads' links (:func:`runs_linked`, in a part they leave within the limit)."""
    pieces = long_text.split(text, TEXT_LIMIT - _MENTION_ROOM, escaped_length)
    told = [live_people(escape(p), unnamed) if unnamed else escape(p) for p in pieces]
    return [_linked(p, links) for p in told] if links else told


def _linked(told: str, links: Mapping[int, str]) -> str:
    """``told`` with its runs linked (:func:`runs_linked`) when that stays within Slack's limit."""
    linked = runs_linked(told, links)
    return linked if len(linked) <= TEXT_LIMIT - _MENTION_ROOM else told


def escaped_length(text: str) -> int:
    return len(escape(text))


def message(reply: Reply, message_id: int, to_user: str | None = None, unnamed: Collection[str] = ()) -> dict[str, Any]:
    """``chat.postMessage`` arguments (without channel and thread) for one queued reply (or one
    part of it, see :func:`parts`). ``to_user`` is mentioned at the start (in a shared thread, so
    they are notified); the people named by their user id (``unnamed``) are mentions. Its text is
    kept within Slack's limit (a question with widgets leaves room for its redraw), its section
    within a section's: what goes is the middle of what it repeats, never the question."""
    text = live_people(escape(reply.text), unnamed)
    if to_user:
        text = f"{mention(to_user)} {text}"
    elements = widgets(reply.expects, reply.text) if reply.kind == "prompt" else []
    if not elements:
        return {"text": fit(text, TEXT_LIMIT)}
    text = fit(text, TEXT_LIMIT - _REDRAW_ROOM)
    return {
        "text": text,
        "blocks": [
            _section(text),
            {"type": "actions", "block_id": block_id(reply.run_id, message_id), "elements": elements},
        ],
    }


def widgets(expects: dict[str, Any] | None, text: str = "") -> list[dict[str, Any]]:
    """The interactive elements for what a prompt expects; empty for typed-only answers."""
    if not expects:
        return []
    kind = expects.get("type")
    elements: list[dict[str, Any]] = []
    options = expects.get("options") or []
    if kind == "choice" and options:
        if len(options) <= MAX_BUTTONS:
            elements += [
                _button(o["label"], option_value(o, i + 1, BUTTON_VALUE_LIMIT), f"answer:{i}")
                for i, o in enumerate(options)
            ]
        else:
            elements.append(_select(options))
    elif kind == "yes_no":
        elements += [
            _button(texts.slack_button_yes(), "yes", "answer:yes", style="primary"),
            _button(texts.slack_button_no(), "no", "answer:no"),
        ]
    elif kind == "person":
        elements.append(
            {"type": "users_select", "action_id": "answer:person", "placeholder": _plain(texts.slack_pick_person())}
        )
    elif kind == "date":
        picker: dict[str, Any] = {
            "type": "datepicker",
            "action_id": "answer:date",
            "placeholder": _plain(texts.slack_pick_date()),
        }
        elements.append(picker)
    if expects.get("default") is not None and kind != "yes_no":
        elements.append(_button(texts.slack_button_default(str(expects["default"])), "default", "answer:default"))
    if expects.get("optional"):
        elements.append(_button(texts.slack_button_skip(), "skip", "answer:skip"))
    if expects.get("done_words") and texts.done_hint() in text:
        elements.append(_button(texts.slack_button_done(), "done", "answer:done"))
    return elements


def _button(label: str, value: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": _plain(label), "value": value, "action_id": action_id}
    if style:
        button["style"] = style
    return button


def _select(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "answer:select",
        "placeholder": _plain(texts.slack_pick_option()),
        "options": [
            {"text": _plain(o["label"]), "value": option_value(o, i + 1, OPTION_VALUE_LIMIT)}
            for i, o in enumerate(options[:100])
        ],
    }


def answered(question: str, by_user: str, answer: str) -> dict[str, Any]:
    """``chat.update`` arguments once a prompt is answered: the question, who answered what, and
    no widgets left to press. ``question`` is the text as posted (already escaped)."""
    line = redraw_line(texts.slack_answered(mention(by_user), answer_text(answer)))
    return {
        "text": f"{question}\n{line}",
        "blocks": [_section(question), {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}],
    }


def withdrawn(question: str, reason: str | None = None) -> dict[str, Any]:
    """``chat.update`` arguments for a prompt the conversation moved past, or taken away from its
    person (then why: ``reason``, mrkdwn): no widgets."""
    if reason is None:
        return {"text": question, "blocks": [_section(question)]}
    reason = redraw_line(reason)
    line = {"type": "context", "elements": [{"type": "mrkdwn", "text": reason}]}
    return {"text": f"{question}\n{reason}", "blocks": [_section(question), line]}


def redraw_line(line: str) -> str:
    """The line a redraw adds under a question (mrkdwn), within the room the question left for it
    (a context block's 3,000 characters, the message's 40,000): a reason naming a long action, an
    answer of escaped ``&``s, keeps its start and its end."""
    return fit(line, _REDRAW_ROOM - 1)


def answer_text(answer: str) -> str:
    """A user mention alone stays live (``<@U..>``); anything else typed, however it starts, is
    escaped (no ``<!channel>``, no disguised link) and kept short."""
    if LIVE_MENTION.fullmatch(answer):
        return answer
    short = answer if len(answer) <= 300 else answer[:297] + "..."
    return escape(short)


def ephemeral(text: str, unnamed: Collection[str] = (), links: Mapping[int, str] | None = None) -> dict[str, Any]:
    """A slash command's immediate answer, seen only by the person who typed it; the ``unnamed``
    people it names by their ids as live mentions; ``links`` as for :func:`mrkdwn_parts`."""
    told = live_people(escape(text), unnamed) if unnamed else escape(text)
    return {"response_type": "ephemeral", "text": fit(_linked(told, links) if links else told, TEXT_LIMIT)}
