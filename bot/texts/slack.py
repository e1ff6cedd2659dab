"""What the Slack channel says."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

# --- slack ---------------------------------------------------------------------------------------


def slack_yes_due_moved(yes: str, due: date) -> str:
    """An owner's yes that moved their action's due date, as its question's "answered by" line shows it."""
    return f"{yes}, due {slack_date_answered(due)}"


def slack_skipped() -> str:
    """What a question skipped shows in its "answered by" line."""
    return "skipped"


def slack_button_yes() -> str:
    return "Yes"


def slack_button_no() -> str:
    return "No"


def slack_button_skip() -> str:
    return "Skip"


def slack_button_done() -> str:
    return "Done, no more"


def slack_button_default(value: str) -> str:
    return f"Use the default ({value})"


def slack_pick_person() -> str:
    return "Pick a person"


def slack_pick_date() -> str:
    return "Pick a date"


def slack_pick_option() -> str:
    return "Pick one"


def slack_cut() -> str:
    """What stands where the middle of a message too long for one Slack section was left out."""
    return " … "


def slack_answered(by: str, answer: str) -> str:
    return f"Answered by {by}: {answer}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def slack_date_answered(day: date) -> str:
    """A date answer on its question's "Answered by" line: its weekday too, so a date typed in words
    on a phone ('next friday') or picked can be checked at a glance (``Fri 2026-12-04``)."""
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def slack_already_answered(by: str, answer: str) -> str:
    return f"This question was already answered by {by}: {answer}."


def slack_prompt_closed() -> str:
    return "This question is no longer open: the conversation has moved on. See the latest question."


def slack_prompt_handed_over(to: str) -> str:
    return f"This question was handed to {to}, who answers it now."


def slack_prompt_not_asked() -> str:
    return "This question is no longer asked of you: the conversation has moved on."


def slack_prompt_run_ended() -> str:
    return "This question is closed: the run has ended."


def slack_not_your_prompt(to: str) -> str:
    return f"This question is for {to}. You can follow the thread, but only they can answer it."


def slack_thread_has_run(run_id: int) -> str:
    return (
        f"This thread already belongs to run #{run_id}, so nothing was started. To start another run,"
        " use /decision start, or mention me in a new message in the channel."
    )


def slack_thread_taken(channel: str, thread_ts: str, run_id: int, held_by: int) -> str:
    return (
        f"Slack thread {channel} {thread_ts} already belongs to run #{held_by}; run #{run_id} cannot live"
        " in it too (its thread replies would never reach it)"
    )


def slack_run_root(facilitator: str, flow_title: str, title: str) -> str:
    about = f": {title}" if title else ""
    return f"{facilitator} started *{flow_title}*{about}. The questions and answers follow in this thread."


def slack_nothing_waiting() -> str:
    return "Nothing is waiting for your answer here. Try: /decision help"


def slack_not_in_channel() -> str:
    return "I can't post in this channel yet. Invite me first (/invite @decisionbot), then try again."


def slack_start_not_in_a_dm() -> str:
    return (
        "I can't start a run in a direct message between people (no app can be added there), so"
        " nothing was started. Start it in a channel I'm in, or in your direct message with me."
    )


def slack_root_not_posted(error: str, between_people: bool) -> str:
    """To the caller of a ``/decision start`` whose thread's root Slack refused (``between_people``:
    typed in a DM or a group DM, where no app can be invited)."""
    if error in _START_REFUSED_FOR_GOOD:  # the channel itself: trying again in a moment changes nothing
        return slack_start_refused_here(error)
    if error == slack_post_timed_out():  # Slack refused nothing: it was slow
        return slack_root_timed_out()
    if error not in ("not_in_channel", "channel_not_found"):
        return slack_post_failed(error)
    return slack_start_not_in_a_dm() if between_people else slack_not_in_channel()


#: Refusals of a ``/decision start``'s root that say the channel does not take the bot's posts.
_START_REFUSED_FOR_GOOD = ("is_archived", "restricted_action")


def slack_start_refused_here(error: str) -> str:
    return (
        f"Slack refused my message: {_SLACK_REFUSALS[error]} ({error}); nothing was started."
        f" {_SLACK_REMEDIES[error]}, or start it in another channel."
    )


def slack_root_rate_limited(channel: str, seconds: float) -> str:
    """Log line: a run's root, posted by ``/decision start``, waits out Slack's 429."""
    return (
        f"slack: Slack's rate limit holds back the root of a /decision start in {channel} for {seconds:g} s"
        " (about one message a second per channel); it is posted then"
    )


