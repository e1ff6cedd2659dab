"""A chase job reads its run once before its transaction (its channel, and whom it reaches, looked
up again over the network meanwhile) and once in it (the run as it stands when the job acts on
it): it used to read it three times, twice outside the transaction (the run's channel, then its
people)."""

from __future__ import annotations

import asyncio
import re

from bot.model import Trigger
from tests.triggers.conftest import ALICE, BOB, CAROL, CONV, Process


def test_a_reminder_reads_its_run_once_before_its_transaction_and_once_in_it(proc: Process, clock) -> None:
    for title in ("Weekly sync", "Planning"):
        proc.bot.start(Trigger(flow="post_meeting", title=title, facilitator=ALICE, participants=[BOB, CAROL]), CONV)
    clock.at(hours=4)
    said: list[str] = []
    proc.db.conn.set_trace_callback(said.append)
    ran = asyncio.run(proc.scheduler.run_due())
    proc.db.conn.set_trace_callback(None)
    assert [(job.kind, outcome) for job, outcome in ran] == [("remind", "done"), ("remind", "done")]
    reads = [
        ("in" if opened else "before", int(m[1]))
        for opened, statement in _in_transaction(said)
        if (m := re.search(r"FROM runs WHERE id = (\d+)", statement))
    ]
    assert reads == [("before", 1), ("in", 1), ("before", 2), ("in", 2)]


def _in_transaction(statements: list[str]) -> list[tuple[bool, str]]:
    """Each statement, with whether a transaction was open when it ran."""
    opened, marked = False, []
    for statement in statements:
        word = statement.split()[0].upper()
        opened = opened or word == "BEGIN"
        marked.append((opened, statement))
        opened = opened and word not in ("COMMIT", "ROLLBACK")
    return marked
