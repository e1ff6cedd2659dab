"""Telling a run's facilitator that one of its replies was given up (never delivered), so the run
does not stall unnoticed: a question to an owner the bot cannot message, the bot removed from the
run's channel, a message the platform refuses.

The outbox asks :func:`plan` when it gives a reply up, and queues what it returns, in the same
write as the mark (:func:`write`). Where the notice goes:

- a reply that went elsewhere than the run's conversation (a direct message, a personal chat), or
  one the person's direct messages refuse: a notice to the facilitator in the run's conversation,
  saying who was not reached, why, and what they can do (the person answers there, another owner,
  ``cancel``);
- a reply the run's own conversation refused (the bot removed, the channel archived or gone): a
  notice to the facilitator directly, when the channel can reach them so
  (``Channel.reaches_directly``); else only the log says so;
- a message refused itself in the run's conversation, which still takes the bot's messages (its
  layout, its size, a day of refusals for now, a defect): a notice to the facilitator there,
  saying the message was refused and why.

A run that has ended (completed) gets no advice that would not work any more: nothing to answer,
no "goes on", no ``cancel``. News for a person who left (their account deactivated) that asks
them nothing is only logged: nobody waits on it; so is what the bot tells someone alone whom the
run asks nothing (a bystander typing in its thread: ``This question is for Alice``).

Never a loop, never a flood: a notice given up is only logged (no notice about a notice), and a
run's facilitator is told at most once an hour about each target that fails (a person, the run's
conversation, or the messages refused in it), however many of its replies fail meanwhile; the run's
end refused by its conversation (its summary) is a target of its own, so a facilitator who answered
the question she was told of where the notice was learns that the run ended, and where to see it.
Across runs, a person (a facilitator a route names, a route's backup) is told at most once an hour
that one channel refuses the bot for one reason (an alert storm, a run each: the fix is the same;
each other run's question for the facilitator still reaches her, in a line, as ``again`` does);
another channel, another reason, or the hour past is told again, and each run's reply given up
stays marked failed with its error in the ledger. Notices are outbound messages of kind
``notice``; what they are about is in their ``payload`` (``{"notice": {"about", "message"}}``, and
``"refused"``: the channel and why, for a conversation refusing the bot).
All of it is neutral: the channels say what was refused and why, in :class:`DeliveryFailed`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot import texts
from bot.channels import DeliveryFailed
from bot.engine.timers import backup_of
from bot.model import Actor, Reply, is_placeholder
from bot.store import iso, runs

#: The kind of a notice in ``messages``.
NOTICE = "notice"
#: A facilitator hears about one failing target (a person, the run's conversation) once per this.
NOTICE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Notice:
    message_id: int  # the reply given up
    about: str  # what failed: the person not reached (an actor id) or "conversation <key>"
    facilitator: Actor
    reply: Reply | None  # None: the facilitator cannot be told (only the log says so)
    again: Reply | None = None  # what is told instead when told lately about the same target
    backup: bool = False  # ``facilitator`` is the run's backup (its facilitator cannot be told)
    where: str = ""  # the run's conversation, for the log
    why: str = ""  # why the conversation refused it, for the log
    remedy: str | None = None  # what lets the bot post there again ("": nothing; None: adding it back)
    going: bool = True  # the run is still open (else no fix nor 'cancel' is said, only the log's facts)
    refused: str = ""  # a conversation refusing the bot, and why: its recipient hears of it once, across runs


def plan(
    conn: sqlite3.Connection,
    message_id: int,
    reply: Reply,
    error: str,
    failure: DeliveryFailed | None,
    reaches_directly: Callable[[Actor], bool],
    plain: str | None = None,
) -> Notice | None:
    """The notice to queue for reply ``message_id`` given up with ``error``; None when there is
    nobody to tell (a notice itself, a run gone or cancelled). ``plain``: the reason in plain
    words when ``failure`` carries none."""
    if reply.kind == NOTICE:
        return None
    run = runs.load_run(conn, reply.run_id)
    if run is None or run.status == "cancelled":
        return None
    if reply.kind == "error" and reply.private and reply.to is not None and run.context.prompt_for(reply.to.id) is None:
        return None  # told alone that their message answers nothing ('This question is for ...'): nobody waits on it
    fac = run.context.facilitator
    where = failure.where if failure is not None else None
    why = (failure.plain if failure is not None else None) or plain or texts.delivery_reason_unknown(error)
    excerpt = texts.notice_excerpt(reply.text)
    going = run.status in ("active", "stalled")  # else (completed): nothing to answer, nothing goes on
    question = reply.kind == "prompt" and going
    elsewhere = reply.private or reply.conversation.conversation != run.conversation.conversation
    here = f"conversation {run.conversation}"
    if where == "conversation":  # the run's conversation refuses the bot: tell the facilitator directly
        remedy = failure.remedy if failure is not None else None
        title = str(run.context.trigger.get("title") or run.flow_id)
        quoted = texts.notice_question(reply.text) if question else excerpt
        channel = f"{run.conversation.channel}:{run.conversation.conversation}"  # not its thread's ts
        code = (failure.code if failure is not None else None) or why
        refused = f"{'conversation' if going else 'end of conversation'} {channel} ({code})"
        if not reaches_directly(fac):  # nobody has taken the run (an alert's), or not by direct message
            backup = backup_of(run.context.trigger.get("escalate_to"))
            if backup is None or not reaches_directly(backup):
                where_run = str(run.conversation)
                return Notice(message_id, here, fac, None, where=where_run, why=why, remedy=remedy, going=going)
            taken = not is_placeholder(fac.id)
            text = texts.notice_conversation_refused_backup(
                run.id, title, str(run.conversation), why, quoted, going, remedy, fac.name if taken else None
            )
            about = here if going else f"end of {here}"
            told = Reply(run.id, run.conversation, text, to=backup, kind=NOTICE, private=True)
            return Notice(message_id, about, backup, told, backup=True, refused=refused)
        asks = ("you" if reply.to is not None and reply.to.id == fac.id else "them") if question else ""
        text = texts.notice_conversation_refused(run.id, title, why, quoted, going, remedy, asks, channel)
        about = here if going else f"end of {here}"  # its end is told even just after a question was
        told = Reply(run.id, run.conversation, text, to=fac, kind=NOTICE, private=True)
        # she answers where she is told: each next question of hers follows her there, in a line
        follows = asks == "you" and remedy != ""
        again = replace(told, text=texts.notice_next_question(run.id, title, quoted)) if follows else None
        return Notice(message_id, about, fac, told, again, refused=refused)
    if reply.to is None:
        text = texts.notice_everyone(why, excerpt)
        about = here if elsewhere or where == "direct" else f"messages {run.conversation}"
    elif where == "direct" or elsewhere:  # their direct message or personal chat (or this message there)
        gone = failure is not None and failure.remedy == ""  # they left: nobody can answer in their place
        if gone and not question:  # news for someone who left ('your action is Carol's now'): only logged
            return None
        codes = review_codes(run.context.trigger, reply.to.id)
        said = None if reply.kind == "error" else excerpt  # (it answers, and may quote, what they wrote in private)
        text = texts.notice_unreached(reply.to.name, why, said, question, reply.to.id == fac.id, gone, codes)
        about = reply.to.id
    else:  # this message refused (its layout, its size, a day of refusals, a defect) where the bot still posts
        who = "" if reply.to.id == fac.id else reply.to.name
        text = texts.notice_message_refused(who, why, excerpt, question)
        about = f"messages {run.conversation}"
    notice = Reply(run.id, run.conversation, text, to=fac, step=reply.step, kind=NOTICE)
    return Notice(message_id, about, fac, notice)


def review_codes(trigger: dict[str, Any], person_id: str) -> tuple[str, ...]:
    """In a review (its trigger names a decision and brings its open actions), the codes of
    ``person_id``'s actions it asks about (``A12``: the action's id in the ledger); else none."""
    if not trigger.get("decision_id"):
        return ()
    actions = trigger.get("actions") or []
    return tuple(
        f"A{a['id']}" for a in actions if isinstance(a, dict) and (a.get("owner") or {}).get("id") == person_id
    )


def told_lately(conn: sqlite3.Connection, run_id: int, about: str, now: datetime) -> bool:
    """Whether the run's facilitator was told about ``about`` within NOTICE_EVERY."""
    row = conn.execute(
        "SELECT 1 FROM messages WHERE run_id = ? AND direction = 'out' AND kind = ? AND created_at > ?"
        " AND json_extract(payload, '$.notice.about') = ? LIMIT 1",
        (run_id, NOTICE, iso(now - NOTICE_EVERY), about),
    ).fetchone()
    return row is not None


