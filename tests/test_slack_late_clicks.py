"""A click on a question's widget whose turn cannot be stored within Slack's 3 s (another process
holding the ledger's write lock: a backup, cron's ``jobs run-due``) is acknowledged, its person
told "still saving" at the click's ``response_url`` (beside the question, never over it), and the
turn goes on: the question's usual redraw once stored, or "press it again" once it cannot be.
Before, the click was answered 503: Slack's red warning, and the click lost. What is told there
is kept in the ledger as a private reply is. The real server and slack-sdk against the fake Web
API, requests signed for real; the lock held by a connection of the test's own."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.channels.slack_late import shown
from bot.render import render_run
from bot.store.transcript import run_detail
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import SOCKET, Harness, action_body, committed_rows, harness, message, wait_for

ANSWERS = "SELECT count(*) FROM answers"
TOLD = (
    "SELECT run_id, conversation, actor_id, kind, text, private, delivered_at IS NOT NULL, failed_at IS NOT NULL,"
    " json_extract(payload, '$.about') FROM messages WHERE json_extract(payload, '$.via') = 'response_url' ORDER BY id"
)
ACT = {"type": "button", "value": "act", "text": {"type": "plain_text", "text": "Act now"}}


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


@contextmanager
def ledger_held(db: Path) -> Iterator[None]:
    """Another writer holds the ledger's write lock until the block ends."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("COMMIT")
        other.close()


def redrawn(fake: FakeSlack, prompt: dict[str, Any]) -> list[Any]:
    return [c for c in fake.of("chat.update") if c.args["ts"] == prompt["ts"]]


async def response_question(slack: Harness) -> dict[str, Any]:
    """metric_breach started by Alice, who takes it: 'What do we do about it?' with its buttons."""
    await slack.slash("UA", "start metric_breach Checkout")
    thread = (await slack.posts(1))[0]["ts"]
    await slack.event(message("UA", "me", thread_ts=thread))
    await wait_for(lambda: slack.rows(ANSWERS) == [(1,)])
    return (await slack.posts(3))[2]


