"""What the Slack channel says when a run starts where some of its people cannot see it: the
participants a ``/decision start`` names who are not members of its channel, told to its
facilitator privately, with the fix; and the log line when Slack could not say who is a member."""

from __future__ import annotations


def _and(names: list[str]) -> str:
    """``Bob``, ``Bob and Carol``, ``Bob, Carol and Dan``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def slack_people_not_in_channel(run_id: int, people: list[str], direct: bool, channel: str | None = None) -> str:
    """To the facilitator of run ``run_id`` just started, privately: ``people`` (as Slack shows
    them, mentions) are not in its channel, so they cannot see its thread; ``direct``: the run
    lives in the facilitator's direct message with the bot, where nobody else can be invited;
    ``channel``: the channel named (a link), when told elsewhere (by direct message)."""
    who = _and(people)
    verb = "is" if len(people) == 1 else "are"
    if direct:
        return (
            f"Heads up: run #{run_id} lives in our direct message, so {who} cannot see it. They can"
            " answer only what the flow asks them directly, by direct message. To have them answer"
            " the rest, cancel it and start it in a channel they are in."
        )
    return (
        f"Heads up: {who} {verb} not in {channel or 'this channel'}, so they cannot see run #{run_id}'s thread."
        f" Invite them (/invite {' '.join(people)}), or they can answer only what the flow asks"
        " them directly, by direct message."
    )


def slack_members_unknown(run_id: int, channel: str, error: str) -> str:
    """The log line when Slack would not say who is in a run's channel (``conversations.members``:
    ``missing_scope``, ``ratelimited``, ``not_in_channel``, out of reach): no warning then."""
    fix = (
        " (the app lacks channels:read / groups:read: update its manifest and reinstall it, docs/slack.md)"
        if error.startswith("missing_scope")
        else ""
    )
    return (
        f"Slack: could not tell who of run {run_id}'s people is in channel {channel}"
        f" (conversations.members: {error}){fix}; its facilitator is not warned of anyone missing"
    )


def slack_members_untold(run_id: int, user: str, error: str) -> str:
    """The log line when whom run ``run_id``'s troubles go to (its facilitator; a trigger's run nobody
    has taken, its backup) could not be told by direct message who is not in its channel."""
    return f"Slack: could not tell {user}, who leads run {run_id} or backs it up, of its people not in its channel: {error}"


def slack_route_people_not_in_channel(
    run_id: int, title: str, people: list[str], you: bool, channel: str, backup: bool
) -> str:
    """By direct message to whom a run a trigger started (an alert, a check, ``decisionbot
    trigger``) is told of (its facilitator; while nobody has taken it, the route's ``backup``): the
    people it names (``people``, mentions; ``you``: the one told too) not in ``channel`` (a link),
    who cannot see the thread of run ``run_id`` (``title``, escaped), and the fix."""
    if you and people:
        absent = f"you and {_and(people)} are"
        cannot = "neither of you" if len(people) == 1 else "none of you"
    elif you:
        absent, cannot = "you are", "you"
    else:
        absent, cannot = f"{_and(people)} {'is' if len(people) == 1 else 'are'}", "they"
    cannot += " cannot" if cannot in ("you", "they") else " can"
    lead = "which nobody has taken yet (you are told as its backup)" if backup else "which you lead"
    said = f"Heads up: {absent} not in {channel}, so {cannot} see the thread of run #{run_id} ('{title}'), {lead}."
    if not people:
        return f"{said} Join it to see its questions and answer them there."
    join = "Join it and invite them" if you else "Invite them"
    return (
        f"{said} {join} (/invite {' '.join(people)}), or they can answer only what the flow asks them"
        " directly, by direct message."
    )


def slack_members_nobody_told(run_id: int, channel: str, people: list[str]) -> str:
    """The log line when some of the people of run ``run_id`` (a trigger's, nobody has taken it and
    its route names no backup) are not in its ``channel``: nobody to tell directly."""
    return (
        f"Slack: {', '.join(people)} of run {run_id}'s people {'is' if len(people) == 1 else 'are'} not in"
        f" channel {channel}, so cannot see its thread; it has nobody to tell (nobody has taken it yet, nor"
        " does its route name a backup): invite them (/invite) or name a facilitator or backup in routes.yaml"
    )