def told_elsewhere_lately(conn: sqlite3.Connection, notice: Notice, now: datetime) -> bool:
    """Whether ``notice``'s recipient was told within NOTICE_EVERY, for any run, that the same
    conversation refuses the bot for the same reason (an alert storm's runs in one channel: the
    fix is the same, so one message, not one a run)."""
    assert notice.reply is not None and notice.reply.to is not None
    row = conn.execute(
        "SELECT 1 FROM messages WHERE direction = 'out' AND kind = ? AND actor_id = ? AND created_at > ?"
        " AND json_extract(payload, '$.notice.refused') = ? LIMIT 1",
        (NOTICE, notice.reply.to.id, iso(now - NOTICE_EVERY), notice.refused),
    ).fetchone()
    return row is not None


def write(conn: sqlite3.Connection, notice: Notice, now: datetime) -> int | None:
    """Queue ``notice`` (unless told lately about the same target: then only its ``again``, a
    question of the facilitator's that she would not see otherwise; only that too when its
    recipient was told lately, for another run, that the same conversation refuses the bot for the
    same reason); its message id, or None."""
    reply = notice.reply
    if reply is not None and told_lately(conn, reply.run_id, notice.about, now):
        reply = notice.again
    elif reply is not None and notice.refused and told_elsewhere_lately(conn, notice, now):
        reply = notice.again  # an alert storm, a run each: the fix told once per channel and reason; a
        # question of the facilitator's still reaches her, in a line (else she would not know it waits)
    if reply is None:
        return None
    told: dict[str, Any] = {"about": notice.about, "message": notice.message_id}
    if notice.refused:
        told["refused"] = notice.refused
    return runs.queue_replies(conn, [reply], iso(now), json.dumps({"notice": told}))[0]


def logged(channel: str, run_id: int, message_id: int, notice: Notice, queued: bool = True) -> str:
    """The log line of a notice queued for reply ``message_id`` (``queued`` False: not, as told
    within the hour), or of one nobody could be told."""
    role = "backup" if notice.backup else "facilitator"
    if not queued:
        return texts.notice_already_told(channel, run_id, message_id, notice.about, role, bool(notice.refused))
    if notice.reply is not None:
        return texts.notice_queued(channel, run_id, message_id, notice.facilitator.name, notice.reply.private, role)
    if is_placeholder(notice.facilitator.id):  # an alert's run nobody has taken, with no backup to tell
        return texts.notice_nowhere_untaken(
            channel, run_id, message_id, notice.where, notice.why, notice.remedy, notice.going
        )
    return texts.notice_nowhere(channel, run_id, message_id, notice.facilitator.name)
