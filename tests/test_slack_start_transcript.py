"""A run's transcript begins where the run began: the ``/decision start ...`` typed (or the form's
submission, as what its person chose), then the root the bot posted for the run's thread,
delivered, then its first question; in that order, at their times. A start that starts nothing
leaves no row. No measure counts a start as a message its person sent. The real server, requests
signed for real, the fake Web API, a real ledger."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES
from bot.channels import slack_slash_clicks as slash_clicks
from bot.cli import main
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_modal_support import home_start_body, submission_body
from tests.slack_support import ROOT, Harness, harness, message, wait_for

TRANSCRIPT = (
    "SELECT run_id, direction, kind, actor_id, actor_name, text, platform_id, created_at, delivered_at"
    " FROM messages ORDER BY id"
)


async def shown(tmp_path: Path, run_id: int) -> dict[str, Any]:
    """``decisionbot runs show RUN --json``: the run as an analyst reads it."""
    args = ["--db", str(tmp_path / "slack.db"), "--flows", str(ROOT / "flows"), "runs", "show", str(run_id), "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


async def test_a_slash_start_begins_its_transcript_with_the_command_and_the_root(
    tmp_path: Path, slack: Harness, fake: FakeSlack
) -> None:
    """Before, the transcript of a run started by ``/decision start`` began with its first
    question: who started it, how, and the root the channel saw were in no row."""
    answer = await slack.slash("UA", "start post_meeting <@UB> Weekly sync")
    assert answer["text"].startswith("Started run #1")
    root, question = await slack.posts(2)
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE kind = 'prompt' AND delivered_at IS NOT NULL"))
    rows = slack.rows(TRANSCRIPT)
    start, posted, first = rows[0], rows[1], rows[2]
    assert start[:6] == (1, "in", "start", "slack:UA", "Alice", "/decision start post_meeting @Bob Weekly sync")
    assert start[6].startswith("cmd:")
    assert posted[:7] == (
        1,
        "out",
        "root",
        None,
        None,
        "Alice started *Post-meeting decision check*: Weekly sync. The questions and answers follow in this thread.",
        root["ts"],
    )
    assert first[1:3] == ("out", "prompt") and "What was decided in Weekly sync?" in first[5]
    assert first[6] == question["ts"]
    # in order, at their times: typed, the root asked for and taken, then the question
    assert start[7] <= posted[7] <= posted[8] <= first[7] <= first[8]
    detail = await shown(tmp_path, 1)
    assert [(m["direction"], m["kind"]) for m in detail["messages"]][:3] == [
        ("in", "start"),
        ("out", "root"),
        ("out", "prompt"),
    ]
    payload = json.loads(slack.rows("SELECT payload FROM messages WHERE kind = 'start'")[0][0])
    assert payload == {"type": "slash_command", "command": "/decision", "text": "start post_meeting <@UB> Weekly sync"}


async def test_the_forms_submission_is_kept_as_what_its_person_chose(slack: Harness, fake: FakeSlack) -> None:
    """A run started from the form (opened from the Home tab) begins with what Alice chose there."""
    await slack.post(home_start_body(), form=True)
    view = fake.modals()[-1]
    resp = await slack.post(
        submission_body(view, flow="post_meeting", people=("UB",), title="Weekly sync", channel="C1"), form=True
    )
    assert resp.status == 200 and await resp.text() == ""
    root = (await slack.posts(2))[0]
    rows = slack.rows(TRANSCRIPT)
    assert [r[1:6] for r in rows[:2]] == [
        (
            "in",
            "start",
            "slack:UA",
            "Alice",
            "started post_meeting from the form: title Weekly sync, participants @Bob",
        ),
        (
            "out",
            "root",
            None,
            None,
            "Alice started *Post-meeting decision check*: Weekly sync. The questions and answers follow in this thread.",
        ),
    ]
    assert rows[0][0] == rows[1][0] == 1 and rows[1][6] == root["ts"]
    payload = json.loads(slack.rows("SELECT payload FROM messages WHERE kind = 'start'")[0][0])
    assert payload == {
        "type": "view_submission",
        "origin": "home",
        "flow": "post_meeting",
        "title": "Weekly sync",
        "participants": ["UB"],
        "channel": "C1",
    }


async def test_a_start_that_starts_nothing_leaves_no_row(
    slack: Harness, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root posted, then the start refused (a title too long, with the check made before the
    root is posted left out, as for a refusal only the start itself knows): the root is taken back,
    and the transcript keeps no start and no root (no run holds them)."""
    monkeypatch.setattr(slash_clicks, "start_refused", lambda *args: None)
    answer = await slack.slash("UA", "start post_meeting " + "x" * 600)
    assert "Nothing" in answer["text"] or "too long" in answer["text"]
    await wait_for(lambda: fake.of("chat.delete"))
    assert slack.rows("SELECT count(*) FROM messages") == [(0,)]
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_a_start_is_not_counted_as_a_message_its_person_sent(slack: Harness, fake: FakeSlack) -> None:
    """Participation counts the messages Alice answered with, not the command that started the run:
    its definition (the SQL the docs show), the view and the summary the report reads alike."""
    thread = await slack.started()
    await slack.say(thread, "We ship in March")
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'start'") == [(1,)]
    conn = slack.services.db.conn
    conn.row_factory = sqlite3.Row
    try:
        defined = [dict(r) for r in conn.execute(MEASURES["participation"], Params().bind())]
    finally:
        conn.row_factory = None
    assert [(r["person"], r["inbound_messages"]) for r in defined] == [("slack:UA", 1)]
    view = slack.rows("SELECT inbound_messages FROM participation WHERE person = 'slack:UA'")
    summary = slack.rows("SELECT sum(inbound) FROM analytics_people WHERE person = 'slack:UA'")
    assert view == [(1,)] and summary == [(1,)]


