"""What the facilitator of a run is told when one of its replies could not be delivered, and the
log lines about those notices (see bot.notices); the log line for replies this server does not send."""

from __future__ import annotations

from datetime import date

from bot.texts._common import _one_line, command

# --- notices of undelivered replies --------------------------------------------------------------


def notice_excerpt(text: str) -> str:
    """The undelivered reply as a notice quotes it: its first line, cut short."""
    first = (text.strip().splitlines() or [""])[0]
    return _one_line(first, 160)


def notice_unreached(
    who: str,
    plain: str,
    excerpt: str | None,
    question: bool,
    you: bool,
    gone: bool = False,
    codes: tuple[str, ...] = (),
) -> str:
    """To the facilitator, in the run's conversation: ``who`` was not reached (their direct
    message or personal chat refused, or the message itself). ``question``: what they missed asks
    them something; ``you``: the facilitator is the one not reached (by direct message); ``gone``:
    they left (their account deactivated), so they cannot answer here either; ``codes``: in a
    review, the codes of their actions it asks about (no answer of the run named them: an action
    is given to someone else with ``give``); ``excerpt`` None: what they missed answered what they
    wrote in private, which is not quoted here (the run's conversation)."""
    if you:
        missed = f'"{excerpt}"' if excerpt is not None else "my answer to what you wrote to me"
        said = f"I could not send you a direct message: {plain}. You have not seen: {missed}."
        return said + (" You can answer here instead." if question else "")
    missed = f'"{excerpt}"' if excerpt is not None else "my answer to what they wrote to me"
    said = f"I could not reach {who}: {plain}. They have not seen: {missed}."
    if not question:
        return said
    give = (
        f"give their action to someone else ('give {codes[0]} @someone': once they accept, this review asks them instead)"
        if codes
        else "give their part to someone else by correcting the answer that named them"
        " (for example 'change owner of action 1 to @someone')"
    )
    if gone:
        return f"{said} They cannot answer anywhere now. What you can do: {give}; or say 'cancel' to end the run."
    return f"{said} What you can do: {who} can answer here instead; or {give}; or say 'cancel' to end the run."


def notice_everyone(plain: str, excerpt: str) -> str:
    """To the facilitator, in the run's conversation: a message for everyone was refused."""
    return f'A message of this run could not be posted: {plain}. Nobody has seen: "{excerpt}".'


def notice_message_refused(who: str, plain: str, excerpt: str, question: bool) -> str:
    """To the facilitator, in the run's conversation (which still takes the bot's messages): one
    message there, to ``who`` (empty: to the facilitator), was refused itself. ``question``: it
    asks something of a run still going."""
    if not who:
        said = f'A message of this run to you was refused: {plain}. You have not seen: "{excerpt}".'
        return said + (" You can answer it here all the same." if question else "")
    said = f'A message of this run to {who} was refused: {plain}. They have not seen: "{excerpt}".'
    return said + (f" {who} can answer it here all the same." if question else "")


def notice_question(text: str) -> str:
    """An undelivered question as a notice quotes it: whole (its question may be on its last
    line), on one line, cut short."""
    return _one_line(text, 300)


def notice_conversation_refused(
    run_id: int,
    title: str,
    plain: str,
    excerpt: str,
    going: bool,
    remedy: str | None = None,
    question: str = "",
    where: str = "",
) -> str:
    """To the facilitator directly: the run's own conversation (``where``) refuses the bot. ``going``: the run
    is still active or stalled (else it has ended, and nothing more is posted there). ``remedy``:
    what lets the bot post there again, from the channel ("": nothing; None: adding the bot back).
    ``question``: what was refused asks something, of ``"you"`` (the facilitator, who may answer
    where this notice is) or ``"them"`` (the run waits for the answer nobody saw)."""
    seen = " its question" if question else ""
    named = f", {where}" if where else ""
    said = f"Run #{run_id} ('{title}') cannot post in its conversation{named}: {plain}. Nobody there has seen{seen}: \"{excerpt}\"."
    if not going:
        return f"{said} {_ended(run_id, remedy)}"
    if remedy == "":
        return f"{said} The run cannot go on there: end it with the bot's command 'cancel {run_id}'."
    fix = remedy or "Add the bot back to that conversation"
    if not question:
        return f"{said} {fix} and the run goes on with its next message; or end the run with the bot's command 'cancel {run_id}'."
    answer = " You can answer it here, in this chat." if question == "you" else " The run waits for that answer."
    return (
        f"{said}{answer} {fix} and the run goes on there (its next reminder asks again);"
        f" or end the run with the bot's command 'cancel {run_id}'."
    )


