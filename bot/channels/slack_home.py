"""The bot's Home tab in Slack: what a person has to do, drawn from the ledger each time they open
it (``app_home_opened``, tab ``home``), pure: the view ``views.publish`` is given for them alone.

Four parts: their open actions (each with its code, decision and run, its due date with the
weekday, overdue marked; a Done button and a date picker to move it), the questions of runs waiting
on their answer (with where to answer: the channel's thread, or a DM ``#N answer``), the open
actions of the decisions they lead that others own (with a Done button: ``done A12`` typed by them
marks one done in its owner's place, so the button does, after a dialog saying so), and the open
runs they facilitate, each with what it waits for in the words ``status N`` uses. A view holds 100
blocks at most: what does not fit is cut, the part saying how many more and where to see them.
On top, a "Start a decision" button opens the form that starts one (:mod:`bot.channels.slack_modal_start`).

Its widgets: Done (its value the action's code) and the date picker; a click read back as the
command it stands for, and the tab opened and published: :mod:`bot.channels.slack_home_tab`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.slack_modal import HOME_START
from bot.channels.slack_send import is_dm
from bot.channels.slack_turns import NAME
from bot.dispatch import Dispatcher
from bot.engine import waiting
from bot.model import Actor
from bot.run_commands import turn_of
from bot.run_commands import waiting_for as run_waits_for
from bot.store import actions, placing, transcript
from bot.store.actions import ActionRow
from bot.store.runs import RUN_COLUMNS, RunRow

log = logging.getLogger("decisionbot.slack")

#: Block Kit's limits on a Home tab view (https://docs.slack.dev/reference/views/home-tab-views,
#: https://docs.slack.dev/reference/block-kit/blocks/header-block).
VIEW_BLOCKS, HEADER_LIMIT = 100, 150
#: A confirmation dialog's limits (https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object):
#: its title, its text, each of its two buttons.
DIALOG_TITLE, DIALOG_TEXT, DIALOG_BUTTON = 100, 300, 30
#: The action ids of the Home tab's widgets: Done (its value the action's code, ``A12``) and the
#: date picker (its block id ``home_due:A12``).
DONE, DUE = "home_done", "home_due"


# --- what the Home tab shows ----------------------------------------------------------------


@dataclass(frozen=True)
class HomeData:
    """What one person's Home tab shows, read from the ledger."""

    actions: list[ActionRow]
    today: str  # their own calendar's date: what is overdue
    waiting: list[tuple[RunRow, list[str], str | None]]  # a run waiting on them, what it asks, where (None: DM)
    led: list[tuple[RunRow, list[str]]]  # a run they facilitate, and what it waits for
    others: list[ActionRow] = field(default_factory=list)  # open actions of decisions they lead, others'


def read(dispatcher: Dispatcher, actor: Actor) -> HomeData:
    """``actor``'s open actions, the runs waiting on their answer and the open runs they lead."""
    conn = dispatcher.db.conn
    today = dispatcher.clock().astimezone(dispatcher.tz_for(actor)).date().isoformat()
    asked: list[tuple[RunRow, list[str], str | None]] = []
    for n, row in enumerate(placing.runs_waiting_on(conn, NAME, actor.id)):
        if n >= VIEW_BLOCKS:  # never shown (a view holds fewer): counted in "and N more", not read
            asked.append((row, [], None))
            continue
        turn = turn_of(dispatcher, row)
        where = None if transcript.asked_privately(conn, row.id, actor.id) else row.conversation.conversation
        asked.append((row, waiting.tasks_of(turn, actor.id) if turn is not None else [], where))
    led = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE status IN ('active', 'stalled') AND facilitator_id = ? ORDER BY id",
        (actor.id,),
    ).fetchall()
    leading = [
        (row, run_waits_for(dispatcher, row) if n < VIEW_BLOCKS else [])
        for n, row in enumerate(map(RunRow.from_row, led))
    ]
    return HomeData(actions.open_actions(conn, actor.id), today, asked, leading, actions.led_by(conn, actor.id))


def view(data: HomeData, note: str | None = None) -> dict[str, Any]:
    """The Home tab view of ``data`` (``note``: the answer to the click that drew it again, on top),
    within Block Kit's 100 blocks: each part cut as needed, saying how many more it had."""
    parts = [
        (texts.home_your_actions(), [_action(a, data.today) for a in data.actions], texts.home_more_actions),
        (
            texts.home_waiting_on_you(),
            [_waiting(row, asked, where) for row, asked, where in data.waiting],
            texts.home_more_waiting,
        ),
        (
            texts.home_actions_you_lead(),
            [_led_action(a, data.today) for a in data.others],
            texts.home_more_actions_led,
        ),
        (texts.home_runs_you_lead(), [_led(row, waits) for row, waits in data.led], texts.home_more_led),
    ]
    shown = [(title, items, more) for title, items, more in parts if items]
    top = [*([_context(note)] if note else []), _start_button()]
    if not shown:
        return {"type": "home", "blocks": [*top, _section(texts.home_empty())]}
    footer = [{"type": "divider"}, _context(texts.home_footer())]
    room = VIEW_BLOCKS - len(top) - len(footer) - (len(shown) - 1)  # a divider between parts
    kept = _fitted([items for _, items, _ in shown], room)
    body: list[dict[str, Any]] = []
    for (title, items, more), count in zip(shown, kept, strict=True):
        body += [{"type": "divider"}] if body else []
        body.append(_header(title))
        body += [block for item in items[:count] for block in item]
        body += [_context(more(len(items) - count))] if count < len(items) else []
    return {"type": "home", "blocks": [*top, *body, *footer]}


