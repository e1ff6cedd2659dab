"""What the Slack channel says when the workspace changes under the bot while runs are open: the
bot removed from a run's channel or that channel archived (told to the run's facilitator, or its
backup, by direct message), and the app uninstalled or its bot token revoked (the log)."""

from __future__ import annotations


def _what_happened(why: str, by: str | None) -> str:
    if why == "archived":
        return f"{by} archived the channel" if by else "the channel was archived"
    return f"{by} removed the bot from the channel" if by else "the bot was removed from the channel"


def _fix(why: str) -> str:
    if why == "archived":
        return "Unarchive the channel (and invite the bot back if it is no longer there)"
    return "Invite the bot back (/invite @decisionbot)"


def slack_lost_asks(question: str | None, direct: list[str], there: list[str], anyone: str | None = None) -> str:
    """What a run whose channel was lost waits for: the facilitator's own ``question`` asked there
    (quoted; she can answer where she is told), the people asked by direct message (``direct``:
    that goes on) and those asked in the channel (``there``: they can answer by direct message);
    ``anyone``: an alert's question nobody has taken, which only an answer in the channel takes
    (told to the backup, who cannot answer it by direct message)."""
    said = ""
    if anyone is not None:
        said += f' Its question "{anyone}" waits for whoever answers first in the channel.'
    if question is not None:
        said += f' It waits for your answer to "{question}": you can answer it here, in this chat.'
    if direct:
        said += f" It waits for {', '.join(direct)}, asked by direct message: that goes on."
    if there:
        said += f" It waits for {', '.join(there)}, asked there: they can answer the bot in a direct message instead."
    return said


def slack_lost_run(
    run_id: int, title: str, where: str, why: str, by: str | None, asks: str, backup: bool, stalled: bool = False
) -> str:
    """To a run's facilitator (``backup``: the route's backup of an alert's run nobody has taken),
    by direct message: the bot removed from the run's channel, or the channel archived (``why``).
    A ``stalled`` run is reminded of nothing, the bot back or not: an answer takes it up."""
    said = (
        f"Run #{run_id} ('{title}') can no longer be answered in its conversation, {where}: {_what_happened(why, by)},"
        " so what is typed there no longer reaches it."
    )
    if backup:
        said += " You are told as the backup of this alert's run, which nobody has taken yet."
    goes_on = (
        "the run can go on there: it had stalled, so nobody is reminded of it, and an answer there takes it up again"
        if stalled
        else "the run goes on there (its next reminder asks again)"
    )
    return (
        f"{said}{asks} {_fix(why)} and {goes_on}; or move it to a channel the bot is in with the bot's command"
        f" 'move {run_id} #channel' (what waits is asked again there), or end it with 'cancel {run_id}'."
    )


def slack_lost_runs(
    runs: list[tuple[int, str]], where: str, why: str, by: str | None, backup: bool, stalled: tuple[int, ...] = ()
) -> str:
    """One direct message for several runs of one person in the channel lost (an alert storm);
    ``stalled``: those of them reminded of nothing, which an answer takes up."""
    named = ", ".join(f"#{run_id} ('{title}')" for run_id, title in runs)
    said = (
        f"Runs {named} can no longer be answered in their conversation, {where}: {_what_happened(why, by)},"
        " so what is typed there no longer reaches them."
    )
    if backup:
        said += " You are told as the backup of these alerts' runs, which nobody has taken yet."
    if stalled:
        named = ", ".join(f"#{run_id}" for run_id in stalled)
        it = "it" if len(stalled) == 1 else "them"
        said += f" Of them, {named} had stalled: nobody is reminded of {it}, and an answer there takes {it} up again."
    return (
        f"{said} {_fix(why)} and they go on there (their next reminders ask again); 'status N' says what"
        " run N waits for, 'move N #channel' moves it to a channel the bot is in, and 'cancel N' ends it."
    )


def slack_lost_log(channel: str, why: str, by: str | None, runs: int, told: int) -> str:
    """Log line: a channel with open runs lost (the bot removed, or the channel archived)."""
    happened = _what_happened(why, by)
    return f"slack: {channel}: {happened}; {runs} open run(s) there, {told} person(s) told by direct message"


def slack_back_log(channel: str, runs: int) -> str:
    """Log line: the bot back in a channel (invited back, unarchived) where open runs had lost it."""
    return f"slack: {channel} takes the bot again: {runs} open run(s) there ask again what waits there"


def slack_lost_nobody(channel: str, run_id: int, why: str) -> str:
    """Log line: a run in a channel lost has nobody who can be told directly (an alert's run nobody took, no backup)."""
    return (
        f"slack: run #{run_id} in {channel} can no longer be answered there ({why}), and nobody leads it who can be"
        f" told directly: {_fix(why).lower()}, or cancel it (decisionbot runs cancel {run_id})"
    )


def _channels(channels: list[str], most: int = 20) -> str:
    named = ", ".join(channels[:most])
    return f"{named} and {len(channels) - most} more" if len(channels) > most else named


def slack_token_gone(kind: str, channels: list[str]) -> str:
    """Log line: Slack says the app was uninstalled (``app_uninstalled``) or the bot token revoked;
    ``channels``: those open runs live in, which an uninstall removes the bot from."""
    what = "the app was uninstalled from the workspace" if kind == "app_uninstalled" else "the bot token was revoked"
    said = (
        f"Slack says {what} ({kind}): SLACK_BOT_TOKEN no longer works, and no reply can go out (they wait in the"
        " outbox). Reinstall the app (Install App -> Install to Workspace), put its new Bot User OAuth Token in"
        " SLACK_BOT_TOKEN and restart decisionbot."
    )
    if channels:
        said += (
            f" Then invite the bot back (/invite @decisionbot) to the channels of open runs, {_channels(channels)}:"
            " an uninstall removes it from every channel."
        )
    return said


def slack_lost_stale(channel: str, why: str) -> str:
    """Debug line: an event says the bot lost a channel, but Slack says now that it posts there."""
    event = "archived" if why == "archived" else "the bot removed"
    return (
        f"slack: {channel}: an event says {event}, but Slack says now the bot is in it and it is not archived"
        " (the event came after the return): its runs go on"
    )


def slack_lost_unverified(channel: str, why: str, error: str) -> str:
    """Debug line: Slack could not say whether a channel an event says the bot lost takes its posts."""
    event = "archived" if why == "archived" else "the bot removed"
    return f"slack: {channel}: an event says {event}; not checked with Slack ({error}): believed"
