"""What the bot sends to Teams, from neutral types: a :class:`~bot.model.Reply` becomes an
activity, with an Adaptive Card for every prompt that expects an answer (a text message when the
card would exceed Teams' size limit), and :func:`answered_card` is the card that replaces a prompt
once answered. The text is escaped (:func:`escape`, :func:`card_text`): what people typed is shown
as typed, never as markdown links or HTML under the bot's name; only the ``<at>`` mentions the bot
adds are live. Pure: no I/O (``bot/channels/teams_delivery.py`` sends)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot import texts
from bot.channels import long_text
from bot.model import Actor, Reply

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
PEOPLE_DATASET = "graph.microsoft.com/users"


def mention_tag(person: Actor, *, markup: bool = True) -> str:
    """How the bot @mentions ``person``. In a message's text (``markup``: Teams reads it as HTML-ish
    markup) the name is XML-escaped, so ``&``, ``<`` or ``</at>`` in a display name cannot end the
    tag early or open one of its own (Teams' docs: mention text "should be XML encoded",
    MicrosoftDocs/msteams-docs#1143; a raw ``&`` is refused, botbuilder-js#2111); a card's
    TextBlock takes no HTML and gets the name as it is."""
    name = html.escape(person.name, quote=False) if markup else person.name
    return f"<at>{name}</at>"


def mention_entity(person: Actor, *, markup: bool = True) -> dict[str, Any]:
    """The mention's entity: its ``text`` identical to the tag in the text (Teams ignores or
    refuses one that is not); ``mentioned.name`` the name itself."""
    return {
        "type": "mention",
        "text": mention_tag(person, markup=markup),
        "mentioned": {"id": person.platform_id, "name": person.name},
    }


#: What Teams' markdown (messages and card TextBlocks) reads as formatting: emphasis, code, links,
#: strike-through; ``_`` only where it can open or close emphasis (not inside a word, as in URLs).
_MARKUP = re.compile(r"[\\`*\[\]~]|(?<![^\W_])_|_(?![^\W_])")
_HEADING = re.compile(r"^(\s*)#", re.M)
#: Teams refuses an activity above 100 KB (its JSON, counted as UTF-16) with 413 MessageSizeTooBig.
MAX_ACTIVITY_BYTES = 100 * 1024
#: Room kept for what wraps the activity (a new thread's parameters, the connector's own fields).
_ENVELOPE_BYTES = 4 * 1024
#: Room for a message's text (UTF-16 bytes, JSON-escaped): the activity's other fields take the rest.
TEXT_ROOM = MAX_ACTIVITY_BYTES - _ENVELOPE_BYTES - 4 * 1024
#: Room for a card's question (it is there twice, as the TextBlock and the fallback text): the
#: rest of the card is for its inputs and options.
QUESTION_ROOM = 24 * 1024
#: How much of an answer the answered card repeats.
ANSWER_SHOWN = 300


def escape(text: str) -> str:
    """Plain text (people's answers, titles and names among it) shown as typed in a message:
    HTML and markdown characters escaped, so ``[x](https://...)``, ``**bold**`` or ``<a href>``
    someone typed is never posted as a link, emphasis or markup under the bot's name."""
    return card_text(html.escape(text, quote=False))


def card_text(text: str) -> str:
    """The same for a card's TextBlock, which takes markdown but no HTML: the markdown escaped
    and nothing else (an entity such as ``&amp;`` would show as it is written)."""
    return _HEADING.sub(r"\1\\#", _MARKUP.sub(r"\\\g<0>", text))


def markdown(text: str) -> str:
    """Plain text as Teams markdown: escaped (see :func:`escape`); one line break needs a blank line."""
    return escape(text).replace("\n", "\n\n")


def text_cost(text: str) -> int:
    """What ``text`` weighs in a message's activity: as Teams markdown, JSON-escaped, in UTF-16."""
    return utf16_size(markdown(text)) - 4  # the quotes around a JSON string


def card_cost(text: str) -> int:
    """The same for a card's TextBlock."""
    return utf16_size(card_text(text)) - 4


def parts(reply: Reply) -> list[Reply]:
    """A reply too long for one activity (a summary of long answers, a busy channel's list) as
    parts that each fit, the files riding on the last; a question or an error stays one message
    (what it repeats is shortened, see :func:`reply_activity`)."""
    if reply.kind in ("prompt", "error"):
        return [reply]
    pieces = text_parts(reply.text)
    if len(pieces) == 1:
        return [reply]
    last = len(pieces) - 1
    return [replace(reply, text=p, attachments=reply.attachments if i == last else []) for i, p in enumerate(pieces)]


def text_parts(text: str) -> list[str]:
    """``text`` in parts that each fit a message (one part when it fits already)."""
    return long_text.split(text, TEXT_ROOM, text_cost)


def text_messages(
    bot: Mapping[str, Any], conversation_id: str, text: str, to: Actor | None = None
) -> list[dict[str, Any]]:
    """``text`` as the message activities the bot posts in ``conversation_id``: markdown, in the
    parts that each fit a message (a command's answer, said off the outbox); the first one
    @mentions ``to``, when given (what is said to one person where others read it)."""
    base: dict[str, Any] = {"type": "message", "from": dict(bot), "conversation": {"id": conversation_id}}
    said = [{**base, "text": markdown(part), "textFormat": "markdown"} for part in text_parts(text)]
    if to is not None:
        said[0].update(text=f"{mention_tag(to)} {said[0]['text']}", entities=[mention_entity(to)])
    return said


def utf16_size(payload: Any) -> int:
    """The size Teams holds an activity to: its JSON, as UTF-16."""
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-16-le"))


def reply_activity(
    reply: Reply,
    *,
    bot: Mapping[str, str],
    conversation: str,
    message_id: int,
    mention: bool = False,
    people: Sequence[Actor] = (),
) -> dict[str, Any]:
    """The activity for one queued reply: a card for a prompt expecting an answer, else text. A
    card Teams would refuse as too big (a long question, many long options) goes as text instead:
    the question with its options listed, answered by typing. A question too long for that too (it
    repeats a very long answer) keeps its card with the middle of what it repeats cut; what is
    still too long for one message is cut the same way (the question at its end is kept)."""
    activity: dict[str, Any] = {
        "type": "message",
        "from": {"id": bot.get("id", ""), "name": bot.get("name", "")},
        "conversation": {"id": conversation},
    }
    who = reply.to if mention and reply.to else None
    if reply.kind == "prompt" and reply.expects:
        for room in (None, QUESTION_ROOM):  # whole; then shortened, if not even text takes it whole
            card = prompt_card(reply, message_id, people, who, room)
            carded = {**activity, "attachments": [{"contentType": CARD_TYPE, "content": card}]}
            if utf16_size(carded) <= MAX_ACTIVITY_BYTES - _ENVELOPE_BYTES:
                return carded
            if text_cost(reply.text) <= TEXT_ROOM:
                break
    text = markdown(long_text.shorten(reply.text, TEXT_ROOM, text_cost, texts.teams_cut()))
    if who is not None:
        text = f"{mention_tag(who)} {text}"
        activity["entities"] = [mention_entity(who)]
    activity.update(text=text, textFormat="markdown")
    return activity


def prompt_card(
    reply: Reply, message_id: int, people: Sequence[Actor], who: Actor | None, room: int | None
) -> dict[str, Any]:
    """A prompt's card; with ``room``, its question cut to that (its middle, see long_text.shorten)."""
    expects = reply.expects or {}
    data = {"decisionbot": {"run": reply.run_id, "message": message_id}}
    asked = card_question(reply)
    if room is not None:
        asked = long_text.shorten(asked, room, card_cost, texts.teams_cut())
    question = f"{mention_tag(who, markup=False)} {card_text(asked)}" if who else card_text(asked)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": texts.teams_card_header(reply.run_id), "size": "Small", "isSubtle": True},
        {"type": "TextBlock", "text": question, "wrap": True},
        *answer_inputs(expects, people),
    ]
    actions = [{"type": "Action.Submit", "title": texts.teams_button_send(), "data": data}]
    for title, word in _shortcuts(expects):
        actions.append(
            {"type": "Action.Submit", "title": title, "data": {**data, "say": word}, "associatedInputs": "none"}
        )
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": "1.5",
        "fallbackText": asked,
        "body": body,
        "actions": actions,
    }
    if who is not None:
        card["msteams"] = {"entities": [mention_entity(who, markup=False)]}
    return card