def _start_button() -> dict[str, Any]:  # the form of bot.channels.slack_modal_start
    button = {"type": "button", "action_id": HOME_START, "style": "primary", "text": _plain(texts.home_start_button())}
    return {"type": "actions", "block_id": HOME_START, "elements": [button]}


def _fitted(parts: list[list[list[dict[str, Any]]]], room: int) -> list[int]:
    """How many items of each part fit in ``room`` blocks, each part with its header and, when cut,
    its "and N more": the part taking the most blocks gives up its last item first."""
    kept = [len(items) for items in parts]
    used = [sum(len(item) for item in items) for items in parts]

    def total() -> int:
        return sum(1 + used[i] + (kept[i] < len(parts[i])) for i in range(len(parts)))

    while total() > room:
        i = max(range(len(parts)), key=lambda n: used[n])
        kept[i] -= 1
        used[i] -= len(parts[i][kept[i]])
    return kept


def _action(action: ActionRow, today: str) -> list[dict[str, Any]]:
    """An open action: what it is, with a Done button; then a date picker to move it."""
    overdue = bool(action.due and action.due < today)
    what, title = blocks.escape(action.what), blocks.escape(action.title)
    text = texts.home_action(action.id, what, title, action.run_id, action.due, overdue)
    code = f"A{action.id}"
    done = {"type": "button", "action_id": DONE, "value": code, "text": _plain(texts.home_done_button())}
    picker: dict[str, Any] = {
        "type": "datepicker",
        "action_id": DUE,
        "placeholder": _plain(texts.home_due_placeholder()),
    }
    if action.due and is_date(action.due):
        picker["initial_date"] = action.due
    section = {**_section(text), "block_id": f"home_action:{code}", "accessory": done}
    return [section, {"type": "actions", "block_id": f"{DUE}:{code}", "elements": [picker]}]


def _led_action(action: ActionRow, today: str) -> list[dict[str, Any]]:
    """An open action of a decision this person leads that someone else owns, with a Done button:
    ``done A12`` typed by them marks it done in the owner's place (:mod:`bot.action_commands`), so
    the button does, once its dialog says so; its due date is the owner's to move (no picker)."""
    overdue = bool(action.due and action.due < today)
    what, title = blocks.escape(action.what), blocks.escape(action.title)
    owner = action.owner_name or action.owner_id or ""
    text = texts.home_led_action(action.id, what, blocks.escape(owner), title, action.run_id, action.due, overdue)
    code = f"A{action.id}"
    asked = texts.home_done_for_owner(action.what, owner)
    confirm = {
        "title": _plain(texts.home_done_for_owner_title(), DIALOG_TITLE),
        "text": _plain(asked, DIALOG_TEXT),
        "confirm": _plain(texts.home_done_for_owner_yes(), DIALOG_BUTTON),
        "deny": _plain(texts.home_done_for_owner_no(), DIALOG_BUTTON),
    }
    done = {
        "type": "button",
        "action_id": DONE,
        "value": code,
        "text": _plain(texts.home_done_button()),
        "confirm": confirm,
    }
    return [{**_section(text), "block_id": f"home_led_action:{code}", "accessory": done}]


def _waiting(row: RunRow, asked: list[str], where: str | None) -> list[dict[str, Any]]:
    """A run waiting on this person: what it asks of them, and where to answer (the channel it was
    asked in: its thread there, or a direct message)."""
    title = blocks.escape(_title(row))
    task = blocks.escape("; ".join(asked)) if asked else ""
    return [_section(texts.home_waiting(row.id, title, task, None if where is None or is_dm(where) else where))]


def _led(row: RunRow, waits: list[str]) -> list[dict[str, Any]]:
    title = blocks.escape(_title(row))
    return [_section(texts.home_led(row.id, title, row.flow_id, [blocks.escape(w) for w in waits]))]


def _title(row: RunRow) -> str:
    return str(row.context.trigger.get("title") or row.flow_id)


def is_date(text: str) -> bool:
    """``text`` is a date as Slack's date picker gives one (``2026-12-18``)."""
    try:
        return len(text) == 10 and date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": blocks.fit(text)}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:HEADER_LIMIT]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": blocks.fit(text)}]}


def _plain(text: str, limit: int | None = None) -> dict[str, Any]:
    shown = blocks.label_shown(text) if limit is None else (text if len(text) <= limit else text[: limit - 1] + "…")
    return {"type": "plain_text", "text": shown}
