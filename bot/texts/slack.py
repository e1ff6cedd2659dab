"""What the Slack channel says."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.texts._common import _left_out, _minutes, command

# --- slack ---------------------------------------------------------------------------------------


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


def slack_needs_bot_token(present: list[str]) -> str:
    return (
        f"SLACK_BOT_TOKEN is required: {' and '.join(present)} {'is' if len(present) == 1 else 'are'} set, so Slack"
        " is meant to be on. Set SLACK_BOT_TOKEN (xoxb-..., the app's Bot User OAuth Token), or unset"
        f" {' and '.join(present)} to serve without Slack."
    )


def slack_needs_signing_secret() -> str:
    return (
        "SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set: it verifies every request from Slack"
        " (or set SLACK_APP_TOKEN to connect over Socket Mode instead)."
    )


def slack_app_token_refused(error: str) -> str:
    return f"Slack refused SLACK_APP_TOKEN at start-up (apps.connections.open: {error}). Check the app-level token."


def slack_socket_open_failed(error: str, seconds: float) -> str:
    return (
        f"Slack did not open a Socket Mode connection at start-up (apps.connections.open: {error}, still after"
        f" {seconds:g} s): a failure on Slack's side or the network's, not a refused SLACK_APP_TOKEN. Start"
        f" {command()} serve again in a moment."
    )


def slack_socket_unreachable(address: str, seconds: float) -> str:
    return (
        f"Slack accepted SLACK_APP_TOKEN but its Socket Mode connection ({address}) could not be opened"
        f" within {seconds:g} s. Check that outbound WebSocket (wss://) connections to Slack are allowed,"
        " or serve Slack over HTTP (SLACK_SIGNING_SECRET, without SLACK_APP_TOKEN)."
    )


def slack_socket_out_of_reach(failure: str, every: float, repeat: float) -> str:
    return (
        f"Slack is out of reach: its Socket Mode connection is down ({failure}). Trying again every"
        f" {_minutes(every)}; said again at most every {_minutes(repeat)} while it lasts."
    )


def slack_socket_still_out_of_reach(failure: str, seconds: float, tries: int) -> str:
    return f"Slack is still out of reach after {_minutes(round(seconds))} and {tries} tries (last: {failure})."


def slack_socket_reached_again(seconds: float, tries: int) -> str:
    return f"Slack is reachable again: Socket Mode connected after {_minutes(round(seconds))} out of reach ({tries} tries)."


def slack_socket_envelope_left(envelope_id: str) -> str:
    return (
        f"Slack envelope {envelope_id} arrived while stopping: left unacknowledged (Slack sends an event again;"
        " a command or a click shows its sender Slack's error, to be done again)."
    )


def slack_socket_ack_lost(envelope_id: str, error: str) -> str:
    return (
        f"Slack envelope {envelope_id} was carried out and stored, but its acknowledgement was not sent: the"
        f" Socket Mode connection closed ({error}). Slack sends an event again (the repeat is dropped, already"
        " stored); a command or a click shows its sender Slack's error though it was done."
    )


def slack_socket_turns_cut(count: int, seconds: float) -> str:
    return (
        f"{count} Slack Socket Mode turn(s) not finished {seconds:g} s into the stop: cut short and left"
        " unacknowledged, Slack sends them again."
    )


def slack_auth_failed(error: str) -> str:
    return f"Slack refused SLACK_BOT_TOKEN at start-up (auth.test: {error}). Check the bot token of the app."


def slack_bad_signature(remote: str | None, left_out: int = 0) -> str:
    return f"Slack request from {remote or 'unknown'} refused: bad or stale signature.{_left_out(left_out)}"


def slack_invalid_signature() -> str:
    """The 401's body for a Slack request whose signature does not verify."""
    return "invalid signature"


def slack_refused_payload(reason: str) -> str:
    return f"Slack payload refused: {reason}."


