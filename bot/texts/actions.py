"""What the bot says when an action changes after its decision: its due date moved (``due A12
DATE``) or the action dropped (``drop A12 [why]``)."""

from __future__ import annotations


def command_needs_due() -> str:
    return "Say which action and its new due date: due A12 next friday (or 2026-12-18, in 2 weeks, end of month)."


def command_needs_action_to_drop() -> str:
    return "Say which action by its code, as 'actions' shows it, and why if you like: drop A12 the vendor left."


def action_due_unreadable(phrase: str) -> str:
    return f"I can't read '{phrase}' as a date. Try: due A12 next friday, in 2 weeks, end of month or 2026-12-18."


def action_due_past(day: str, today: str) -> str:
    return f"{day} has passed (today is {today}). Give a date from today on."


def action_due_unchanged(what: str, due: str | None) -> str:
    return f"'{what}' is already due on {due}."


def action_due_set(what: str, old: str | None, new: str) -> str:
    return f"'{what}' is now due on {new}" + (f" (was {old})." if old else ".")


def action_due_moved(by: str, in_place_of: str | None, what: str, title: str, old: str | None, new: str) -> str:
    whose = f"{in_place_of}'s action" if in_place_of else "their action"
    was = f" (was {old})" if old else ""
    return f"{by} moved the due date of {whose} '{what}' (from '{title}') to {new}{was}."


def action_dropped_now(what: str, title: str) -> str:
    return f"Dropped: '{what}' (from '{title}'). It is no longer listed or chased."


def action_dropped_notice(by: str, in_place_of: str | None, what: str, title: str, why: str) -> str:
    whose = f"{in_place_of}'s action" if in_place_of else "their action"
    return f"{by} dropped {whose} '{what}' (from '{title}')" + (f": {why}" if why else ".")
