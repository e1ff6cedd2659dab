"""What the Teams channel says."""

from __future__ import annotations

from bot.texts._common import _left_out

# --- teams ---------------------------------------------------------------------------------------


def teams_auth_off() -> str:
    return (
        "Teams: MicrosoftAppId is empty, so authentication is OFF: /api/messages accepts activities"
        " without a token. Use this for local development only (DECISIONBOT_TEAMS=on)."
    )


def teams_open_without_auth(host: str) -> str:
    return (
        f"Refusing to serve Teams on {host} without authentication (DECISIONBOT_TEAMS=on, MicrosoftAppId empty):"
        " anyone who can reach it could speak as any Teams user, and have the bot post to any URL they name."
        " Set MicrosoftAppId and MicrosoftAppPassword, or use --host 127.0.0.1."
    )


def teams_auth_on(app_id: str, app_type: str) -> str:
    return f"Teams: every request to /api/messages must carry a Bot Framework token for app {app_id} ({app_type})."


def teams_bad_app_type(value: str) -> str:
    return f"MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, not '{value}'."


def teams_off_without_app_id(present: list[str]) -> str:
    return (
        f"Teams is off: {' and '.join(present)} {'is' if len(present) == 1 else 'are'} set but MicrosoftAppId is not."
        " Set MicrosoftAppId (the bot's Microsoft App ID) to turn Teams on."
    )


def teams_bad_switch(value: str, on: tuple[str, ...], off: tuple[str, ...]) -> str:
    return f"DECISIONBOT_TEAMS must be {', '.join(on)} (Teams on) or {', '.join(off)} (off), not '{value}'."


def teams_type_needs_app_id(app_type: str) -> str:
    return (
        f"MicrosoftAppType={app_type} needs MicrosoftAppId: set it, or unset MicrosoftAppType to run"
        " Teams without authentication for local development (DECISIONBOT_TEAMS=on)."
    )


def teams_needs(variable: str, app_type: str) -> str:
    return f"{variable} is required for a {app_type} Teams bot (MicrosoftAppId is set)."


def teams_bad_request(problem: str) -> str:
    return f"Not a usable activity: {problem}."


def teams_other_channel(channel_id: object, served: str) -> str:
    """Why an activity of another Bot Framework channel (Web Chat, Direct Line ...) is refused."""
    return f"channelId is {channel_id!r}: this bot serves Microsoft Teams ('{served}') only"


def teams_unauthorized(reason: str) -> str:
    return f"Unauthorized: {reason}"


def teams_not_json_type() -> str:
    return "Content-Type must be application/json"


def teams_no_bearer(missing: bool) -> str:
    if missing:
        return "no Authorization header (the Bot Connector sends 'Bearer <token>'); the body was not read"
    return "the Authorization header is not 'Bearer <token>'; the body was not read"


def teams_request_refused(kind: str, error: str, left_out: int = 0) -> str:
    return f"teams: refused a request: {kind}: {error}{_left_out(left_out)}"


def teams_keys_unavailable(problem: str) -> str:
    return f"Cannot check the token now: the Bot Framework signing keys could not be fetched ({problem})."


def teams_keys_prefetch_failed(problem: str) -> str:
    return f"Teams: could not fetch the Bot Framework signing keys at start-up ({problem}); will retry on the first request."


def teams_unknown_invoke(name: str) -> str:
    return f"This bot does not handle '{name}' invokes."


def teams_card_header(run_id: int) -> str:
    return f"Decision run #{run_id}"


def teams_input_label() -> str:
    return "Your answer"


def teams_button_send() -> str:
    return "Send"


def teams_button_done() -> str:
    return "No more"


def teams_button_skip() -> str:
    return "Skip"


def teams_button_default(default: str) -> str:
    return f"Use the default ({default})"


def teams_yes() -> str:
    return "Yes"


def teams_no() -> str:
    return "No"


def teams_person_hint() -> str:
    return "Pick someone, or type their @mention in a reply."


def teams_answered(by: str, answer: str) -> str:
    return f"{by} answered: {answer}"


def teams_skipped() -> str:
    """What a card skipped shows as its answer."""
    return "skipped"


def teams_card_closed() -> str:
    return "That card is no longer open. Type your answer instead, or say 'help'."


def teams_card_asked_since() -> str:
    """On a card asked again since (a reminder's card, a newer question to the same person)."""
    return "I've asked you something newer since: answer my latest question, or type your answer."


def teams_card_run_ended(status: str) -> str:
    """On a card of a run that ended (shown on it, and told to whoever submits it late)."""
    why = "the run was cancelled" if status == "cancelled" else "the run has ended"
    return f"This question is closed: {why}."


def teams_card_handed_over(to: str) -> str:
    return f"That card is no longer yours: its question was handed to {to}, who answers it now."