def card_question(reply: Reply) -> str:
    """A prompt's text on its card: without the line listing a choice's options, which the card's
    input lists (each label once, so a card of many long options stays small)."""
    expects = reply.expects or {}
    options = expects.get("options") or []
    if expects.get("type") != "choice" or not options:
        return reply.text
    line = texts.options_line([str(o.get("label")) for o in options])
    return reply.text.replace(f"\n{line}", "", 1)


def answer_inputs(expects: Mapping[str, Any], people: Sequence[Actor]) -> list[dict[str, Any]]:
    """The input for an answer type: always ``id: answer``, validated again on the server."""
    kind = expects.get("type")
    base = {"id": "answer", "label": texts.teams_input_label(), "isRequired": not expects.get("optional")}
    base["errorMessage"] = texts.expected(str(kind or "text"))
    if kind in ("choice", "yes_no"):
        options = expects.get("options") or []
        choices = (
            [{"title": str(o["label"]), "value": str(o["value"])} for o in options]
            if kind == "choice"
            else [{"title": texts.teams_yes(), "value": "yes"}, {"title": texts.teams_no(), "value": "no"}]
        )
        style = "expanded" if len(choices) <= 5 else "compact"
        return [{"type": "Input.ChoiceSet", **base, "style": style, "choices": choices}]
    if kind == "date":
        date: dict[str, Any] = {"type": "Input.Date", **base}
        if expects.get("not_before"):
            date["min"] = expects["not_before"]
        if expects.get("not_after"):
            date["max"] = expects["not_after"]
        return [date]
    if kind == "number":
        number: dict[str, Any] = {"type": "Input.Number", **base}
        number.update({k: expects[k] for k in ("min", "max") if expects.get(k) is not None})
        return [number]
    if kind == "person":
        picker = {
            "type": "Input.ChoiceSet",
            **base,
            "style": "filtered",
            "choices": [{"title": p.name, "value": p.platform_id} for p in people],
            "choices.data": {"type": "Data.Query", "dataset": PEOPLE_DATASET},
        }
        return [picker, {"type": "TextBlock", "text": texts.teams_person_hint(), "isSubtle": True, "wrap": True}]
    return [{"type": "Input.Text", **base, "isMultiline": True}]