def slack_no_app_check(error: str) -> str:
    return f"Could not learn this app's id (bots.info: {error}); requests are checked by team only."


def slack_person_unknown(user: str, error: str) -> str:
    """users.info refused or failed: the person goes by their user id until it answers (asked again
    the next time they are seen)."""
    said = (
        f"Slack users.info failed for {user}: {error}. Until it answers, they go by their user id,"
        " and the dates they type are read in DECISIONBOT_TIMEZONE."
    )
    if error == "missing_scope":
        return f"{said} The app lacks the users:read scope: add it (slack/manifest.yaml has it) and reinstall the app."
    return said


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


def slack_side_call_stopped(method: str, error: str) -> str:
    return f"Slack {method} was not made: the server stopped while it waited to try again (last refused: {error})"


def slack_bot_token_refused(error: str, first: float, most: float) -> str:
    return (
        f"Slack refused SLACK_BOT_TOKEN while serving ({error}): the app was uninstalled or its bot token"
        f" revoked. Replies wait in the outbox, none is given up: one is tried again in {_minutes(first)}, then"
        f" every {_minutes(most)} at most. Set SLACK_BOT_TOKEN to the app's working bot token (xoxb-...;"
        f" reinstall the app if it was removed) and restart {command()} serve: the waiting replies go out then."
        " The other channels keep serving."
    )


def slack_bot_token_works_again() -> str:
    return "Slack accepts SLACK_BOT_TOKEN again: the replies waiting in the outbox go out."


def slack_app_token_refused_serving(error: str, first: float, most: float) -> str:
    return (
        f"Slack refused SLACK_APP_TOKEN while serving (apps.connections.open: {error}): the app-level token was"
        " revoked or the app removed, so Socket Mode is disconnected and no Slack events, commands or clicks"
        f" arrive. It asks again in {_minutes(first)}, then every {_minutes(most)} at most; replies still go out with SLACK_BOT_TOKEN."
        " Set SLACK_APP_TOKEN to a working app-level token (xapp-..., scope connections:write) and restart"
        f" {command()} serve. The other channels keep serving."
    )


def slack_app_token_works_again() -> str:
    return "Slack accepts SLACK_APP_TOKEN again: Socket Mode is connected."


def slack_socket_mode_off(first: float, most: float) -> str:
    return (
        "Slack turned Socket Mode off for this app (disconnect: link_disabled): no Slack events, commands or"
        f" clicks arrive. It connects again in {_minutes(first)}, then every {_minutes(most)} at most; replies still"
        " go out with SLACK_BOT_TOKEN. Turn Socket Mode back on in the app's settings (https://api.slack.com/apps,"
        " Socket Mode), or serve Slack over HTTP (SLACK_SIGNING_SECRET without SLACK_APP_TOKEN, the app's request"
        " URLs at /slack/events). The other channels keep serving."
    )


def slack_socket_mode_on_again() -> str:
    return "Slack's Socket Mode is on again for this app: connected, events arrive."


def slack_socket_mode_off_failing(since: str) -> str:
    """What /healthz says while Slack has Socket Mode turned off for the app."""
    return (
        f"Slack has Socket Mode turned off for this app (link_disabled) since {since}: no events arrive."
        " Turn Socket Mode on in the app's settings."
    )


def slack_failing(variable: str, error: str, since: str) -> str:
    """What /healthz says of a Slack token refused while serving."""
    waits = "replies wait in the outbox" if variable == "SLACK_BOT_TOKEN" else "no events arrive over Socket Mode"
    return f"Slack refuses {variable} ({error}) since {since}: {waits}. Set a working {variable} and restart."


# --- Slack's refusals in plain words (notices of undelivered replies) ----------------------------

_SLACK_REFUSALS = {
    "cannot_dm_bot": "Slack does not let the bot send them direct messages",
    "user_not_found": "Slack does not know them, perhaps they left the workspace",
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
