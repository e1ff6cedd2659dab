"""What the bot's Home tab in Slack says (``bot/channels/slack_home.py``): a person's open actions,
the questions waiting on them, the runs they lead, and what to do when there is none. Everything
people typed (an action, a title, a question) comes here escaped for Slack's mrkdwn already."""

from __future__ import annotations

from datetime import date

from bot.texts._common import _WEEKDAYS, _join


def home_your_actions() -> str:
    return "Your actions"


def home_waiting_on_you() -> str:
    return "Waiting on you"


def home_actions_you_lead() -> str:
    return "Actions of decisions you lead"


def home_led_action(code: int, what: str, owner: str, title: str, run_id: int, due: str | None, overdue: bool) -> str:
    """An open action of a decision this person leads, someone else's: whose, its decision, when due."""
    when = f"due {home_day(due)}" if due else "no due date"
    late = " - *overdue*" if overdue else ""
    return f"*A{code}* {what} - {owner}\n_{title}_ (run #{run_id}), {when}{late}"


def home_done_for_owner_title() -> str:
    return "Mark it done for them?"


def home_done_for_owner(what: str, owner: str) -> str:
    """The dialog before a Done on someone else's action (plain text: nothing escaped)."""
    return f"'{what}' is {owner}'s. Mark it done in their place? I tell the decision's thread, as for `done A12` typed."


def home_done_for_owner_yes() -> str:
    return "Mark done"


def home_done_for_owner_no() -> str:
    return "Cancel"


def home_runs_you_lead() -> str:
    return "Runs you lead"


def home_action(code: int, what: str, title: str, run_id: int, due: str | None, overdue: bool) -> str:
    """One open action: its code (for ``done A12`` typed in a DM), what, its decision and run, when due."""
    when = f"due {home_day(due)}" if due else "no due date"
    late = " - *overdue*" if overdue else ""
    return f"*A{code}* {what}\n_{title}_ (run #{run_id}), {when}{late}"


def home_day(day: str) -> str:
    """A due date with its weekday, as the Home tab shows it: ``Fri 2026-12-18``."""
    try:
        return f"{_WEEKDAYS[date.fromisoformat(day).weekday()]} {day}"
    except ValueError:  # a date the ledger holds as typed
        return day


def home_done_button() -> str:
    return "Done"


def home_due_placeholder() -> str:
    return "Change due date"


def home_waiting(run_id: int, title: str, task: str, where: str | None) -> str:
    """A question of a run waiting on this person (``task``: what they are to do, as ``status N``
    says it), and where to answer it: asked in the run's thread in channel ``where`` (an id, shown
    by Slack as its name), or in their direct messages with the bot (``where`` None)."""
    place = (
        f"Answer in its thread in <#{where}>, or in a DM with me: `#{run_id} your answer`."
        if where
        else f"Answer the question I sent you in our DM, or there: `#{run_id} your answer`."
    )
    return f"*#{run_id} {title}*: {task or 'a question waits on you'}\n{place}"


def home_led(run_id: int, title: str, flow: str, waiting: list[str]) -> str:
    """An open run this person facilitates, with what it waits for in the words ``status N`` says."""
    return f"*#{run_id} {title}* ({flow}): waiting for {_join(waiting)}"


def home_more_actions(count: int) -> str:
    return f"and {count} more - type `actions` in a DM with me to see them all."


def home_more_actions_led(count: int) -> str:
    return f"and {count} more - `actions` in a DM with me lists them all."


def home_more_waiting(count: int) -> str:
    return f"and {count} more questions wait on you, each where I asked it."


def home_more_led(count: int) -> str:
    return f"and {count} more - `status N` in a DM with me says where run N stands."


def home_empty() -> str:
    """The Home tab of someone with no open action, no question and no run of theirs."""
    return (
        "Nothing waits on you: no open action, no question, no run you lead.\n"
        "Start a decision with the button above, or in a channel with `/decision start`"
        " (`/decision help` lists the flows),"
        " and the actions you own after it will show here, with a button to mark each done."
    )


def home_footer() -> str:
    return "In a DM with me: `actions`, `done A12`, `due A12 next friday`, `give A12 @person`, `help`."


def slack_home_not_published(user: str, error: str) -> str:
    """A log line: a Home tab that could not be drawn (the side call logs Slack's refusals itself)."""
    return f"Slack: the Home tab of {user} was not published: {error}"


def slack_home_click_refused(user: str, why: str) -> str:
    """A log line: a Home tab click that names no action (a payload Slack would not send)."""
    return f"Slack: a Home tab click by {user} was ignored: {why}"


def slack_home_no_dm(user: str, error: str) -> str:
    """A log line: a Home tab click not carried out, its clicker's direct message (where a command
    typed would be kept) out of reach; they are told on the Home tab."""
    return f"Slack: a Home tab click by {user} was not carried out: their direct message could not be opened ({error})"


def home_still_saving(command: str) -> str:
    """On a Home tab whose click (``command``: ``done A12``) is not stored within Slack's 3 s (the
    ledger busy with another job): the click has no response_url to be told beside."""
    return f"Still saving: {command}. This is taking longer than usual; this tab shows its answer once it is stored."


def home_click_not_saved(command: str) -> str:
    """On a Home tab whose click could not be stored after all (the ledger busy, its commit lost)."""
    return f"Your click ({command}) could not be saved, so nothing was recorded. Please press it again."


def home_click_stopped(command: str) -> str:
    """On a Home tab whose click was under way when the server stopped (nothing of it kept)."""
    return f"The bot was restarting, so your click ({command}) was not saved. Please press it again in a minute."


def home_try_again() -> str:
    return "Slack did not answer in time, so nothing was changed. Try again, or type the command in a DM with me."


def home_dm_refused(command: str, error: str) -> str:
    """A Home tab click not carried out: Slack refuses for good the clicker's direct message, where
    the command it stands for would be typed (``error``, Slack's code)."""
    return (
        f"Slack refuses me a direct message with you ({error}), where a click here is carried out, so nothing"
        f" was changed. Type /decision {command} in a channel I'm in instead."
    )


def slack_home_token_refused(error: str) -> str:
    """A log line, once an outage: Slack refuses the bot token a Home tab was published with."""
    return (
        f"Slack: Home tabs are not published: Slack refuses the bot token ({error}); not said again for each tab"
        " (SLACK_BOT_TOKEN: a token of the installed app, then restart)"
    )


def slack_home_token_works_again(missed: int) -> str:
    """A log line: a Home tab published again after the token was refused (``missed`` tabs not published meanwhile)."""
    return f"Slack: Home tabs are published again ({missed} not published while the bot token was refused)"