def slack_paced(channel: str) -> str:
    """Log line: a burst in one channel (many runs at once) is sent at Slack's pace."""
    return (
        f"slack: a burst of replies in {channel}: sent in order at Slack's pace of about one message a second"
        " per channel (said once a minute while it lasts)"
    )


def slack_call_rate_limited(method: str, where: str, seconds: float) -> str:
    """Log line: Slack answered 429 (its rate limit); what waits, and for how long."""
    return (
        f"slack: Slack's rate limit refused {method} ({where}) for now: the replies it holds back wait"
        f" {seconds:g} s (Retry-After), then go out in order; the other conversations go on"
        " (said once a minute while it lasts)"
    )


def slack_dm_opens_paced() -> str:
    """Log line: many direct messages to open at once (one question to many people)."""
    return (
        "slack: many direct messages to open at once: opened at Slack's pace of about 50 a minute"
        " (conversations.open), each question sent as its direct message opens; the other conversations"
        " go on (said once a minute while it lasts)"
    )


def slack_dm_opens_paced_reason() -> str:
    """Why a reply waits: its direct message is opened in its turn (the outbox's record)."""
    return "paced: about 50 direct messages opened a minute"


def slack_dm_not_kept(error: str) -> str:
    """Log line: the ledger would not keep (or forget) a direct message the bot opened (or Slack refused)."""
    return (
        f"slack: the ledger did not keep what Slack said of a direct message ({error}); this server"
        " knows it until it restarts"
    )


def slack_start_paced() -> str:
    """To the caller of a ``/decision start`` whose thread's root Slack would not take in time."""
    return (
        "Slack takes about one message a second in this channel, and others went first: the run's"
        " first question starts its thread in a moment."
    )


def slack_root_timed_out() -> str:
    """To the caller of a start whose thread's root Slack did not take within its time."""
    return (
        "Slack did not take the run's first message in time (Slack slow, or this channel's messages"
        " held back by its pace), so nothing was started. Please try again in a moment."
    )


def slack_name_not_kept(channel: str, problem: str) -> str:
    """Log line: a channel's name, learnt with the routes' check, the ledger did not take (held by
    another process, or refusing the write): the check goes on; the name is kept when next given."""
    return f"slack: the name of channel {channel} was not kept for analysts this time ({problem}); the routes' check goes on"


def slack_post_failed(error: str) -> str:
    return f"Slack refused my message ({error}); nothing was started. Please try again in a moment."


def slack_ledger_busy() -> str:
    return "The decision ledger is busy (another job is writing to it); nothing was done. Please try again in a moment."


def slack_command_ledger_busy(problem: str) -> str:
    return f"A slash command was told to try again, nothing stored: {problem}"


def slack_envelope_ledger_busy(envelope_id: str, problem: str) -> str:
    return f"Socket Mode envelope {envelope_id} left unacknowledged (Slack sends it again), nothing stored: {problem}"


def slack_post_timed_out() -> str:
    return "no answer in time"


def slack_refused_payload(reason: str) -> str:
    return f"Slack payload refused: {reason}."


def slack_person_unknown(user: str, error: str, known: bool = False) -> str:
    """users.info refused or failed: the person goes by their user id until it answers (asked again
    the next time they are seen); ``known``: looked up before, they keep what Slack said then."""
    kept = (
        "they keep the name and time zone Slack gave for them on an earlier lookup."
        if known
        else "they go by their user id, and the dates they type are read in DECISIONBOT_TIMEZONE."
    )
    said = f"Slack users.info failed for {user}: {error}. Until it answers, {kept}"
    if error == "missing_scope":
        return f"{said} The app lacks the users:read scope: add it (slack/manifest.yaml has it) and reinstall the app."
    return said


def slack_lookups_held(waiting: int, seconds: float) -> str:
    """Log line, once a minute at most: Slack answered users.info 429 (its rate limit, Tier 4)."""
    return (
        f"slack: people lookups held back by Slack's rate limit (users.info, about 100 a minute): {waiting}"
        f" waiting, looked up again now that its Retry-After has passed, at its pace (about {math.ceil(seconds)} s);"
        " until then they go by their user id (said once a minute while it lasts)"
    )


def slack_lookups_slow(waiting: int, seconds: float) -> str:
    """Log line, once a minute at most: Slack did not answer users.info in time (not a 429); it was
    asked nothing for ``seconds``."""
    return (
        f"slack: people lookups held back, Slack being slow to answer (users.info, no answer within 1 s):"
        f" {waiting} waiting, looked up again now in the background, one at a time, after a wait of"
        f" {math.ceil(seconds)} s that grows while Slack stays slow; until then they go by their user id"
        " (said once a minute while it lasts)"
    )


