"""A run started in chat on Teams or through a Rasa assistant begins its transcript as a Slack
start does (bot/store/starts.py): first the start as its person typed it (``in``, kind ``start``,
``payload`` the platform's message, ``created_at`` when it came), then the run's first question.
Before, those transcripts began with the first question: who started the run, and with what words,
was in no row. A start that starts nothing leaves no row; no measure counts a start as a message
sent. Teams: the real server and botbuilder against the fake Bot Connector; Rasa: ``decisionbot
rasa-actions`` in a subprocess; real SQLite ledgers."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES
from bot.channels.rasa_store import message_key
from tests.rasa_support import Server, request, running_actions
from tests.teams_support import ALICE, BOB, Harness, at, in_channel, personal

TRANSCRIPT = "SELECT run_id, direction, kind, actor_id, text, platform_id, created_at FROM messages ORDER BY id"


def inbound_counted(db: Path) -> dict[str, int]:
    """``participation``'s inbound messages, by person, as an analyst reads them."""
    with sqlite3.connect(db) as conn:
        cursor = conn.execute(MEASURES["participation"], Params().bind())
        names = [d[0] for d in cursor.description]
        return {r["person"]: r["inbound_messages"] for r in (dict(zip(names, row, strict=True)) for row in cursor)}


async def test_a_teams_start_typed_in_a_channel_begins_its_transcript(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        typed = in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB)
        await h.send(typed)
        await h.settle()
        rows = h.db(TRANSCRIPT)
        start, first = rows[0], rows[1]
        assert start[:5] == (1, "in", "start", "teams:29:1alice", "start post_meeting @Bob_Builder Weekly sync")
        assert start[5] is not None and typed["id"] in start[5]
        assert first[:3] == (1, "out", "prompt") and "Weekly sync" in first[4]
        assert start[6] <= first[6]
        [(payload,)] = h.db("SELECT payload FROM messages WHERE kind = 'start'")
        assert json.loads(payload)["id"] == typed["id"]  # the activity as Teams sent it
        root = h.fake.posts()[0].answer_id  # the run's first question opened its thread
        await h.send(in_channel(h.url, ALICE, "We ship in March", root=root))
        await h.settle()
        assert h.db("SELECT run_id, step, raw FROM answers") == [(1, "decision", "We ship in March")]
        # counted as the run Alice facilitates, never as a message she sent: her answer alone is one
        assert inbound_counted(tmp_path / "teams.db")["teams:29:1alice"] == 1


async def test_a_teams_start_that_starts_nothing_leaves_no_row(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start no_such_flow Weekly sync"))
        await h.send(personal(h.url, ALICE, "list"))
        await h.settle()
        said = [p.text for p in h.fake.posts()]
        assert said[0] == "There is no flow 'no_such_flow'. Flows: metric_breach, post_meeting.", said
        assert said[1].startswith("No open decision runs here."), said  # the start was read, and refused
        assert h.db("SELECT count(*) FROM runs") == [(0,)]
        assert h.db("SELECT count(*) FROM messages WHERE direction = 'in'") == [(0,)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def run_rows(server: Server, run_id: int) -> list[tuple[Any, ...]]:
    return server.sql(
        "SELECT direction, kind, actor_id, text, platform_id, payload FROM messages WHERE run_id = ? ORDER BY id",
        run_id,
    )


def test_a_rasa_start_typed_begins_its_transcript(server: Server) -> None:
    _, started = server.act("action_decision_answer", "uma", "start post_meeting Retro", message_id="uma-1")
    [(run_id,)] = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:uma'")
    rows = run_rows(server, run_id)
    assert rows[0][:5] == ("in", "start", "rasa:uma", "start post_meeting Retro", message_key("uma", "uma-1"))
    assert json.loads(rows[0][5])["message_id"] == "uma-1"  # Rasa's latest_message
    assert rows[1][:2] == ("out", "prompt")
    assert inbound_counted(server.db).get("rasa:uma", 0) == 0
    _, refused = server.act("action_decision_answer", "wes", "start no_such_flow Retro", message_id="wes-1")
    assert "no_such_flow" in refused["responses"][0]["text"]
    assert server.sql("SELECT count(*) FROM messages WHERE actor_id = 'rasa:wes'") == [(0,)]


def test_a_rasa_start_typed_in_a_message_with_no_id_keeps_none(server: Server) -> None:
    """A connector that numbers no messages: the start row has no delivery id (NULL, as a start
    by the assistant's action keeps it; before, '' here: a row lookups by delivery id could match)."""
    body = request("action_decision_answer", "noa", "start post_meeting Retro")
    del body["tracker"]["latest_message"]["message_id"]
    assert server.post(body)[0] == 200
    [(run_id,)] = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:noa'")
    assert run_rows(server, run_id)[0][:5] == ("in", "start", "rasa:noa", "start post_meeting Retro", None)


def test_a_rasa_start_by_the_assistants_action_begins_with_the_message_that_called_it(server: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly sync"}
    server.act("action_decision_start", "vic", "let's record what we decided", slots=slots, message_id="vic-1")
    [(run_id,)] = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:vic'")
    rows = run_rows(server, run_id)
    assert rows[0][:5] == ("in", "start", "rasa:vic", "let's record what we decided", message_key("vic", "vic-1"))
    assert rows[1][:2] == ("out", "prompt")
