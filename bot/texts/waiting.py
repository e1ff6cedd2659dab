"""What a run waits for, as ``status N`` and ``list`` say it: who, and to do what."""

from __future__ import annotations

from typing import Any


def waiting_on(name: str, task: str) -> str:
    return f"{name} to {task}"


def waiting_on_you() -> str:
    """Whom a run waits for, told to that very person (``status N``, ``list``): "waiting for you to
    accept 'Draft the plan'", not their own name."""
    return "you"


def task_answer(question: str) -> str:
    return f'answer "{question}"'


def task_on_item(role: str, what: str, owner: str | None, yours: bool = False) -> str:
    """An owner's yes/no about their item: ``accepts``, ``done`` or ``handover``; ``owner`` when
    the question was handed to someone else (who answers in the owner's place); ``yours``: told
    to the person asked (:func:`waiting_on_you`)."""
    thing = f"'{what}'" if what else "their item"
    if owner:
        verb = {"accepts": "takes", "done": "did", "handover": "takes over"}.get(role, "takes")
        return f"say whether {owner} {verb} {thing}"
    if role == "done":
        return f"say whether {thing} was done"
    if role == "handover":
        return f"say whether {'you' if yours else 'they'} take over {thing}"
    return f"accept {thing}"


def task_confirm_cancel() -> str:
    return "confirm cancelling the run (yes or no)"


def task_reassign(what: str, declined_by: str) -> str:
    return f"name a new owner for '{what}' ({declined_by} declined it)"


def run_show_waiting(names: list[str]) -> str:
    """In ``runs show``'s first line, after the step an open run is at: whom it waits for."""
    return f", waiting for {', '.join(names)}"


def run_show_untaken(conversation: str) -> str:
    """Whom a run nobody has taken yet (an alert's that named nobody) waits for, in ``runs show``."""
    return f"anyone in {conversation} (nobody has taken the run yet)"


def run_show_nobody_yet() -> str:
    """``runs show``'s facilitator of a run nobody has taken yet: the first to answer leads it."""
    return "nobody yet (the first to answer takes the run)"


def run_show_trigger(event: dict[str, Any]) -> str:
    """``runs show``'s line on the trigger that started a run: the alert (or check, or hook) behind it."""
    key = f", key {event['dedup_key']}" if event.get("dedup_key") else ""  # the generic hook's may have none
    said = f"trigger: {event['source']}{key} (event {event['id']})"
    if event.get("route"):
        said += f", route {event['route']}"
    said += f"; first seen {event['first_seen_at']}, last seen {event['last_seen_at']}"
    said += f", fired {event['notifications']} time(s)"
    return said + (f"; resolved {event['resolved_at']}" if event.get("resolved_at") else "; firing")