async def test_a_start_slack_paced_begins_with_the_command_and_no_root(slack: Harness, fake: FakeSlack) -> None:
    """Slack takes no root for now (a burst): the run starts in the channel, its first question
    opens its thread; the transcript has the command, then that question (no root was posted)."""
    fake.refuse("chat.postMessage", times=3, status=429, retry_after="1")  # the root, and its retries
    answer = await slack.slash("UA", "start post_meeting Sync 1")
    assert "about one message a second" in answer["text"]
    [first] = await slack.posts(1)
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE kind = 'prompt' AND delivered_at IS NOT NULL"))
    rows = slack.rows(TRANSCRIPT)
    assert [r[:3] for r in rows] == [(1, "in", "start"), (1, "out", "prompt")]
    assert rows[0][5] == "/decision start post_meeting Sync 1" and rows[1][6] == first["ts"]
    assert rows[0][7] <= rows[1][7]


async def test_a_mention_start_begins_with_the_mention(slack: Harness, fake: FakeSlack) -> None:
    """``@decisionbot start ...``: the mention opens the run's thread (no root of the bot's): the
    transcript has the mention as typed, then the first question in its thread."""
    mention = message("UA", f"<@{BOT_USER}> start post_meeting <@UB> Launch", type="app_mention")
    assert (await slack.event(mention)).status == 200
    [first] = await slack.posts(1)
    assert first["thread_ts"] == mention["ts"]
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE kind = 'prompt' AND delivered_at IS NOT NULL"))
    rows = slack.rows(TRANSCRIPT)
    assert [r[:6] for r in rows] == [
        (1, "in", "start", "slack:UA", "Alice", "@decisionbot start post_meeting @Bob Launch"),
        (1, "out", "prompt", "slack:UA", "Alice", rows[1][5]),
    ]
    assert rows[0][6] == f"msg:C1:{mention['ts']}" and rows[0][7] <= rows[1][7]


async def test_a_mention_start_keeps_the_bot_named_as_its_installation_is(tmp_path: Path, fake: FakeSlack) -> None:
    """The bot installed as "Decider" (auth.test's user): ``@Decider start ...`` is what the person
    saw and typed, so the transcript keeps that. Before, it kept ``@decisionbot start ...``."""
    fake.bot_name = "Decider"
    slack = await harness(tmp_path, fake)
    try:
        mention = message("UA", f"<@{BOT_USER}> start post_meeting <@UB> Launch", type="app_mention")
        assert (await slack.event(mention)).status == 200
        await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE kind = 'start' AND run_id IS NOT NULL"))
        [said] = slack.rows("SELECT text FROM messages WHERE kind = 'start'")
        assert said == ("@Decider start post_meeting @Bob Launch",)
    finally:
        await slack.client.close()
