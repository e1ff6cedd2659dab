"""What the Slack channel says when a run starts where some of its people cannot see it: the
participants a ``/decision start`` names who are not members of its channel, told to its
facilitator privately, with the fix; so too a trigger's run, a review the scheduler started and an
action's handover, by direct message; and the log lines when Slack could not say who is a member,
or nobody can be told."""

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
    lead = "which nobody has taken yet (you are told as its backup)" if backup else "which you lead"
    return _run_thread_unseen(people, you, channel, f"run #{run_id} ('{title}'), {lead}")


def slack_review_people_not_in_channel(
    run_id: int, decision_id: int, title: str, people: list[str], you: bool, channel: str
) -> str:
    """By direct message to the facilitator of run ``run_id``, the review of decision
    ``decision_id`` (``title``, escaped) the scheduler started at its date: the people it names
    (``people``, mentions; ``you``: the facilitator too) not in ``channel`` (a link), and the fix."""
    return _run_thread_unseen(
        people, you, channel, f"run #{run_id}, the review of decision #{decision_id} ('{title}'), which you lead"
    )


def slack_handover_people_not_in_channel(
    run_id: int, action_id: int, what: str, title: str, people: list[str], you: bool, channel: str
) -> str:
    """By direct message to whom asked for run ``run_id``, the handover of action ``action_id``
    (``what``) of the decision ``title`` (both escaped; ``give A12 @person``): the people it names
    (``people``, mentions: the new owner; ``you``: the asker too) not in ``channel`` (a link),
    where the decision's thread is, and the fix."""
    said = (
        f"Heads up: {_absent(people, you)} not in {channel}, so {_cannot(people, you)} see the thread of"
        f" '{title}', the decision whose action A{action_id} ('{what}') run #{run_id} hands over, as you asked."
    )
    if not people:
        return f"{said} Join it to follow the decision there."
    join = "Join it and invite them" if you else "Invite them"
    return (
        f"{said} {join} (/invite {' '.join(people)}) to follow the decision there; they are asked whether"
        " they take it over by direct message either way."
    )


def _absent(people: list[str], you: bool) -> str:
    """Who is not in the channel, with its verb: ``you and @Bob are``, ``you are``, ``@Bob is``."""
    if you and people:
        return f"you and {_and(people)} are"
    if you:
        return "you are"
    return f"{_and(people)} {'is' if len(people) == 1 else 'are'}"


def _cannot(people: list[str], you: bool) -> str:
    """Who cannot see it: ``neither of you can``, ``none of you can``, ``you cannot``, ``they cannot``."""
    if you and people:
        return f"{'neither' if len(people) == 1 else 'none'} of you can"
    return "you cannot" if you else "they cannot"


def _run_thread_unseen(people: list[str], you: bool, channel: str, run: str) -> str:
    """``people`` (and ``you``) are not in ``channel``, so cannot see the thread of ``run`` (how
    the run is named, with whom the told person is to it); the fix."""
    said = f"Heads up: {_absent(people, you)} not in {channel}, so {_cannot(people, you)} see the thread of {run}."
    if not people:
        return f"{said} Join it to see its questions and answer them there."
    join = "Join it and invite them" if you else "Invite them"
    return (
        f"{said} {join} (/invite {' '.join(people)}), or they can answer only what the flow asks them"
        " directly, by direct message."
    )


def slack_members_nobody_told(run_id: int, channel: str, people: list[str], routed: bool = True) -> str:
    """The log line when some of the people of run ``run_id`` are not in its ``channel`` and nobody
    can be told directly: ``routed``, a trigger's run nobody has taken whose route names no backup;
    else a review or handover whose facilitator left (whoever answers first leads it)."""
    why, fix = (
        ("nobody has taken it yet, nor does its route name a backup", " or name a facilitator or backup in routes.yaml")
        if routed
        else ("nobody leads it now: whoever answers first does", "")
    )
    return (
        f"Slack: {', '.join(people)} of run {run_id}'s people {'is' if len(people) == 1 else 'are'} not in"
        f" channel {channel}, so cannot see its thread; it has nobody to tell ({why}): invite them (/invite){fix}"
    )
