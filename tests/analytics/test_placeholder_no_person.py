"""A triggered run that names no facilitator (an alert routed to a channel, nobody named) asks the
placeholder ``<channel>:facilitator`` until someone claims it by answering. That placeholder is no
person: ``participation`` (the report and the view) leaves it out, rather than listing a person
"facilitator" with a prompt addressed per alert and none answered (0% response rate). The claimer
counts as the run's facilitator, as before."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.analytics import report
from bot.analytics.measures import Params
from bot.dispatch import Dispatcher
from bot.model import ConversationKey, Message, Trigger
from bot.store import open_readonly
from tests.actions.support import BOB, START, dispatcher
from tests.clock import Clock

ALERTS = ConversationKey("console", "alerts")


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, Clock(START), "metric_breach.yaml")


def test_the_placeholder_facilitator_of_an_unnamed_run_is_nobodys_participation(
    bot: Dispatcher, tmp_path: Path
) -> None:
    claimable = {"claimable": True}  # as an alert's admission starts a run that names nobody
    alert = Trigger(flow="metric_breach", source="generic", kind="alert", title="Checkout", data=claimable)
    claimed = bot.start(alert, ALERTS)
    bot.handle(Message(ALERTS, BOB, "me"), run_id=claimed.run_id)  # Bob claims it, and takes it
    unclaimed = Trigger(flow="metric_breach", source="generic", kind="alert", title="Latency", data=dict(claimable))
    bot.start(unclaimed, ALERTS)  # nobody has said anything in this one yet
    asked = bot.db.conn.execute("SELECT DISTINCT actor_id FROM messages WHERE kind = 'prompt'").fetchall()
    assert ("console:facilitator",) in asked
    conn = open_readonly(tmp_path / "ledger.db").conn
    conn.row_factory = sqlite3.Row
    try:
        reported = report.build(conn, Params())["participation"]
        viewed = [dict(r) for r in conn.execute("SELECT * FROM participation")]
    finally:
        conn.close()
    for rows in (reported, viewed):
        assert [r["person"] for r in rows] == ["console:bob"]
        assert rows[0]["runs_facilitated"] == 1 and rows[0]["answers"] == 1, rows
