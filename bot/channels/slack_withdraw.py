"""Questions taken away in Slack: a prompt the run moved past, or one no longer its person's
(handed to the facilitator, closed by another's answer, the run ended), redrawn without its
widgets and saying why; and who a Slack user is among the run's people."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from sqlite_utils import Database

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.slack_behind import Links
from bot.channels.slack_side import SideCalls
from bot.model import Actor, placeholder_facilitator
from bot.store import kept_write, runs
from bot.store import slack as store
from bot.store import slack_moves as store_moves

#: Whom a triggered run that named no facilitator asks, until someone claims it.
PLACEHOLDER = placeholder_facilitator("slack")
USER_ID = re.compile(r"[UW][A-Z0-9]+")


def slack_user(actor: Actor | None) -> str | None:
    """The Slack user id of ``actor``; None for someone who is not a Slack user (a placeholder
    facilitator of a triggered run, a person from another platform)."""
    if actor is None or actor.channel != "slack" or not USER_ID.fullmatch(actor.platform_id):
        return None
    return actor.platform_id


def _handed_over(run: runs.RunRow | None, row: store.PromptRow, step: str | None) -> str | None:
    """The "handed to <@U..>" reason when the run now asks someone else ``row``'s question
    (``step``), escalated to them; None otherwise (mrkdwn)."""
    prompts = run.context.prompts if run is not None else []
    to = next((p.actor for p in prompts if p.escalated and p.step == step and p.to["id"] != row.actor_id), None)
    if to is None:
        return None
    user = slack_user(to)
    return texts.slack_prompt_handed_over(blocks.mention(user) if user else blocks.escape(to.name))


def _closed_by_answer(run: runs.RunRow | None, row: store.PromptRow) -> str | None:
    """Why ``row``'s person is asked nothing now when another's answer closed their question
    (``complete_when: any``), in the engine's words (mrkdwn); None otherwise."""
    closed = run.context.closed_note(row.actor_id or "") if run is not None else None
    return blocks.escape(closed) if closed else None


class Withdrawals(SideCalls):
    """The prompt withdrawals of :class:`bot.channels.slack_send.Poster`."""

    db: Database
    clock: Callable[[], datetime]
    client: Any

    def withdraw(self, row: store.PromptRow | None) -> None:
        """A prompt the run moved past, found still open (its successor not posted yet): close it
        and take its widgets away."""
        if row is None or row.status != "open":
            return
        if kept_write(self.db, partial(store.supersede_prompt, channel=row.channel, ts=row.ts, now=self.clock())):
            self.update_later(row.channel, row.ts, blocks.withdrawn(row.text))

    def withdraw_unasked(self, run_id: int, keep: tuple[str, str] | None = None) -> dict[tuple[str, str], str]:
        """Close the open prompts of people the run no longer asks (their question was handed to
        the facilitator, or dropped) and take their widgets away, saying why. Returns why, by
        (channel, ts); ``keep``: a prompt just posted, left alone."""
        return self.withdraw_found(run_id, store.unasked_prompts(self.db.conn, run_id, PLACEHOLDER.id, keep))

    def withdraw_found(
        self, run_id: int, found: list[tuple[store.PromptRow, str | None]]
    ) -> dict[tuple[str, str], str]:
        """Close these open prompts of people run ``run_id`` no longer asks, each with its step
        (:func:`bot.store.slack.unasked_prompts`), as :meth:`withdraw_unasked` does."""
        if not found:
            return {}
        prompts = [(row.channel, row.ts) for row, _ in found]
        taken = kept_write(self.db, partial(store.supersede_these, prompts=prompts, now=self.clock()))
        run = runs.load_run(self.db.conn, run_id)
        reasons: dict[tuple[str, str], str] = {}
        for row, step in found:
            if (row.channel, row.ts) not in taken:
                continue
            reason = (
                _handed_over(run, row, step)
                or _closed_by_answer(run, row)
                or blocks.escape(texts.slack_prompt_not_asked())
            )
            reasons[(row.channel, row.ts)] = reason
            self.update_later(row.channel, row.ts, blocks.withdrawn(row.text, reason))
        return reasons

    @cached_property
    def links(self) -> Links:
        """The new threads' links of moved runs, as Slack gave them (:mod:`bot.channels.slack_behind`)."""
        return Links()

    def relink(self, run_id: int, channel: str, root: str, message_id: int) -> None:
        """Outbox message ``message_id`` of run ``run_id`` posted at ``channel``/``root``, the root of
        a thread: when it is the root of the run's latest move, the questions that move left in its
        old thread, redrawn without widgets, now link the new thread (not only its channel)."""
        left = store_moves.left_by_root(self.db.conn, run_id, channel, message_id)
        if left:
            self.spawn(self._relinked(run_id, channel, root, left))

    async def _relinked(self, run_id: int, channel: str, root: str, left: list[store.PromptRow]) -> None:
        link = await self.links.link(self.client, channel, root)
        if link is None:
            return  # (their redraw names the channel: enough to find it)
        pointer = texts.slack_prompt_moved_away(run_id, blocks.channel_link(channel), link)
        for row in left:
            self.update_later(row.channel, row.ts, blocks.withdrawn(row.text, pointer))

    def why_gone(self, row: store.PromptRow) -> str | None:
        """Why a superseded prompt was taken away, when there is more to say than "see the latest
        question": the run has ended, its question went to the facilitator, or the run asks its
        person nothing now (mrkdwn)."""
        conn = self.db.conn
        run = runs.load_run(conn, row.run_id)
        if run is None or run.status in ("completed", "cancelled"):
            return blocks.escape(texts.slack_prompt_run_ended())
        handed = _handed_over(run, row, store.prompt_step(conn, row.channel, row.ts))
        if handed is None and row.actor_id not in (PLACEHOLDER.id, *run.context.asked_ids()):
            return _closed_by_answer(run, row) or blocks.escape(texts.slack_prompt_not_asked())
        return handed