def teams_invoke_done() -> str:
    return "Got it."


def teams_invoke_refused() -> str:
    """An Action.Execute not taken (a card no longer open, someone else's): the reply posted says why."""
    return "Not taken: see my reply."


def teams_never_there() -> tuple[str, str]:
    """A run's conversation the bot was never told of (no install there, no message from it; or its
    id mistyped), in plain words, and the fix: for the facilitator's notice."""
    return (
        "the bot has never been in that conversation, so Teams gives it no address there",
        "Install the app in that team or chat (or check the conversation's id the run was started with)",
    )


def teams_no_reference(conversation: str) -> str:
    return (
        f"No stored Teams conversation '{conversation}': install the app there, or say something to the bot"
        " there first."
    )


def teams_send_failed(conversation: str, problem: str) -> str:
    return f"Teams: could not answer in {conversation}: {problem}"


def teams_which_in_private() -> str:
    """A typed answer in a group chat that no one question of its writer's takes (two or more could,
    or its ``#N`` names a run that does not wait on them): the questions are not listed there (they
    are theirs alone)."""
    return (
        "I could not tell which of your questions that answers, so I did not take it. Answer one on its card,"
        " or say it in our personal chat, where I list them."
    )


def teams_told_alone(status: bool = False) -> str:
    """``status``: a run's status asked where the run does not live (its title and questions are its people's)."""
    what = "the run's status" if status else "your actions"
    return f"I sent you {what} in our personal chat."


def teams_not_told_alone(status: bool = False) -> str:
    if status:
        return (
            "I could not open a personal chat with you for the run's status (it is for its people alone)."
            " Open a chat with me and ask there."
        )
    return (
        "I could not open a personal chat with you for your actions (they are yours alone)."
        " Open a chat with me and say 'actions' there."
    )


def teams_personal_chat_failed(person: str, problem: str) -> str:
    return f"Teams: could not open a personal chat with {person}: {problem}"


def teams_card_update_failed(problem: str) -> str:
    return f"Teams: could not update an answered card: {problem}"


def teams_thread_gone(run_id: int, channel: str, root: str) -> str:
    """Log line: a reply in a run's channel thread refused 404 (its root deleted): a new thread."""
    return (
        f"Teams: run #{run_id}: its thread {channel};messageid={root} is gone (HTTP 404: its first message"
        " deleted?); it goes on in a new thread of the channel"
    )


def teams_thread_moved(run_id: int, title: str) -> str:
    """The first post of a run's new thread in its channel, its first thread gone (deleted)."""
    named = f" ('{title}')" if title else ""
    return (
        f"Run #{run_id}{named} goes on in this thread: Teams no longer has its first thread (deleted?)."
        " The answers given there are kept; its next messages follow here."
    )


def teams_packaged(path: str, app_id: str) -> str:
    return f"Wrote {path} (bot {app_id}). Upload it in Teams: Apps > Manage your apps > Upload an app."


def teams_bad_app_id(value: str) -> str:
    return (
        f"'{value}' is not a Microsoft App ID (a GUID like 00000000-0000-0000-0000-000000000000)."
        " Pass --app-id or set MicrosoftAppId."
    )


def teams_run_conversation_gone(run_id: int, title: str, why: str) -> str:
    """To a run's facilitator, in their personal chat: Teams said the bot can no longer post where the run
    lives (``why``: ``team``, the bot removed from its team; ``chat``, from its chat; ``team-app``, ``chat-app``:
    the app uninstalled from it; ``channel``, deleted)."""
    how = {
        "team": "the bot was removed from its team",
        "chat": "the bot was removed from its chat",
        "team-app": "the app was uninstalled from its team",
        "chat-app": "the app was uninstalled from its chat",
    }
    said = (
        f"Run #{run_id} ('{title}') can no longer post in its conversation: {how.get(why, 'its channel was deleted')}."
    )
    end = f"end it with the bot's command 'cancel {run_id}'."
    if why == "channel":
        return f"{said} The run cannot go on there: {end} 'status {run_id}' says what it waited for."
    return (
        f"{said} Add the {'app' if why.endswith('-app') else 'bot'} back there and the run goes on with its next message ('status {run_id}' says what it"
        f" waits for); or {end}"
    )


def teams_text_only() -> str:
    return "I read typed text and card answers: a file or picture alone answers nothing. Say 'help' for the commands."


def teams_not_your_card() -> str:
    return "That card asks someone else; it stays open for them. Answer on your own card, or type your answer."


def teams_cut() -> str:
    """What stands where the middle of a message too long for Teams was left out."""
    return " … "


def teams_member_lookup_failed(picked: str, why: str) -> str:
    """A person picked in a card whom the connector would not describe, twice, for now."""
    return f"Teams: the person picked in a card ({picked}) could not be looked up (tried twice): {why}"
