"""Translators for the Rasa channel: an action call's tracker to neutral types, queued replies to
Rasa responses, and the small ledger reads the Rasa actions answer with.

Rasa has no push: the bot's replies wait in the outbox until the person they are for calls an
action, and are handed over as that action's responses (see ``bot.channels.rasa``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot import control, texts
from bot.channels import long_text
from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.engine.people import SLACK_MENTION
from bot.model import Actor, ConversationKey, Reply, placeholder_facilitator
from bot.outbox import QUEUED_COLUMNS, Queued, queued_from_row
from bot.outbox_rows import mark_withdrawn
from bot.store import ledger, placing, runs
from bot.triggers import PERSON_ID_MAX, bad_person

CHANNEL = "rasa"
#: ``@id``: a sender id behind Rasa may hold any character but spaces and markup (``@29:1abc``,
#: ``@whatsapp:+1415...``, ``@bob/x``, ``@o'neil``): the whole word, less a closing ``.,;:!?``
#: (``@bob/x`` was read as ``@bob``, another person).
_MENTION = re.compile(r"(?<![^\s,;])@([^\s,;<>|&`]+)")
#: What closes a sentence or an aside after an ``@id`` ("(owner @carol), due friday"), not part of it.
_CLOSING = ".,;:!?)]}\"'…"
#: A Teams mention, as Rasa's Bot Framework connector passes the text on: <at>Bob Smith</at>.
_TEAMS_PERSON = re.compile(r"<at>([^<]+)</at>")


class BadCall(ValueError):
    """An action call Rasa would not send: the problem, said so that a developer can fix it."""


# --- the action call -------------------------------------------------------------------------


def call_problem(call: Any, *, needs_text: bool) -> str | None:
    """What is wrong with an action call's body, or None. Checked before rasa-sdk reads it."""
    if not isinstance(call, Mapping):
        return "the body must be a JSON object with next_action, tracker and domain"
    if not isinstance(call.get("next_action"), str) or not call["next_action"]:
        return "next_action is missing"
    if not isinstance(call.get("tracker"), Mapping):
        return "tracker is missing"
    if call.get("domain") is not None and not isinstance(call["domain"], Mapping):
        return "domain must be an object"
    if "version" in call and not isinstance(call["version"], str):  # rasa-sdk splits it: a 500
        return "version must be a string"
    return tracker_problem(call["tracker"], needs_text=needs_text)


