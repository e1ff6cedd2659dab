"""What a Slack post teaches the ledger, and a question answered before it reached Slack.

Once Slack took a post (:class:`bot.channels.slack_send.Poster`), one commit, kept through the
loss of its group commit (``kept_write``), records what it teaches: a new thread's root, a prompt
with widgets (or a question without widgets that supersedes the person's last one), a run's end;
the prompts it moved past or closed lose their widgets. A reply posted in its person's direct
message is noted for the outbox's mark (``said_in``), which makes its row name that conversation. A
question answered while it waited in the outbox is posted answered, without widgets ("answered by"
its person, as Teams shows it); one answered while it was being posted is redrawn answered once
that answer is committed.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.said_alone import SaidAlone
from bot.channels.slack_dms import is_dm
from bot.channels.slack_withdraw import PLACEHOLDER, Withdrawals, slack_user
from bot.model import Actor, Reply
from bot.outbox import Queued
from bot.store import group, kept_write, transcript
from bot.store import slack as store


@dataclass(frozen=True)
class Target:
    """Where a reply goes (chosen by :meth:`bot.channels.slack_send.Poster.target`)."""

    channel: str
    thread_ts: str | None
    ephemeral_to: str | None = None  # a Slack user id: chat.postEphemeral
    becomes_root: bool = False  # the first message of a run in a bare channel


@dataclass(frozen=True)
class Late:
    """A question's answer taken before the question reached Slack: by whom, and what."""

    user: str  # their Slack user id
    text: str  # the answer taken, as shown (see shown_value)
    actor_id: str


def shown_value(value: Any, expects: dict[str, Any] | None, typed: str) -> str:
    """An accepted answer as the "answered by" line shows it (as Teams shows it): Yes or No, an
    option's label, a person as a live mention, a date as the run took it with its weekday, a number as
    the run took it; the words
    typed when the run took no value (a 'done', a skip)."""
    if isinstance(value, bool):
        return texts.slack_button_yes() if value else texts.slack_button_no()
    if isinstance(value, dict) and "id" in value:
        person = Actor.from_dict(value)
        user = slack_user(person)
        return blocks.mention(user) if user else person.name
    if value is None:
        return typed
    for option in (expects or {}).get("options") or []:
        if option.get("value") == value:
            return str(option.get("label") or value)
    if (expects or {}).get("type") == "date":
        with contextlib.suppress(ValueError):
            return texts.slack_date_answered(date.fromisoformat(str(value)))
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


class Posted(Withdrawals):
    """What a post teaches, for :class:`bot.channels.slack_send.Poster`."""

    said: SaidAlone  # replies posted in a person's direct message, until the outbox asks

    def _note_said(self, item: Queued, target: Target) -> None:
        """``item`` was posted at ``target``: in its person's direct message, noted for the
        outbox's mark (see ``Channel.said_in``)."""
        if is_dm(target.channel):
            self.said.note(item, f"{item.reply.conversation.channel}:{target.channel}")

    def _answered_already(self, item: Queued, payload: dict[str, Any]) -> Late | None:
        """Who answered a question with widgets already, and what they typed (a committed
        answer: one still in an open group commit could yet be lost)."""
        reply = item.reply
        asked = self._asked(reply)
        answerer = slack_user(asked)
        if "blocks" not in payload or answerer is None or asked is None:
            return None
        conn = self.db.conn
        late = transcript.answer_after(conn, reply.run_id, reply.step, asked.id, item.id)
        if late is None:
            return None
        value = store.late_value(conn, reply.run_id, reply.step, asked.id, item.id)
        return Late(answerer, shown_value(value, reply.expects, late[1]), asked.id)

    def _asked(self, reply: Reply) -> Actor | None:
        """Who answers a question: the person it asks; for the placeholder facilitator of a run
        that named none, whoever has claimed the run since (nobody yet: the placeholder)."""
        if reply.to is None or reply.to.id != PLACEHOLDER.id:
            return reply.to
        row = self.db.conn.execute("SELECT facilitator_id FROM runs WHERE id = ?", (reply.run_id,)).fetchone()
        return Actor(row[0], row[0].split(":", 1)[-1]) if row and row[0] != PLACEHOLDER.id else reply.to

    async def _answered_meanwhile(self, item: Queued, channel: str, ts: str, payload: dict[str, Any]) -> None:
        """An answer taken while the question was being posted could not find it (its prompt row
        is saved only now): once that answer is committed, redraw the question as answered."""
        with contextlib.suppress(sqlite3.Error):
            await group.settled(self.db.conn)
        late = self._answered_already(item, payload)
        if late is None:
            return
        answer = partial(store.answer_prompt, channel=channel, ts=ts, actor_id=late.actor_id, answer=late.text)
        await group.writable(self.db.conn, math.inf)
        if kept_write(self.db, partial(answer, now=self.clock())):  # kept: Slack shows it answered
            self.update_later(channel, ts, blocks.answered(payload["text"], late.user, late.text))

    def _remember(
        self, item: Queued, reply: Reply, target: Target, ts: str, payload: dict[str, Any], answered: Late | None = None
    ) -> None:
        """What Slack's answer teaches: a thread's root, a prompt with widgets (or a question that
        supersedes one), a run's end (one commit, kept through the loss of its group commit: see
        kept_write). A question may move the run past the prompts of others (handed to the
        facilitator) and a run's end closes all: their widgets go."""
        question = reply.kind == "prompt" and reply.to is not None
        if not (target.becomes_root or "blocks" in payload or question or reply.kind == "summary"):
            return
        now = self.clock()
        actor = reply.to.id if reply.to else None

        def write(conn: sqlite3.Connection) -> tuple[store.Asked | None, list[store.PromptRow]]:
            asked: store.Asked | None = None
            closed: list[store.PromptRow] = []
            if target.becomes_root:
                store.add_thread(conn, target.channel, ts, reply.run_id, now)
            if "blocks" in payload:
                text, expects = payload["text"], reply.expects
                asked = store.add_prompt(
                    conn, target.channel, ts, item.id, reply.run_id, actor, text, expects, now, PLACEHOLDER.id
                )
                if answered is not None:  # posted answered: nothing to redraw
                    store.answer_prompt(conn, target.channel, ts, answered.actor_id, answered.text, now)
            elif question:  # a question without widgets still moves this person on from the last one
                asked = store.supersede_prompts(conn, reply.run_id, actor, now, PLACEHOLDER.id, (target.channel, ts))
            if reply.kind == "summary":
                closed = store.close_run(conn, reply.run_id, now)
            return asked, closed

        asked, closed = kept_write(self.db, write)
        if target.becomes_root:  # a move's root: the questions it left behind link its thread
            self.relink(reply.run_id, target.channel, ts, item.id)
        for row in asked.superseded if asked else []:
            self.update_later(row.channel, row.ts, blocks.withdrawn(row.text))
        for row in closed:
            self.update_later(
                row.channel, row.ts, blocks.withdrawn(row.text, blocks.escape(texts.slack_prompt_run_ended()))
            )
        if question and asked and asked.unasked:  # found by the write: no second read of the run's prompts
            self.withdraw_found(reply.run_id, asked.unasked)
