"""What a run waits for, as ``status N`` and ``list`` say it: who, and to do what."""

from __future__ import annotations


def waiting_on(name: str, task: str) -> str:
    return f"{name} to {task}"


def task_answer(question: str) -> str:
    return f'answer "{question}"'


def task_on_item(role: str, what: str, owner: str | None) -> str:
    """An owner's yes/no about their item: ``accepts``, ``done`` or ``handover``; ``owner`` when
    the question was handed to someone else (who answers in the owner's place)."""
    thing = f"'{what}'" if what else "their item"
    if owner:
        verb = {"accepts": "takes", "done": "did", "handover": "takes over"}.get(role, "takes")
        return f"say whether {owner} {verb} {thing}"
    if role == "done":
        return f"say whether {thing} was done"
    if role == "handover":
        return f"say whether they take over {thing}"
    return f"accept {thing}"


def task_reassign(what: str, declined_by: str) -> str:
    return f"name a new owner for '{what}' ({declined_by} declined it)"


def run_show_waiting(names: list[str]) -> str:
    """In ``runs show``'s first line, after the step an open run is at: whom it waits for."""
    return f", waiting for {', '.join(names)}"
