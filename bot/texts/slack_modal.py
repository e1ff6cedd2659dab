"""What the Slack form that starts a decision says (``/decision start`` with no flow, the Home tab's
"Start a decision" button, the global shortcut): its labels, each field's error and its fix
(shown under the field by Slack), the fallback when Slack would not open it, and its log lines."""

from __future__ import annotations

from bot.texts.slack import slack_post_timed_out


def modal_title() -> str:
    return "Start a decision"  # Slack: 24 characters at most


def modal_submit() -> str:
    return "Start"


def modal_close() -> str:
    return "Cancel"


def modal_flow_label() -> str:
    return "Flow"


def modal_flow_placeholder() -> str:
    return "Pick what to decide"


def modal_people_label() -> str:
    return "Participants"


def modal_people_hint(most: int) -> str:
    return f"You lead it; the people you pick here take part ({most} at most)."


def modal_title_label() -> str:
    return "Title"


def modal_title_hint() -> str:
    return "Optional: what the decision is about (Weekly sync). The flow's name when empty."


def modal_channel_label() -> str:
    return "Channel"


def modal_channel_hint(required: bool) -> str:
    if required:
        return "Where the run's thread goes: a channel I'm in (/invite @decisionbot)."
    return "Where the run's thread goes; empty: the channel you typed the command in."


def home_start_button() -> str:
    return "Start a decision"


# --- the fields' errors, each with its fix ----------------------------------------------------


def modal_pick_a_flow() -> str:
    return "Pick a flow to start."


def modal_flow_gone(flow: str) -> str:
    return f"The flow '{flow}' is no longer there (removed or renamed). Pick another one."


def modal_flow_refused(flow: str) -> str:
    return (
        f"The flow '{flow}' cannot start: its file has an error. Pick another one, or ask whoever runs"
        " decisionbot to check it with: decisionbot flows validate"
    )


def modal_flow_not_here(flow: str) -> str:
    return f"The flow '{flow}' cannot be started from here (a review starts on its decision's date). Pick another one."


def modal_too_many_people(count: int, most: int) -> str:
    return f"That is {count} people; pick {most} at most (more can be named as the run asks)."


def modal_needs_participants() -> str:
    """Under the form's Participants: a flow with a question for them, and none picked."""
    return "This flow asks its participants: pick at least one (else its questions for them would all come to you)."


def modal_not_a_person(name: str, kind: str) -> str:
    """A participant picked who cannot take part: a deactivated account, another app's bot, the bot."""
    if kind == "deactivated":
        return f"{name}'s account is deactivated, so they cannot take part. Remove them."
    if kind == "bot":
        return "I cannot answer my own questions. Remove me from the participants."
    return f"{name} is a bot: only people can take part. Remove them."


def modal_title_too_long(length: int, most: int) -> str:
    return f"That title is {length} characters; shorten it to {most} at most."


def modal_pick_a_channel() -> str:
    return "Pick the channel the run's thread goes to (one I'm in)."


def modal_not_started_title() -> str:
    """The title of the view that says why a submission started nothing (24 characters at most)."""
    return "Nothing started"


def modal_back() -> str:
    """Its button back to the form."""
    return "Back"


def modal_try_again() -> str:
    return "The decision ledger is busy (another job is writing to it); nothing was started. Press Start again in a moment."


# --- the form not opened ---------------------------------------------------------------------


def modal_not_opened(error: str, flows: list[str]) -> str:
    """To someone whose form Slack would not open (``error``: Slack's, or ``no answer in time``):
    the slash command's syntax instead, with the flows it can start."""
    why = {
        "expired_trigger_id": "Slack took too long to ask me for it",
        "ratelimited": "Slack is busy",
        slack_post_timed_out(): "Slack did not answer in time",
    }.get(error, f"Slack refused it: {error}")
    listed = ", ".join(flows) if flows else "none"
    return (
        f"I could not open the form ({why}). Try again, or type the command instead:"
        f" /decision start FLOW [@people ...] [title]. Flows: {listed}."
    )


def slack_modal_not_opened(user: str, error: str) -> str:
    """A log line: Slack refused to open someone's "Start a decision" form."""
    return f"Slack: the 'Start a decision' form of {user} was not opened: {error}"


def slack_modal_started_untold(user: str, run_id: int, error: str) -> str:
    """A log line: a run started from the form whose "Started" note could not reach its facilitator."""
    return f"Slack: run #{run_id} started from {user}'s form; the note saying so was not sent: {error}"


def slack_command_name() -> str:
    """The slash command a ``/decision start`` came by, when Slack's payload names none."""
    return "/decision"


def slack_mention_name(bot_name: str | None) -> str:
    """How a start typed as ``@decisionbot start ...`` names the bot in the run's transcript: as
    Slack showed it (``bot_name``: its installed name, auth.test's; None: not known)."""
    return f"@{bot_name or 'decisionbot'}"


def modal_start_said(flow: str, title: str, people: list[str]) -> str:
    """A start from the form, as the run's transcript keeps what its person chose (``people``: the
    participants by name, ``@Name``)."""
    titled = f"title {title}" if title else "no title"
    named = f"participants {', '.join(people)}" if people else "no other participants"
    return f"started {flow} from the form: {titled}, {named}"