def _shortcuts(expects: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    if expects.get("done_words"):
        out.append((texts.teams_button_done(), "done"))
    if expects.get("default") is not None:
        out.append((texts.teams_button_default(str(expects["default"])), "ok"))
    if expects.get("optional"):
        out.append((texts.teams_button_skip(), "skip"))
    return out


def answered_card(card: Mapping[str, Any], by: str, answer: str) -> dict[str, Any]:
    """The prompt's card once answered: its header and question, the answer (its start, when
    long: the whole is in the ledger), no inputs left."""
    if len(answer) > ANSWER_SHOWN:
        answer = answer[: ANSWER_SHOWN - 3] + "..."
    return closed_card(card, texts.teams_answered(card_text(by), card_text(answer)))


def closed_card(card: Mapping[str, Any], shown: str) -> dict[str, Any]:
    """The prompt's card closed: its header and question, then ``shown`` (card markup: its
    answer, or why it closed unanswered), no inputs left."""
    kept = [b for b in card.get("body", []) if b.get("type") == "TextBlock" and "id" not in b][:2]
    kept.append({"type": "TextBlock", "text": shown, "wrap": True, "weight": "Bolder"})
    return {**card, "body": kept, "actions": []}  # the kept blocks are shared, never changed


def answer_display(value: Any, expects: Mapping[str, Any] | None, typed: str) -> str:
    """An accepted answer as people read it on the updated card."""
    if isinstance(value, bool):
        return texts.teams_yes() if value else texts.teams_no()
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("id") or typed)
    for option in (expects or {}).get("options") or []:
        if option.get("value") == value:
            return str(option.get("label"))
    if value is None:
        return typed
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
