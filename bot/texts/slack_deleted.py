"""What the Slack channel says when a message of an open run is deleted in Slack: the run's thread
gone with its root (the new thread's first message), and a question's message gone (the words
before the question asked again); when its facilitator moves it to another channel (``/decision
move RUN #channel``: the new thread's first message, the note left in the old one, what is told of
words typed there after, the command's answers and refusals); the log lines of these."""

from __future__ import annotations


def slack_thread_moved(run_id: int, flow_title: str, title: str, asks: bool) -> str:
    """The root of a run's new thread in the same channel, its first thread deleted (``asks``: the
    questions still waiting there follow, asked again). Slack does not say who deleted it."""
    about = f": {title}" if title and title != flow_title else ""
    said = (
        f"*{flow_title}*{about} (run #{run_id}) goes on in this thread: its first thread was deleted."
        " The answers given there are kept."
    )
    if asks:
        return f"{said} What it still waits for is asked again below."
    return f"{said} Its next messages follow here."


def slack_question_deleted() -> str:
    """Before a question asked again in its thread, its first message deleted."""
    return "Asked again (its message was deleted):"


def slack_thread_moved_log(run_id: int, channel: str, old: str) -> str:
    """Log line: a run's thread root deleted in Slack; the run moved to a new thread."""
    return (
        f"slack: run #{run_id}: its thread {channel}/{old} was deleted in Slack;"
        " it goes on in a new thread of the channel, its waiting questions asked again there"
    )


def slack_question_deleted_log(run_id: int, channel: str, ts: str, who: str) -> str:
    """Log line: the message of a question an open run waits on deleted in Slack; asked again."""
    return f"slack: run #{run_id}: its question to {who} ({channel}/{ts}) was deleted in Slack; asked again"


def slack_thread_gone_retry() -> str:
    """Why a reply refused in a deleted thread is tried again at once: its run lives elsewhere now."""
    return "its thread was deleted: posted again where its run lives now"


# --- /decision move RUN #channel -------------------------------------------------------------------


def _goes_on(said: str, asks: bool) -> str:
    if asks:
        return f"{said} What it still waits for is asked again below."
    return f"{said} Its next messages follow here."


def slack_run_moved(run_id: int, flow_title: str, title: str, old: str, by: str, asks: bool) -> str:
    """The root of a run's new thread in the channel its facilitator moved it to (``old``: the channel
    it lived in, as ``#name``; ``by``: who moved it; ``asks``: the questions still waiting in the old
    thread follow, asked again)."""
    about = f": {title}" if title and title != flow_title else ""
    said = (
        f"*{flow_title}*{about} (run #{run_id}) goes on in this thread, moved from {old} by @{by}."
        " The answers given there are kept."
    )
    return _goes_on(said, asks)


def slack_run_moved_back(run_id: int, by: str, asks: bool) -> str:
    """In a run's thread, when ``by`` moved it straight back there before its move's root was out."""
    return _goes_on(f"Run #{run_id} goes on in this thread: @{by} moved it back before it left.", asks)


def slack_run_moved_back_told(run_id: int, channel: str) -> str:
    """The answer to ``move RUN #channel`` naming the channel whose thread the run was just moved from."""
    return f"Run #{run_id} goes on in its thread in {channel}: it was moved back before it left it."


def slack_run_moved_note(run_id: int, new: str, by: str) -> str:
    """Left in a run's old thread when it moves to another channel (``new``: ``#name``)."""
    return f"Run #{run_id} goes on in a new thread in {new}, moved there by @{by}: what is typed here no longer reaches it."


def slack_typed_behind(run_id: int, where: str, link: str | None) -> str:
    """To whoever types in a thread its open run moved away from (mrkdwn: ``where``, the new
    channel's link; ``link``, the new thread's, when Slack gives it): kept, not taken."""
    there = f"<{link}|answer there>" if link else "answer there"
    return (
        f"Run #{run_id} goes on in a new thread in {where}: what is typed here no longer reaches it."
        f" Your message is kept but not taken: {there}."
    )


def slack_run_moved_told(run_id: int, new: str) -> str:
    """The answer to ``move RUN #channel`` carried out."""
    return (
        f"Run #{run_id} moves to {new}: its new thread starts there, and what waits in its thread is asked again"
        " under it (questions asked by direct message stay there)."
    )