def notice_conversation_refused_backup(
    run_id: int,
    title: str,
    where: str,
    plain: str,
    excerpt: str,
    going: bool,
    remedy: str | None,
    facilitator: str | None,
) -> str:
    """To the run's backup directly (the route's or the alert's): the run's own conversation
    refuses the bot, and its facilitator cannot be told so (``facilitator`` None: nobody has taken
    the run yet, as an alert's that names nobody)."""
    said = f"Run #{run_id} ('{title}') cannot post in its conversation, {where}: {plain}."
    said += f' Nobody there has seen{" its question" if going else ""}: "{excerpt}".'
    who = (
        "which nobody has taken yet"
        if facilitator is None
        else f"whose facilitator, {facilitator}, cannot be told directly"
    )
    said += f" You are told as the backup of this alert's run, {who}."
    if not going:
        return f"{said} {_ended(None, remedy)}"
    if remedy == "":
        return f"{said} The run cannot go on there: the bot's operator can end it ({command()} runs cancel {run_id})."
    return f"{said} {remedy or 'Add the bot back to that conversation'} and the run goes on there {_asks_again()}."


def _ended(run_id: int | None, remedy: str | None) -> str:
    """What a refusal of an ended run's conversation leaves to do: nothing (no 'cancel', no fix);
    ``remedy`` "": nothing posts there again (a deleted thread), which the run no longer needs."""
    if remedy == "":
        shown = f" ('status {run_id}' shows it)" if run_id is not None else ""
        return (
            f"The run has ended and its record is kept{shown}: nothing needs doing; its news has nowhere to go there."
        )
    record = f"; 'status {run_id}' shows its record" if run_id is not None else ""
    return f"The run has ended, so nothing more is posted there{record}."


def _asks_again() -> str:
    return "(the alert's next notification, or the run's next reminder, asks again)"


def notice_next_question(run_id: int, title: str, question: str) -> str:
    """To the facilitator directly, told within the hour that the run's conversation refuses the
    bot and answering where this is: the run's next question for her, refused there too."""
    return (
        f"Run #{run_id} ('{title}') still cannot post in its conversation. Its next question, for you:"
        f' "{question}". Answer it here.'
    )


def delivery_reason_expired(reason: str) -> str:
    """Plain words for a reply refused for now, again and again, until the outbox gave it up."""
    return f"the platform kept refusing it for a day: {reason}"


def delivery_reason_defect() -> str:
    """Plain words for a reply whose delivery kept failing inside the bot."""
    return "the bot failed sending it; the server's log says why"


def delivery_reason_unknown(error: str) -> str:
    return f"the platform refused it: {error}"


def notice_queued(
    channel: str, run_id: int, message_id: int, facilitator: str, private: bool, role: str = "facilitator"
) -> str:
    where = "directly" if private else "in the run's conversation"
    return f"{channel}: run #{run_id}'s {role} {facilitator} is told {where} that reply {message_id} was given up"


def notice_nowhere_untaken(
    channel: str, run_id: int, message_id: int, where: str, plain: str, remedy: str | None, going: bool = True
) -> str:
    """The log, when a run nobody has taken yet (an alert's) cannot post in its conversation and
    names no backup to tell directly."""
    said = (
        f"{channel}: run #{run_id}'s own conversation, {where}, refused reply {message_id}: {plain}, and nobody"
        " has taken the run yet, nor does it name a backup to tell directly: only this log says so."
    )
    if not going:
        fix = f" {_ended(None, remedy)}"
    elif remedy == "":
        fix = f" The run cannot go on there: end it with {command()} runs cancel {run_id}."
    else:
        fix = f" {remedy or 'Add the bot back to that conversation'} and the run goes on there {_asks_again()}."
    return f"{said}{fix} See it with: {command()} runs show {run_id}"


