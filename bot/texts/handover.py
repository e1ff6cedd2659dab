"""What the bot says of an action handed over to someone else (``give A12 @person [why]``): the
refusals of the command, what the asker is told at once, and the outcome (taken over, declined,
no answer) as the asker, the old owner, the new owner and the decision's conversation hear it."""

from __future__ import annotations


def command_needs_person_to_give() -> str:
    return "Say which action and who should take it over, and why if you like: give A12 @carol she runs the vendor now."


def give_not_a_person(word: str, kind: str) -> str:
    if kind == "deactivated":
        return f"{word}'s account is deactivated: they cannot take an action over. Name someone else: give A12 @carol."
    what = {"group": "a user group", "channel": "a channel", "team": "a team", "everyone": "everyone here"}.get(kind)
    what = what or ("another bot" if kind == "app" else "me, the bot")
    return f"{word} names {what}: only a person can own an action. Name one person: give A12 @carol."


def give_who_unknown(problem: str) -> str:
    return f"Who should take it over? {problem}"


def give_to_owner(what: str, name: str) -> str:
    return f"'{what}' is already {name}'s."


def give_already_asked(what: str, name: str, run_id: int) -> str:
    return (
        f"{name} is already asked to take over '{what}' (run #{run_id}). Wait for the answer, or withdraw it"
        f" with: cancel {run_id}"
    )


def give_asked(name: str, what: str, run_id: int) -> str:
    return (
        f"Asked {name} to take over '{what}'. It changes hands only when they say yes; I'll tell you their"
        f" answer. (Run #{run_id}: cancel {run_id} withdraws it.)"
    )


def handover_taken_notice(new: str, old: str, what: str, title: str, by: str, why: str) -> str:
    asked = "" if by == old else f", as {by} asked"
    return f"{new} took over {old}'s action '{what}' (from '{title}'){asked}" + (f": {why}" if why else ".")


def handover_taken_by(new: str, what: str, title: str) -> str:
    return f"{new} took over your action '{what}' (from '{title}'). It is no longer yours."


def handover_yours(action_id: int, what: str, title: str, due: str | None) -> str:
    when = f", due {due}" if due else ""
    return f"'{what}' (from '{title}'{when}) is yours now. When it is done, tell me: done A{action_id}."


def handover_yes_by(action_id: int | None, due: str, when: str) -> str:
    """A yes with another due date to an action handed over: the date is moved once it is theirs."""
    code = f"A{action_id}" if action_id is not None else "A12"
    kept = f" (due {due})" if due else ""
    return (
        f"Say yes or no: do you take it over as it is{kept}? Once it is yours, move its due date with due {code} {when}"
    )


def handover_declined(new: str, what: str, old: str) -> str:
    return f"{new} declined to take over '{what}': it stays {old}'s."


def handover_unanswered(new: str, what: str, old: str, run_id: int) -> str:
    return (
        f"{new} has not answered whether they take over '{what}': it stays {old}'s. A late yes still"
        f" hands it over; to ask someone else, first withdraw this with: cancel {run_id}"
    )


def handover_not_theirs(new: str, what: str, action_id: int) -> str:
    return f"Only {new} can take over '{what}': nothing was handed over. To ask again: give A{action_id} @{new}"


def handover_moot(what: str, by: str, done: bool) -> str:
    """The end of a handover whose action was marked done or dropped before the new owner answered."""
    return f"Nothing to take over now: '{what}' was {'marked done' if done else 'dropped'} by {by}."


def handover_void(what: str) -> str:
    return f"'{what}' changed since it was offered (done, dropped or given to someone else): nothing was handed over."


def give_flow_missing(flow: str) -> str:
    return (
        f"I can't ask anyone to take it over: the flow '{flow}' is not in my flows folder. Ask whoever"
        f" runs decisionbot to copy flows/{flow}.yaml there."
    )


def handover_not_started() -> str:
    return "Nothing started: an action is handed over with give A12 @person [why], which starts that flow for it."


def handover_not_triggered(flow: str) -> str:
    return (
        f"flow '{flow}' is started only by 'give A12 @person' in chat, for the action it names; a trigger"
        " or route cannot start it"
    )


def give_elsewhere(who: str, channel: str) -> str:
    return f"{who} is not on {channel}, where the decision was made: the new owner must be asked there. Name someone on {channel}."
