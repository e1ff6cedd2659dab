"""What the bot says of actions after their decision: the owner digest and ``actions`` (each with
its code), ``done A12`` and its refusals, and an action changed: its due date moved (``due A12 DATE``) or dropped (``drop A12 [why]``)."""

from __future__ import annotations


def command_needs_due() -> str:
    return "Say which action and its new due date: due A12 next friday (or 2026-12-18, in 2 weeks, end of month)."


def command_needs_action_to_drop() -> str:
    return "Say which action by its code, as 'actions' shows it, and why if you like: drop A12 the vendor left."


def action_due_unreadable(phrase: str, code: str = "A12") -> str:
    return f"I can't read '{phrase}' as a date. Try: due {code} next friday, in 2 weeks, end of month or 2026-12-18."


def action_due_time_alone(phrase: str, code: str) -> str:
    """``due A1 15:06``: a time of day, where a due date is a day."""
    return (
        f"'{phrase}' is a time of day; a due date is a day. Say which: due {code} tomorrow, next friday or 2026-12-18."
    )


def action_due_no_day_yet(phrase: str, code: str) -> str:
    """``due A1 asap``: no day named."""
    return f"'{phrase}' needs a day here: say the soonest it can be, due {code} today, tomorrow or friday."


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


def owner_digest(name: str, items: list[tuple[int, str, str, str | None, bool]]) -> str:
    """The digest and the answer to ``actions``: each action with its code, for ``done A12``."""
    overdue = sum(1 for *_, late in items if late)
    head = f"{name}, your open actions ({len(items)}" + (f", {overdue} overdue" if overdue else "") + "):"
    lines = [head]
    lines.extend(_action_line(item) for item in items)
    code = f"A{items[0][0]}"
    lines.append(
        f"When one is done, tell me: done {code} (its code). More time: due {code} DATE."
        f" Someone else's now? give {code} @person. Stuck? Tell the facilitator."
    )
    return "\n".join(lines)


def actions_led(items: list[tuple[int, str, str, str | None, bool]], owners: list[str]) -> str:
    """The open actions of the decisions someone leads, with their owners: they may say ``done``."""
    lines = [f"Open actions of decisions you lead ({len(items)}):"]
    lines.extend(_action_line(item, owner) for item, owner in zip(items, owners, strict=True))
    lines.append(f"You may report one done in its owner's place: done A{items[0][0]}.")
    return "\n".join(lines)


def _action_line(item: tuple[int, str, str, str | None, bool], owner: str | None = None) -> str:
    code, what, title, due, late = item
    when = f"due {due}" if due else "no due date"
    whose = f" - {owner}" if owner else ""
    return f"  A{code} {what}{whose} ('{title}'), {when}" + (" - overdue" if late else "")


# --- done A12 and its refusals ----------------------------------------------------------------


def command_one_action_at_a_time(codes: list[str]) -> str:
    """``done A1 A2``: one action a command (nothing was marked)."""
    each = ", then ".join(f"done {code}" for code in codes)
    return f"One action at a time, so none was marked done: say {each}."


def command_needs_action() -> str:
    return "Say which action by its code, as 'actions' and the digest show it: done A12."


def no_open_actions() -> str:
    return "You have no open actions."


def action_unknown(action_id: int) -> str:
    return f"No action A{action_id} of yours (or of a decision you lead). Say 'actions' to see yours."


def action_handed_over(what: str, owner: str | None) -> str:
    """To its former owner: the action changed hands (``give A12 @person``, said yes to)."""
    return f"'{what}' is not yours any more: it was handed over to {owner}. Say 'actions' to see yours."


def action_already_done(what: str, day: str) -> str:
    return f"'{what}' was already marked done ({day})."


def action_dropped(what: str) -> str:
    return f"'{what}' was dropped: there is nothing more to do about it."


def action_marked_done(what: str, title: str, in_place_of: str | None) -> str:
    whose = f" in {in_place_of}'s place" if in_place_of else ""
    return f"Marked done{whose}: '{what}' (from '{title}')."


def action_reported_done(by: str, in_place_of: str | None, what: str, title: str) -> str:
    whose = f"{in_place_of}'s action" if in_place_of else "their action"
    return f"{by} reported {whose} done: '{what}' (from '{title}')."