async def test_a_click_the_ledger_cannot_take_in_3_s_is_told_still_saving_then_redrawn_once_stored(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    prompt = await response_question(slack)
    with ledger_held(tmp_path / "slack.db"):
        began = time.monotonic()
        resp = await slack.click("UA", prompt, ACT, response_url=fake.response_url("c1"))
        assert resp.status == 200 and time.monotonic() - began < 2.9  # before: 503, Slack's red warning
        [told] = await wait_for(lambda: fake.responses("c1"))
        assert told["text"].startswith("Still saving your answer (Act now)")
        assert told["response_type"] == "ephemeral" and told["replace_original"] is False
        await asyncio.sleep(0.5)
        assert committed_rows(slack, ANSWERS) == [(1,)] and redrawn(fake, prompt) == []
    await wait_for(lambda: committed_rows(slack, ANSWERS) == [(2,)])
    [redraw] = await wait_for(lambda: redrawn(fake, prompt))
    assert "Answered by <@UA>: Act now" in redraw.args["text"]
    await asyncio.sleep(0.5)
    assert len(fake.responses("c1")) == 1  # nothing more said: the redraw says it
    conversation = f"slack:C1/{prompt['thread_ts']}"
    assert committed_rows(slack, TOLD) == [(1, conversation, "slack:UA", "info", told["text"], 1, 1, 0, "click")]
    shown = render_run(run_detail(slack.services.db.conn, 1) or {})  # runs show 1
    assert f"bot -> Alice: {told['text']}" in shown


async def test_a_late_click_that_is_not_stored_after_all_tells_its_person_to_press_again(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """Its group commit is lost once the lock is free (a constraint only the commit checks)."""
    prompt = await response_question(slack)
    conn = slack.services.db.conn
    conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute("CREATE TRIGGER doom AFTER INSERT ON answers BEGIN INSERT INTO doomed VALUES (999999); END")
    with ledger_held(tmp_path / "slack.db"):
        assert (await slack.click("UA", prompt, ACT, response_url=fake.response_url("c2"))).status == 200
        await wait_for(lambda: fake.responses("c2"))
    told = await wait_for(lambda: len(fake.responses("c2")) == 2 and fake.responses("c2"))
    assert (
        told[1]["text"] == "Your answer (Act now) could not be saved, so nothing was recorded. Please press it again."
    )
    assert told[1]["replace_original"] is False
    assert committed_rows(slack, ANSWERS) == [(1,)] and redrawn(fake, prompt) == []
    await wait_for(lambda: len(committed_rows(slack, TOLD)) == 2)
    assert [(r[3], r[4]) for r in committed_rows(slack, TOLD)] == [
        ("info", told[0]["text"]),
        ("error", told[1]["text"]),
    ]
    conn.execute("DROP TRIGGER doom")
    assert (await slack.click("UA", prompt, ACT, response_url=fake.response_url("c3"))).status == 200  # pressed again
    assert committed_rows(slack, ANSWERS) == [(2,)] and fake.responses("c3") == []


async def test_over_socket_mode_a_late_click_is_acknowledged_in_time_and_told_still_saving(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Before, its envelope was left unacknowledged: Slack does not send a click again."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await fake.wait_connected()
        slash = {"user_id": "UA", "channel_id": "C1", "text": "start metric_breach Checkout", "trigger_id": "9.9.z",
                 "team_id": "T111", "api_app_id": "A111", "command": "/decision"}  # fmt: skip
        await fake.send_envelope({"envelope_id": "e-1", "type": "slash_commands", "payload": slash})
        thread = (await slack.posts(1))[0]["ts"]
        said = json.loads(json.dumps({"team_id": "T111", "api_app_id": "A111", "type": "event_callback",
                                      "event_id": "Ev1", "event": message("UA", "me", thread_ts=thread)}))  # fmt: skip
        await fake.send_envelope({"envelope_id": "e-2", "type": "events_api", "payload": said})
        prompt = (await slack.posts(3))[2]
        block = next(b for b in prompt["blocks"] if b["type"] == "actions")
        body = action_body("UA", "C1", prompt["ts"], block["block_id"], ACT, thread, fake.response_url("s1"))
        click = json.loads(parse_qs(body.decode())["payload"][0])
        with ledger_held(tmp_path / "slack.db"):
            began = time.monotonic()
            await fake.send_envelope({"envelope_id": "e-3", "type": "interactive", "payload": click})
            await wait_for(lambda: len(fake.acks) == 3)
            assert time.monotonic() - began < 2.9 and fake.acks[2] == {"envelope_id": "e-3"}
            assert (await wait_for(lambda: fake.responses("s1")))[0]["text"].startswith("Still saving")
        await wait_for(lambda: committed_rows(slack, ANSWERS) == [(2,)])
        await wait_for(lambda: redrawn(fake, prompt))
    finally:
        await slack.client.close()


async def test_a_click_without_a_response_url_is_still_answered_503(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """Nowhere to tell its person: as before, nothing stored and Slack shows its warning."""
    prompt = await response_question(slack)
    with ledger_held(tmp_path / "slack.db"):
        assert (await slack.click("UA", prompt, ACT)).status == 503
    await asyncio.sleep(0.3)
    assert committed_rows(slack, ANSWERS) == [(1,)] and fake.responses() == []


@pytest.mark.parametrize(
    ("action", "answer", "said"),
    [
        ({"type": "button", "value": "yes", "text": {"type": "plain_text", "text": "Yes"}}, "yes", "Yes"),
        ({"type": "static_select", "selected_option": {"value": "p1", "text": {"text": "P1 <urgent>"}}}, "p1",
         "P1 &lt;urgent&gt;"),
        ({"type": "users_select", "selected_user": "UB"}, "<@UB>", "<@UB>"),
        ({"type": "datepicker", "selected_date": "2027-01-15"}, "2027-01-15", "2027-01-15"),
    ],
)  # fmt: skip
def test_a_click_is_told_by_what_its_person_saw(action: dict[str, Any], answer: str, said: str) -> None:
    assert shown({"actions": [action]}, answer) == said
