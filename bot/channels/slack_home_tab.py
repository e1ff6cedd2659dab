"""The Home tab live: drawn for whoever opens it (``app_home_opened``, tab ``home``), published
with ``views.publish`` for them alone, and its widgets clicked (:mod:`bot.channels.slack_home`
draws it from the ledger).

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
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import texts
from bot.channels import ChannelDown, DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels.slack_events import Malformed, as_dict
from bot.channels.slack_home import DONE, DUE, is_date, read, view
from bot.channels.slack_home_redraw import LOOKED_AT_MOST, Redraws
from bot.channels.slack_side import TokenOutage, side_call
from bot.channels.slack_turns import NAME, Turns
from bot.command_result import action_id_of
from bot.model import Actor, ConversationKey

log = logging.getLogger("decisionbot.slack")


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
        if action_id_of([code]) is None or not isinstance(day, str) or not is_date(day):
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
        # Slack refusing the bot token (revoked, the app uninstalled): one log line until a tab is
        # published again, not one a tab; /healthz says it meanwhile (SlackChannel.failing)
        self.token = TokenOutage(
            lambda _method, error: texts.slack_home_token_refused(error), texts.slack_home_token_works_again
        )
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

    async def on_click(self, click: HomeClick) -> None:
        """A Home tab button or date (:func:`clicked`): carried out as the command typed in the
        clicker's DM, then the view drawn again with its answer."""
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

    def tell_now(self, user: str, note: str) -> None:
        """``user``'s tab drawn again at once, ``note`` on top (what their click came to so far,
        whatever the request's own writes come to)."""
        self._noted(user, blocks.escape(note))
        self.redraws.redraw(user)

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
                "views.publish",
                request,
                poster.pacer,
                None,
                poster.side_retry_for,
                partial(self.token.refused, "views.publish"),
            )
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:  # the ledger, or a row it cannot draw
            log.warning(texts.slack_home_not_published(user, f"{type(exc).__name__}: {exc}"))
            return
        if not taken:  # what the tab shows is not known (a try timed out may be shown): drawn at the next look
            self.shown.pop(user, None)
            return
        self._remember(user, sent)
        self.token.works()

    def _remember(self, user: str, digest: int) -> None:
        self.shown.pop(user, None)
        self.shown[user] = digest
        while len(self.shown) > LOOKED_AT_MOST:
            del self.shown[next(iter(self.shown))]


def _hashed(shown: dict[str, Any]) -> int:
    """A view, as compared with the one published before (kept in memory only)."""
    return hash(json.dumps(shown, sort_keys=True, ensure_ascii=False))