def slot_text(value: Any) -> str:
    """A slot value as typed text: entity extractors may give a list; the first item counts."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def action_named(body: bytes) -> str | None:
    """The action a body refused by :mod:`bot.inbound_json` calls, when Python's own parser reads
    it (NaN, a lone surrogate): its 400 names it."""
    try:
        call = json.loads(body)
    except (ValueError, RecursionError):
        return None
    name = call.get("next_action") if isinstance(call, dict) else None
    return name if isinstance(name, str) else None


def _unstorable(text: str) -> bool:
    """Text SQLite cannot take: a lone surrogate (from an unpaired \\ud800 escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def tracker_problem(tracker: Mapping[str, Any], *, needs_text: bool) -> str | None:
    sender = tracker.get("sender_id")
    if not isinstance(sender, str) or not sender.strip():
        return "tracker.sender_id is missing"
    if any(ch.isspace() for ch in sender):
        return "tracker.sender_id must not contain spaces"
    if bad_person([sender]) is not None:  # whole, not split at commas: named so in every table and report
        return texts.rasa_sender_not_an_id(sender, PERSON_ID_MAX)
    for key, kind, name in (("slots", Mapping, "an object"), ("events", list, "a list")):
        if key in tracker and not isinstance(tracker[key], kind):  # null too: the form's validation reads them
            return f"tracker.{key} must be {name}"
    if any(not isinstance(e, Mapping) or "event" not in e for e in tracker.get("events") or []):
        return "every item of tracker.events must be an object with an 'event' key"
    if any(e["event"] == "slot" and not ("name" in e and "value" in e) for e in tracker.get("events") or []):
        return "every slot event of tracker.events needs a 'name' and a 'value'"
    latest = tracker.get("latest_message")
    if "latest_message" in tracker and not isinstance(latest, Mapping):  # null too: rasa-sdk reads it
        return "tracker.latest_message must be an object"
    text = (latest or {}).get("text")
    if needs_text and not isinstance(text, str):
        return "tracker.latest_message.text is missing (this action answers the latest user message)"
    if _unstorable(sender) or (isinstance(text, str) and _unstorable(text)):
        return "tracker.sender_id or latest_message.text holds a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return None


def actor_of(sender_id: str, slots: Mapping[str, Any]) -> Actor:
    """The sender, named by ``decision_user_name``; without it, as the sender's own
    ``decision_participants`` names them (a facilitator who lists everyone, themselves too);
    else by their sender id."""
    name = slots.get("decision_user_name")
    if isinstance(name, str) and name.strip():
        return Actor(f"{CHANNEL}:{sender_id}", one_line(name))
    try:
        listed = participants(slots.get("decision_participants"))
    except BadCall:  # refused, with what is wrong, by the action that reads the participants
        listed = []
    return next((p for p in listed if p.id == f"{CHANNEL}:{sender_id}"), Actor(f"{CHANNEL}:{sender_id}", sender_id))


#: The longest name a slot gives a person: a display name, not a paragraph.
NAME_MAX = 100


def one_line(text: str) -> str:
    """A name a slot gives, as one line of at most :data:`NAME_MAX` characters: a line break in
    ``decision_user_name`` forged lines of ``runs show`` ("Eve\n  07:29 bot -> everyone: ...")."""
    return " ".join(text.split())[:NAME_MAX]


def conversation_of(sender_id: str) -> ConversationKey:
    """One conversation per sender; '/' would read as a thread in the key, so it is escaped."""
    return ConversationKey(CHANNEL, sender_id.replace("%", "%25").replace("/", "%2F"))


def _sender(text: str) -> tuple[str, str | None]:
    """A sender id as written, and its label: ``<@U0BOB|bob>`` (Slack's markup, which Rasa's Slack
    connector passes on) is ``U0BOB`` labelled ``bob``; ``@bob`` and ``bob`` are ``bob``."""
    text = text.strip()
    slack = SLACK_MENTION.fullmatch(text)
    if slack:
        return slack[1], (slack[2] or "").strip() or None
    return text.removeprefix("@"), None


def participants(value: Any) -> list[Actor]:
    """Slot ``decision_participants``: a list or a comma-separated string of sender ids (``bob``,
    ``@bob``, Slack's ``<@U0BOB>``), or a list of ``{"id", "name"}`` objects. Raises BadCall naming
    an entry that is not an id, or saying what is expected of a value of another shape."""
    if value is not None and not isinstance(value, str | list | tuple):
        raise BadCall(texts.rasa_participants_not_a_list(value))
    entries = value.split(",") if isinstance(value, str) else list(value or [])
    found: dict[str, Actor] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and not entry.get("id"):
            raise BadCall(texts.rasa_participant_without_id())
        given = entry.get("id") if isinstance(entry, Mapping) else entry
        if not isinstance(given, str | int) or isinstance(given, bool):  # null was a person "None"
            raise BadCall(texts.rasa_bad_participant_value(given))
        if isinstance(entry, Mapping):
            sender, label = _sender(str(entry["id"]))
            name = one_line(str(entry.get("name") or label or sender))
        else:
            sender, label = _sender(str(entry))
            name = label or sender
        if not sender:
            continue
        if bad_person(sender) is not None:  # a control character, markup, longer than any platform's id
            raise BadCall(texts.rasa_participant_not_an_id(sender, PERSON_ID_MAX))
        if any(ch.isspace() for ch in sender):
            raise BadCall(texts.rasa_bad_participant(sender))
        found.setdefault(sender, Actor(f"{CHANNEL}:{sender}", name))
    return list(found.values())


def mentions(text: str, known: list[Actor]) -> dict[str, Actor]:
    """The people ``text`` names, by the token naming them. ``@id``, and Slack's ``<@ID>`` or
    ``<@ID|label>`` (Rasa's Slack connector passes the text on as Slack wrote it, and its sender ids
    are Slack's user ids): a known participant with that sender id, else the sender id itself.
    Teams' ``<at>Name</at>`` (Rasa's Bot Framework connector): the one known participant of that
    name; no one else, a name being no sender id."""
    by_id = {a.platform_id.casefold(): a for a in known}
    out: dict[str, Actor] = {}
    for handle in _MENTION.findall(text):
        handle = _known_start(handle.rstrip(_CLOSING), by_id)
        out[f"@{handle}"] = by_id.get(handle.casefold()) or Actor(f"{CHANNEL}:{handle}", handle)
    for token in SLACK_MENTION.finditer(text):
        sender, label = _sender(token[0])
        out[token[0]] = by_id.get(sender.casefold()) or Actor(f"{CHANNEL}:{sender}", label or sender)
    for token in _TEAMS_PERSON.finditer(text):
        named = {a.id: a for a in known if a.name.casefold() == token[1].strip().casefold()}
        if len(named) == 1:
            out[token[0]] = next(iter(named.values()))
    return out


def _known_start(handle: str, by_id: Mapping[str, Actor]) -> str:
    """``handle``, less a possessive ("@bob's team") when it is a participant's id without it and
    not with it: the rest of a word is the id's (``@bob_smith``, ``@bob/x``: never ``@bob``)."""
    if handle.casefold() in by_id:
        return handle
    for possessive in ("'s", "’s"):
        if handle.endswith(possessive) and handle[: -len(possessive)].casefold() in by_id:
            return handle[: -len(possessive)]
    return handle


# --- replies ---------------------------------------------------------------------------------


def buttons(expects: Mapping[str, Any] | None, run_id: int | None = None) -> list[dict[str, str]]:
    """Buttons for a question: a choice's options, or yes and no. Their payload is the answer after
    its run's number (``#12 yes``), as typed to answer one question of several: a press answers the
    question it was shown under, not the run open in the sender's conversation."""
    if not expects:
        return []
    tag = f"#{run_id} " if run_id is not None else ""
    if expects.get("type") == "choice":
        return [{"title": str(o["label"]), "payload": f"{tag}{o['value']}"} for o in expects.get("options") or []]
    if expects.get("type") == "yes_no":
        return [
            {"title": texts.rasa_button_yes(), "payload": f"{tag}yes"},
            {"title": texts.rasa_button_no(), "payload": f"{tag}no"},
        ]
    return []


#: The most characters one Rasa response carries. Rasa's connectors send each response as one
#: message and none splits a long one: Twilio (SMS, WhatsApp) refuses a body over 1,600 characters,
#: Facebook Messenger over 2,000, Telegram over 4,096; the person then reads nothing.
TEXT_ROOM = 1600


def parts(text: str) -> list[str]:
    """``text`` as the texts of responses that each fit :data:`TEXT_ROOM` (cut at line breaks, as
    Slack's and Teams' long replies are: :func:`bot.channels.long_text.split`)."""
    return long_text.split(text, TEXT_ROOM, len)


def responses(reply: Reply) -> list[dict[str, Any]]:
    """The keyword arguments of ``CollectingDispatcher.utter_message`` for one reply: a long one
    (a summary, a list) in :func:`parts`, its buttons on the last; a question or an error stays one
    response, its buttons answering it, the middle of what it quotes (a long answer) left out to
    fit, as on Slack and Teams. The run, step, kind and expectation go in a key of their
    own, ``decisionbot``: Rasa keeps a key it does not know in the bot utterance's metadata, which
    no channel shows, whereas ``custom`` (``json_message``) is sent to the person as a message of
    its own (raw JSON on text channels)."""
    meta = {"run": reply.run_id, "step": reply.step, "kind": reply.kind, "expects": reply.expects}
    if reply.kind in ("prompt", "error"):  # one message: the middle of what it quotes goes
        pieces = [long_text.shorten(reply.text, TEXT_ROOM, len, texts.rasa_cut())]
    else:
        pieces = parts(reply.text)
    last = len(pieces) - 1
    return [
        {"text": piece, "buttons": buttons(reply.expects, reply.run_id) if i == last else [], "decisionbot": meta}
        for i, piece in enumerate(pieces)
    ]


def with_question_buttons(db: Database, reply: Reply, actor_id: str) -> Reply:
    """A re-prompt (an error for ``actor_id`` in a run still asking them at its step) with what
    the question expects, so that it carries the question's buttons again (the question's own may be
    out of sight, or gone: quick replies last only while their message is the latest). Any other
    reply as it is."""
    if reply.kind != "error" or reply.expects is not None or reply.step is None:
        return reply
    asked = db.conn.execute(
        "SELECT expects FROM messages WHERE run_id = ? AND actor_id = ? AND step = ? AND kind = 'prompt'"
        " AND direction = 'out' ORDER BY id DESC LIMIT 1",
        (reply.run_id, actor_id, reply.step),
    ).fetchone()
    if asked is None or not asked[0] or not _still_asked(db, reply, (actor_id,)):
        return reply
    return replace(reply, expects=json.loads(asked[0]))


def pending_for(db: Database, actor: Actor, conversation: ConversationKey, now: datetime) -> list[Queued]:
    """Undelivered replies for this person: addressed to them, or to everyone in their conversation.
    A question no longer asked of them by the time they call (the run ended, or moved on: another's
    answer closed it, ``complete_when: any``) is withdrawn, not shown: their answer to it would be
    refused (typed anyway, they are told why it closed). A run an alert started in their
    conversation naming nobody asks its placeholder facilitator (``rasa:facilitator``): that
    question is theirs, the one person there, to take it (before, it was never shown, and their
    next message was read as its answer)."""
    anyone = placeholder_facilitator(CHANNEL).id
    rows = db.conn.execute(
        f"SELECT {QUEUED_COLUMNS} FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
        " AND failed_at IS NULL AND channel = ? AND (actor_id = ? OR (actor_id IS NULL OR actor_id = ?)"
        " AND conversation = ?) ORDER BY id",
        (CHANNEL, actor.id, anyone, str(conversation)),
    ).fetchall()
    queued = [queued_from_row(row) for row in rows]
    asked = (actor.id, anyone)
    gone = [q.id for q in queued if q.reply.kind == "prompt" and not _still_asked(db, q.reply, asked)]
    if gone:
        mark_withdrawn(db, gone, texts.rasa_question_withdrawn(), now)
    again = _asked_again(q for q in queued if q.id not in gone)
    if again:
        mark_withdrawn(db, again, texts.rasa_question_asked_again(), now)
    return [q for q in queued if q.id not in gone and q.id not in again]


def _asked_again(queued: Iterable[Queued]) -> list[int]:
    """The questions of ``queued`` a later one of the same run and step asks again (a reminder
    queued while its person had not called): only the latest is shown, not the question and its
    reminder back to back, each with its buttons."""
    prompts = [q for q in queued if q.reply.kind == "prompt" and q.reply.step is not None]
    return [
        q.id
        for i, q in enumerate(prompts)
        if any(
            later.reply.run_id == q.reply.run_id
            and later.reply.step == q.reply.step
            and later.reply.text.startswith(texts.reminder("").rstrip(": "))
            and later.reply.text.endswith(q.reply.text)
            for later in prompts[i + 1 :]
        )
    ]


def _still_asked(db: Database, reply: Reply, asked: tuple[str, ...]) -> bool:
    """Whether ``reply``'s question still waits on one of ``asked`` (the sender, and the placeholder
    of a run nobody has taken in their conversation)."""
    run = runs.load_run(db.conn, reply.run_id)
    if run is None or run.status not in ("active", "stalled"):
        return False
    confirm = run.context.confirm  # "cancel", said while the run waits on others: its yes/no is theirs
    if confirm and confirm.get("actor") == asked[0] and reply.text == texts.confirm_cancel():
        return True
    return any(p.asked and p.to["id"] in asked and p.step == reply.step for p in run.context.prompts)


# --- ledger reads ----------------------------------------------------------------------------


def already_seen(db: Database, message_id: str) -> bool:
    found = db.conn.execute(
        "SELECT 1 FROM deliveries WHERE platform = ? AND delivery_id = ?", (CHANNEL, message_id)
    ).fetchone()
    return found is not None


def open_runs(bot: Dispatcher, actor: Actor, conversation: ConversationKey) -> list[dict[str, object]]:
    """The open runs this person takes part in, as ``list`` gives them (each with what it waits
    for): those they may ask ``status N`` of, as on every channel (they lead it, it names them, it
    asks or asked them, they answered in it, or it lives in their conversation). A Rasa sender has
    no channel where a run of others lives, so this is their ``list``."""
    conn = bot.db.conn
    return control.open_runs(
        bot, CHANNEL, only=lambda run_id: control.may_see(conn, run_id, actor, conversation), reader=actor.id
    )


def leads_decision(db: Database, decision_id: Any, actor_id: str) -> bool:
    """Whether ``actor_id`` led decision ``decision_id`` (the facilitator of the run that recorded
    it: whom its review asks whether it held, who may change its actions in their owners' place)."""
    try:
        number = int(decision_id)
    except (TypeError, ValueError):
        return False
    found = ledger.decision_context(db.conn, number) if -(2**63) <= number < 2**63 else None
    return found is not None and (found.get("facilitator") or {}).get("id") == actor_id


def named_closed(db: Database, run_id: int, actor_id: str) -> str | None:
    """What became of the question run ``run_id`` asked ``actor_id`` last, for their ``#N yes``
    (a button's payload) that run ``run_id`` no longer takes: another answered first, the run
    ended before they answered, or it has their answer already. None when it never asked them,
    or they cancelled it themselves (the answer then says the run does not wait on them)."""
    run = runs.load_run(db.conn, run_id)
    if run is None:
        return None
    if run.status in ("active", "stalled") and (note := run.context.late_note(actor_id)):
        return note
    asked = placing.latest_asked(db.conn, run_id, actor_id)
    return None if asked is None else placing.question_fate(db.conn, run, actor_id, asked, since="")


def where_it_stands(bot: Dispatcher, actor: Actor, conversation: ConversationKey, run_id: int) -> str:
    """The run's status in words, as ``status N`` says it to ``actor`` (whom it waits for)."""
    return run_command(bot, actor, conversation, f"status {run_id}").text