def slack_move_usage() -> str:
    """``move`` without a run's number, or without a channel named as Slack names it."""
    return (
        "Say which run and where: move RUN #channel (RUN: its number, from 'list'; the channel picked from"
        " what Slack suggests as you type #)."
    )


def slack_move_slack_only() -> str:
    """``move`` typed on another platform than Slack (Teams, the terminal, Rasa)."""
    return "Moving a run to another channel works in Slack only, for now: type /decision move RUN #channel there."


def slack_move_not_slack(run_id: int) -> str:
    return f"Run #{run_id} does not live in Slack: only a Slack run's thread can be moved."


def slack_move_ended(run_id: int, status: str) -> str:
    return f"Run #{run_id} has ended ({status}): there is nothing to move. 'status {run_id}' shows its record."


def slack_move_same(run_id: int, channel: str) -> str:
    return f"Run #{run_id} already lives in {channel}. To move it, name another channel: move {run_id} #channel."


def slack_move_closed(run_id: int, channel: str, plain: str, remedy: str | None) -> str:
    """The channel named refuses the bot's posts (``conversations.info``): ``plain`` why, ``remedy``
    what lets the bot post there (None: inviting it)."""
    fix = remedy or "Invite the bot there (/invite @decisionbot)"
    return f"Run #{run_id} was not moved: the bot cannot post in {channel} ({plain}). {fix}, then move it again."


def slack_move_other_team(run_id: int, channel: str) -> str:
    return (
        f"Run #{run_id} was not moved: {channel} is a channel of another workspace, where the run's people may not"
        " be. Name a channel of this workspace."
    )


def slack_move_unchecked(run_id: int, channel: str, reason: str) -> str:
    """Slack could not say whether the bot may post in the channel named (out of reach, its rate limit)."""
    return f"Run #{run_id} was not moved: Slack did not say whether the bot can post in {channel} ({reason}). Try again in a moment."


def slack_requeued() -> str:
    """``messages.last_error`` of a reply still queued for a run's old thread when it moved: queued again there."""
    return "its run moved to a new thread before it went out: queued again there"


def slack_root_replaced() -> str:
    """``messages.last_error`` of the root (and the note in the old thread) a move queued, not out
    yet when the run was moved on again: the next move's replace them."""
    return "its run moved on before this went out: the next move's root and note replace it"


def slack_run_moved_log(run_id: int, old: str, new: str, by: str) -> str:
    """Log line: a run moved to another channel by ``/decision move``."""
    return f"slack: run #{run_id} moved from {old} to {new} by {by}; its waiting questions asked again there"


def slack_prompt_moved_away(run_id: int, where: str, link: str | None = None) -> str:
    """Under a question left in a run's old thread when it moved (mrkdwn: ``where``, the new
    channel's link; ``link``, the new thread's, once its root is out), its widgets taken away: it
    is asked again in the new thread."""
    there = f"<{link}|answered there>" if link else "answered there"
    return f"Run #{run_id} goes on in a new thread in {where}: this question is asked again there, to be {there}."


def slack_prompt_asked_again_below(run_id: int) -> str:
    """Under a question left in a run's thread by a move, the run moved straight back before it
    left: its widgets stay away, the question being asked again below, where it is answered."""
    return f"Run #{run_id} goes on in this thread: this question is asked again below."


def slack_goes_on_there(where: str, link: str | None) -> str:
    """After a command's answer typed in a thread its run moved away from (mrkdwn: ``where``, the
    new channel's link; ``link``, the new thread's, when Slack gives it)."""
    there = f"<{link}|answer there>" if link else "answer there"
    return f"It goes on in a new thread in {where}: {there}."


def slack_prompt_moved(run_id: int, where: str, link: str | None) -> str:
    """To whoever uses a widget of a question left in a run's old thread (mrkdwn: ``where``, the new
    channel's link; ``link``, the new thread's, when known): not taken there."""
    there = f"<{link}|answer it there>" if link else "answer it there"
    return f"This question moved with run #{run_id} to a new thread in {where}: {there}."
