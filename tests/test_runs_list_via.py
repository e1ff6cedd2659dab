"""A run a person starts in chat keeps how it came (``via`` in its trigger's data), on every
platform: Slack's ``slash``, ``mention``, ``dm`` (tests/test_slack_runs_list.py), and ``chat`` for
a start typed to the bot on Teams (a channel or a personal chat), asked of the Rasa assistant
(its start action, or ``start FLOW`` typed) and ``decisionbot chat FLOW`` in the terminal.
``runs list``'s trigger column says ``teams``, ``rasa``, ``console`` from it; a run stored before
``via`` was kept lists as it did (its event's source)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.flows_support import shipped_flows
from tests.rasa_support import ROOT, Server, running_actions
from tests.teams_support import ALICE, Harness, in_channel, installed, personal, wait_for
from tests.triggers.test_cli_triggers import cli


def listed(db: Path, flows: Path) -> list[tuple[int, str]]:
    """``runs list --json``: each run's id and trigger column."""
    done = CliRunner().invoke(main, ["--db", str(db), "--flows", str(flows), "runs", "list", "--json"])
    assert done.exit_code == 0, done.output
    return [(r["id"], r["trigger"]) for r in json.loads(done.output)]


def vias(rows: list[tuple[object, ...]]) -> list[tuple[str, object]]:
    """(source, via) of each run's event, oldest first."""
    return [(str(source), json.loads(str(payload)).get("via")) for source, payload in rows]


RUN_EVENTS = "SELECT e.source, e.payload FROM runs r JOIN events e ON e.id = r.event_id ORDER BY r.id"


async def test_a_teams_start_in_a_channel_and_in_a_personal_chat_keeps_via_chat(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE,)))
        await h.send(in_channel(h.url, ALICE, "start post_meeting Weekly sync"))
        await wait_for(lambda: h.db("SELECT count(*) FROM runs") == [(1,)])
        await h.send(personal(h.url, ALICE, "start post_meeting Retro"))
        await wait_for(lambda: h.db("SELECT count(*) FROM runs") == [(2,)])
        assert vias(h.db(RUN_EVENTS)) == [("teams", "chat"), ("teams", "chat")]
        await h.settle()
    assert await asyncio.to_thread(listed, tmp_path / "teams.db", h.flows) == [(2, "teams"), (1, "teams")]


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_a_rasa_start_by_its_action_or_typed_keeps_via_chat_and_a_slot_cannot_say_otherwise(rasa: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly sync", "decision_data": {"via": "slash"}}
    rasa.act("action_decision_start", "ivy", "/decision_start", slots=slots)
    rasa.act("action_decision_answer", "ivy", "start post_meeting Retro")
    assert vias(rasa.sql(RUN_EVENTS)) == [("rasa", "chat"), ("rasa", "chat")]
    assert listed(rasa.db, ROOT / "flows") == [(2, "rasa"), (1, "rasa")]


def test_a_terminal_chat_keeps_via_chat_and_a_run_stored_before_via_lists_as_it_did(tmp_path: Path) -> None:
    flows = shipped_flows(tmp_path / "flows")
    lines = json.dumps({"as": "alice", "text": "We ship in March"}) + "\n"
    for _ in range(2):
        said = cli(tmp_path, flows, "chat", "post_meeting", "-f", "alice", "--jsonl", input=lines)
        assert "The run stays open" in said.output  # the input ended: the run waits, stored
    db = tmp_path / "cli.db"
    with sqlite3.connect(db) as conn:
        assert vias(conn.execute(RUN_EVENTS).fetchall()) == [("console", "chat"), ("console", "chat")]
        conn.execute("UPDATE events SET payload = json_remove(payload, '$.via') WHERE id = 1")  # an older release's
    conn.close()
    assert listed(db, flows) == [(2, "console"), (1, "console")]
