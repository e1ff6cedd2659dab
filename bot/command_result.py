"""What a chat command answers (:class:`CommandResult`), and the codes commands name runs and
actions by: ``3`` or ``#3`` for a run, ``A12`` for an action of the ledger."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from bot.dispatch import TurnResult
from bot.model import ConversationKey
from bot.store import runs


@dataclass
class CommandResult:
    """What to answer the person who typed the command (privately where the platform can)."""

    text: str
    ok: bool = True
    started: TurnResult | None = None
    cancelled: TurnResult | None = None
    runs: list[dict[str, object]] = field(default_factory=list)
    queued_on: str | None = None  # a channel the command queued a reply on (its outbox to wake)
    private: bool = False  # the caller's own business (their actions, a status asked elsewhere): never for a channel
    told: ConversationKey | None = None  # the decision's conversation, told of a change to its action
    told_run: int | None = None  # the run that made that decision
    about: tuple[int, ...] = ()  # the runs the answer speaks of (a channel may name their people)
    refused_writer: bool = (
        False  # a refusal of what its writer may not do ('cancel 22' not theirs): named where others read
    )

    def told_where_typed(self, typed: ConversationKey, thread_run: int | None) -> bool:
        """Whether the notice to the decision's conversation goes where the command was typed
        (``typed``, with its thread; ``thread_run`` the run that thread belongs to): that notice
        is then the one message there, and the command's own answer would repeat it."""
        if self.told is None:
            return False
        return self.told == typed or (thread_run is not None and thread_run == self.told_run)

    def said_by_notice(self, conn: sqlite3.Connection, typed: ConversationKey) -> bool:
        """Whether what the command queued for the conversation it was ``typed`` in (no threads:
        a Rasa sender's) says what its answer would: the notice to the decision's conversation,
        or the cancel of that conversation's run."""
        if self.told_where_typed(typed, None):
            return True
        cancelled = runs.load_run(conn, self.cancelled.run_id) if self.cancelled else None
        return cancelled is not None and cancelled.conversation == typed


def run_id_of(args: list[str]) -> int | None:
    if not args:
        return None
    token = args[0].lstrip("#")  # ASCII digits that fit the ledger's ids: '²' and 10**30 name no run
    return int(token) if token.isascii() and token.isdigit() and len(token) <= 18 else None


def action_id_of(args: list[str]) -> int | None:
    """An action's code, ``A12`` (or ``a12``, ``#A12``): never a bare number, which in a run's
    summary and its corrections ("action 2") is the item of that run, not an action of the ledger."""
    token = args[0].lstrip("#") if args else ""
    return run_id_of([token[1:]]) if token[:1] in ("A", "a") else None
