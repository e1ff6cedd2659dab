"""The bot's Home tab in Slack: what a person has to do, drawn from the ledger each time they open
it (``app_home_opened``, tab ``home``) and published with ``views.publish`` for them alone.

Four parts: their open actions (each with its code, decision and run, its due date with the
weekday, overdue marked; a Done button and a date picker to move it), the questions of runs waiting
on their answer (with where to answer: the channel's thread, or a DM ``#N answer``), the open
actions of the decisions they lead that others own (with a Done button: ``done A12`` typed by them
marks one done in its owner's place, so the button does, after a dialog saying so), and the open
runs they facilitate, each with what it waits for in the words ``status N`` uses. A view holds 100
blocks at most: what does not fit is cut, the part saying how many more and where to see them.
On top, a "Start a decision" button opens the form that starts one (:mod:`bot.channels.slack_modal_start`).

A button or a date picked on the Home tab is the command typed in a DM (``done A12``,
``due A12 2026-12-18``), carried out by the same path (:meth:`Turns._once`: once per click, in the
savepoint that records its delivery id, as the clicker, in their direct message's conversation), so
the ledger's rows and the decision's notice are those of the typed command, and the clicker may do
what they could type, nothing more: a payload naming someone else's action is refused as
``done A12`` typed by them is. The view is drawn again after a click, its answer on top (until
the tab is opened again), and after any change of what it shows (:mod:`bot.channels.slack_home_redraw`).

Publishing is a side call (:mod:`bot.channels.slack_side`), once the request is committed: not
queued in the outbox, retried while Slack refuses it for now, a refusal for good logged; a failure
never fails the request that asked for it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import texts
from bot.channels import ChannelDown, DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.slack_events import Malformed, as_dict
from bot.channels.slack_home_redraw import LOOKED_AT_MOST, Redraws
from bot.channels.slack_modal import HOME_START
from bot.channels.slack_send import is_dm
from bot.channels.slack_side import TokenOutage, side_call
from bot.channels.slack_turns import NAME, Turns
from bot.command_result import action_id_of
from bot.dispatch import Dispatcher
from bot.engine import waiting
from bot.model import Actor, ConversationKey
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
    if action.due and _is_date(action.due):
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


def _is_date(text: str) -> bool:
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


# --- a click on the Home tab ----------------------------------------------------------------


@dataclass(frozen=True)
class HomeClick:
    """A widget of the Home tab used: the command it stands for, as a DM would type it."""

    user: str
    command: str | None  # None: a payload that names no action (not ours, or garbled)
    action_ts: str

    @property
    def platform_id(self) -> str:
        return f"home:{self.action_ts}:{self.user}"


def from_home(payload: Mapping[str, Any]) -> bool:
    """Whether a block_actions payload comes from a view (the Home tab: ``container.type`` view)."""
    return as_dict(payload.get("container")).get("type") == "view"


def clicked(payload: Mapping[str, Any]) -> HomeClick:
    """The command a Home tab click stands for (``done A12``, ``due A12 2026-12-18``)."""
    found = payload.get("actions")
    user = as_dict(payload.get("user")).get("id")
    if not isinstance(found, list) or not found or not isinstance(found[0], dict):
        raise Malformed("block_actions without actions")
    if not isinstance(user, str) or not user:
        raise Malformed("block_actions without user.id")
    action = found[0]
    stamp = str(action.get("action_ts") or payload.get("trigger_id") or "")
    return HomeClick(user, _command(action), stamp)


def _command(action: Mapping[str, Any]) -> str | None:
    kind = action.get("action_id")
    if kind == DONE:
        code = action.get("value")
        return f"done {code}" if isinstance(code, str) and action_id_of([code]) is not None else None
    if kind == DUE:
        code = str(action.get("block_id") or "").removeprefix(f"{DUE}:")
        day = action.get("selected_date")
        if action_id_of([code]) is None or not isinstance(day, str) or not _is_date(day):
            return None
        return f"due {code} {day}"
    return None


class AppHome:
    """The Home tab of the Slack channel's turns (:class:`bot.channels.slack_inbound.Inbound`),
    drawn again after the changes of what it shows (:mod:`bot.channels.slack_home_redraw`)."""

    def __init__(self, turns: Turns):
        self.turns = turns
        self.notes: dict[str, str] = {}  # user -> the answer to their last click, on their tab until opened again
        self.shown: dict[str, int] = {}  # user -> the hash of the view Slack last took for them (none: refused)
        self.token = TokenOutage()  # Slack refusing the bot token for the tabs: said once, and in /healthz
        self.redraws = Redraws(turns.services.db.conn, self._publish, turns.poster.spawn, self._stale)

    def opened(self, event: Mapping[str, Any]) -> None:
        """``app_home_opened``: the Home tab drawn for whoever opened it (not the Messages tab)."""
        if event.get("tab") != "home":
            return
        user = event.get("user")
        if not isinstance(user, str) or not user:
            raise Malformed("app_home_opened without user")
        self.redraws.looked(user)
        self.redraws.when_stored(user, lambda: self.notes.pop(user, None))

    async def on_click(self, payload: Mapping[str, Any]) -> None:
        """A Home tab button or date: carried out as the command typed in the clicker's DM, then
        the view drawn again with its answer."""
        click = clicked(payload)
        self.redraws.looked(click.user)
        if click.command is None:
            log.warning(texts.slack_home_click_refused(click.user, "it names no action of the Home tab"))
            return self.redraws.when_stored(click.user)
        turns = self.turns
        try:  # where the command would have been typed (before the turn's write: the lock is not held across it)
            dm = await turns.poster.dm_channel(click.user)
        except (RetryLater, DeliveryFailed, ChannelDown) as exc:
            log.warning(texts.slack_home_no_dm(click.user, str(exc)))
            if isinstance(exc, DeliveryFailed):  # for good: trying again changes nothing
                return self.tell(click.user, blocks.escape(texts.home_dm_refused(click.command, exc.code or str(exc))))
            return self.tell(click.user, texts.home_try_again())
        actor, mentions = await turns._people(click.user, click.command)
        if turns._seen(click.platform_id):
            return
        done = turns._once(click.platform_id, actor, ConversationKey(NAME, dm), click.command, mentions, {})
        if done is None:
            return
        turns._after_command(done)
        self.tell(click.user, blocks.escape(done.text))

    def tell(self, user: str, note: str) -> None:
        """``user``'s tab drawn again once the request is committed, ``note`` (its answer) on top."""
        self.redraws.when_stored(user, lambda: self._noted(user, note))

    def _noted(self, user: str, note: str) -> None:
        self.notes.pop(user, None)
        self.notes[user] = note
        while len(self.notes) > LOOKED_AT_MOST:
            del self.notes[next(iter(self.notes))]

    def _drawn(self, user: str) -> dict[str, Any]:
        """``user``'s Home tab as the ledger has it now."""
        return view(read(self.turns.dispatcher, Actor(f"{NAME}:{user}", user)), self.notes.get(user))

    def _stale(self, user: str) -> bool:
        """Whether ``user``'s tab drawn now differs from the one last published for them."""
        return self.shown.get(user) != _hashed(self._drawn(user))

    async def _publish(self, user: str, drawn: Callable[[], None]) -> None:
        """Publish ``user``'s Home tab, drawn anew on each try (``drawn`` told first)."""
        poster = self.turns.poster
        sent = 0  # the hash of the view the last try sends: remembered once Slack takes it

        def request() -> Awaitable[AsyncSlackResponse]:
            nonlocal sent
            drawn()
            shown = self._drawn(user)
            sent = _hashed(shown)
            return poster.side.views_publish(user_id=user, view=shown)

        try:
            taken = await side_call(
                "views.publish", request, poster.pacer, None, poster.side_retry_for, self._token_refused
            )
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:  # the ledger, or a row it cannot draw
            log.warning(texts.slack_home_not_published(user, f"{type(exc).__name__}: {exc}"))
            return
        if not taken:  # what the tab shows is not known (a try timed out may be shown): drawn at the next look
            self.shown.pop(user, None)
            return
        self._remember(user, sent)
        if (missed := self.token.works()) is not None:
            log.info(texts.slack_home_token_works_again(missed))

    def _remember(self, user: str, digest: int) -> None:
        self.shown.pop(user, None)
        self.shown[user] = digest
        while len(self.shown) > LOOKED_AT_MOST:
            del self.shown[next(iter(self.shown))]

    def _token_refused(self, exc: ChannelDown) -> None:
        """Slack refuses the bot token (revoked, the app uninstalled): one log line until a tab is
        published again, not one a tab; ``/healthz`` says it meanwhile (``SlackChannel.failing``)."""
        if self.token.refused(exc):
            log.warning(texts.slack_home_token_refused(exc.reason))


def _hashed(shown: dict[str, Any]) -> int:
    """A view, as compared with the one published before (kept in memory only)."""
    return hash(json.dumps(shown, sort_keys=True, ensure_ascii=False))