def slack_naming_crashed(channel: str, minutes: int) -> str:
    """Log line (with its traceback): naming a channel in the background (bot/channels/slack_naming.py)
    failed unexpectedly."""
    return f"slack: asking Slack the name of channel {channel} failed unexpectedly; asked again in {minutes} min"


def slack_lookup_crashed(user: str) -> str:
    """Log line (with its traceback): a lookup made again in the background failed unexpectedly."""
    return (
        f"slack: looking {user} up again failed unexpectedly; they go by their user id until they are next"
        " seen, and the others waiting are looked up all the same"
    )


def slack_people_not_named_in_runs(count: int, error: str) -> str:
    """Log line: people found after Slack's rate limit held their lookup back, not written into their runs."""
    return (
        f"slack: {count} people found after Slack's rate limit held their lookup back could not be named in"
        f" their open runs ({error}): those runs go by their user ids until they speak."
    )


def slack_rate_limited(minute: object) -> str:
    when = ""
    if isinstance(minute, int) and not isinstance(minute, bool):
        when = f" in the minute from {datetime.fromtimestamp(minute, UTC):%Y-%m-%d %H:%M} UTC"
    return (
        f"Slack did not deliver this app's events{when} (app_rate_limited: over 30,000 events an hour):"
        " answers typed then were not received; their runs wait for them again"
    )


def slack_posted_not_remembered(message_id: int, channel: str, ts: str) -> str:
    return (
        f"Reply {message_id} was posted to Slack ({channel} {ts}) but the ledger could not note where"
        " (a new thread, its widgets or the run's end); it stays posted and is not sent again"
    )


def slack_side_call_failed(method: str, error: str) -> str:
    return f"Slack {method} failed: {error}"


def slack_side_token_refused(method: str, error: str) -> str:
    """A log line, once an outage: Slack refuses the bot token for a call made beside the outbox."""
    return (
        f"Slack refuses the bot token ({error}) for {method} and the other calls made beside the outbox:"
        " questions are not redrawn once answered, messages not deleted, command answers not posted;"
        " not said again for each call (SLACK_BOT_TOKEN: a token of the installed app, then restart)"
    )


def slack_side_token_works_again(missed: int) -> str:
    """A log line: a call beside the outbox taken again after the bot token was refused."""
    return f"Slack takes the bot token again for the calls made beside the outbox ({missed} refused meanwhile)"


def slack_side_call_stopped(method: str, error: str) -> str:
    return f"Slack {method} was not made: the server stopped while it waited to try again (last refused: {error})"


def slack_asked_in_thread(user: str, error: str, run_id: int) -> str:
    return (
        f"Slack refused a direct message to {user}, a person of another organization (Slack Connect): {error}."
        f" Run #{run_id} asks them in its thread instead, mentioning them."
    )


# --- Slack's refusals in plain words (notices of undelivered replies) ----------------------------

_SLACK_REFUSALS = {
    "cannot_dm_bot": "Slack does not let the bot send them direct messages",
    "user_not_found": "Slack does not show them to the bot (a person of another organization, in a Slack Connect channel, or an id that is no one's)",
    "user_disabled": "their Slack account is deactivated",
    "user_not_visible": "Slack does not let the bot see them",
    "messages_tab_disabled": "they have turned off direct messages from apps",
    "not_in_channel": "the bot is not in the channel",
    "channel_not_found": "Slack cannot find the channel; it was deleted, or it is private and the bot was removed",
    "is_archived": "the channel is archived",
    "restricted_action": "the channel does not let the bot post",
    "thread_not_found": "the run's thread is gone (its first message was deleted)",
    "msg_too_long": "Slack refused the message as too long",
    "invalid_blocks": "Slack refused the message's layout",
}


_SLACK_REMEDIES = {
    "not_in_channel": "Invite the bot to that channel (/invite @decisionbot)",
    "is_archived": "Unarchive the channel",
    "restricted_action": "Let the bot post in that channel (its posting permissions)",
    "thread_not_found": "",  # a deleted thread does not come back
}


def slack_remedy(code: str) -> str | None:
    """What lets the bot post in a run's conversation Slack refused with ``code`` ("": nothing
    does; None: the usual, adding the bot back)."""
    return _SLACK_REMEDIES.get(code)


def slack_refusal(code: str, direct: bool) -> str:
    """Slack's error ``code`` in plain words; ``direct``: refused as a direct message."""
    words = _SLACK_REFUSALS.get(code)
    if words is None or (direct and code in ("not_in_channel", "channel_not_found", "is_archived")):
        words = "Slack would not take a direct message to them" if direct else "Slack refused it"
    return f"{words} ({code})"