def notice_already_told(
    channel: str, run_id: int, message_id: int, about: str, role: str = "facilitator", across: bool = False
) -> str:
    whose = f"its {role} (for this run or another)" if across else f"its {role}"
    return (
        f"{channel}: reply {message_id} of run #{run_id} given up; {whose} was told about {about}"
        " within the hour, so not again"
    )


def notice_nowhere(channel: str, run_id: int, message_id: int, facilitator: str) -> str:
    return (
        f"{channel}: run #{run_id}'s own conversation refused reply {message_id}, and its facilitator"
        f" {facilitator} cannot be reached directly on {channel}: only this log says so. See it with:"
        f" {command()} runs show {run_id}"
    )


def notice_not_noticed(channel: str, run_id: int, message_id: int) -> str:
    return (
        f"{channel}: reply {message_id}, run #{run_id}'s notice to its facilitator of an undelivered reply, was"
        " not delivered either; no notice is sent about a notice"
    )


def notice_failed(channel: str, run_id: int, message_id: int, problem: str) -> str:
    return f"{channel}: the notice about reply {message_id} of run #{run_id} could not be queued: {problem}"


def run_show_changed(deleted: bool) -> str:
    """In ``runs show``, for a message edited or deleted after it was sent (the row after it:
    the new text, or nothing); the run kept it as first sent."""
    return "(deleted their message)" if deleted else "(edited their message to)"


_REFUSED_WIDGET = {
    "not_theirs": "(clicked a question not theirs: not taken)",
    "answered": "(clicked a question already answered: not taken)",
    "closed": "(clicked a question closed: not taken)",
    "asked_since": "(clicked a question moved past: not taken)",
}


def run_show_refused(widget: str | None) -> str:
    """In ``runs show``, for a message the run did not take as an answer (``kind = 'refused'``):
    typed to a question not theirs, or a widget used where it answers nothing (``widget``: why)."""
    return _REFUSED_WIDGET.get(widget or "", "(not taken as an answer)")


def run_show_day(day: str) -> str:
    """In ``runs show``, before the first line of a day other than the one before (the run's
    start is in its header): ``day`` is the ledger's, UTC, as the times beside the lines."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"-- {names[date.fromisoformat(day).weekday()]} {day} (UTC) --"


def run_show_given_up(failed_at: str, error: str) -> str:
    """Under an undelivered reply in ``runs show``."""
    return f"^ NOT DELIVERED: given up {failed_at[:19]}, {error}"


def delivery_outage(channel: str, reason: str, since: str) -> str:
    return (
        f"{channel}: no reply delivered since {since}, each refused for now (last: {reason}). They wait in the"
        " outbox and are tried again with backoff, each for a day from its first refusal; check the"
        " platform's status and this host's network."
    )


def delivery_outage_health(since: str, reason: str) -> str:
    return f"no reply delivered since {since}, each refused for now (last: {reason}); they wait in the outbox"


def delivery_outage_over(channel: str, since: str) -> str:
    return f"{channel}: replies are delivered again (refused for now since {since}); those waiting go out."


# --- replies for a channel this server does not send -------------------------------------------


def channel_off_replies_wait(channel: str) -> str:
    if channel == "rasa":  # no server sends them: Rasa has no push
        return (
            "Replies for 'rasa' wait in the outbox for each Rasa sender's next call of a decisionbot action"
            f" ({command()} rasa-actions hands them over; no server sends them)."
        )
    later = (
        f"continue the run with: {command()} chat --run N"
        if channel == "console"
        else f"they go out once the channel is on (see {command()} serve --help)"
    )
    return f"Replies for '{channel}' wait in the outbox: that channel is not on in this server; {later}."


def digest_superseded() -> str:
    """``messages.last_error`` of an owner digest still unsent when the next one was queued."""
    return "superseded: a newer digest was queued before it was sent"


def superseded_by_end(status: str) -> str:
    """``messages.last_error`` of a reminder or escalation still queued when its run ended (of a question too, when cancelled)."""
    return f"superseded: the run was {status} before it was sent"
