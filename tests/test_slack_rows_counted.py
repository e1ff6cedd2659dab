"""The ledger's newer Slack rows as the measures count them: words typed in a run's old thread after
a move (``in``, kind ``refused``, ``payload.moved_to``) are a message their writer sent in the run,
never an answer nor an answered prompt; an outcome told late at a response_url (``out``, private,
``payload.via = 'response_url'``) is no question and no message anyone sent. The participation the
report reads (summary tables kept by triggers) and the raw view agree. The real server, requests
signed as Slack signs them, slack-sdk against the fake Web API, a real ledger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.analytics.engagement import participation
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for
from tests.test_slack_move import slack_people as slack_people  # the fixture: Alice, Bob, Carol
from tests.test_slack_move_behind import moved_to_ops

COUNTS = ("inbound_messages", "answers", "prompts_addressed", "prompts_answered", "runs_facilitated")


def counted(db: Path) -> dict[str, tuple[Any, ...]]:
    """Per person, participation's counts: the raw view's, after checking the report's agree."""
    with sqlite3.connect(db) as conn:
        cursor = conn.execute(MEASURES["participation"], Params().bind())
        names = [d[0] for d in cursor.description]
        raw = {r["person"]: tuple(r[c] for c in COUNTS) for r in (dict(zip(names, x, strict=True)) for x in cursor)}
        conn.row_factory = sqlite3.Row
        report = {str(r["person"]): tuple(r[c] for c in COUNTS) for r in participation(conn, Params())}
    assert report == raw
    return raw


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


async def test_words_in_a_moved_runs_old_thread_count_as_sent_never_as_an_answer(
    tmp_path: Path, slack: Harness, fake: FakeSlack
) -> None:
    thread, _ = await moved_to_ops(slack, fake)
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE kind = 'refused'"))
    [(payload,)] = slack.rows("SELECT payload FROM messages WHERE kind = 'refused'")
    assert json.loads(payload) == {"moved_to": "slack:C2"}
    # one message sent (the start is the run, not a message), no answer, the question still open
    assert counted(tmp_path / "slack.db")["slack:UA"] == (1, 0, 1, 0, 1)
    assert slack.rows("SELECT first_answer_at FROM analytics_runs") == [(None,)]


async def test_an_outcome_told_at_a_response_url_is_counted_nowhere(
    tmp_path: Path, slack: Harness, fake: FakeSlack
) -> None:
    fake.slow_down("chat.postMessage", 3.5)  # the start's root late: its outcome told at its response_url
    answer = await slack.slash("UA", "start post_meeting Weekly sync", response_url=fake.response_url("r1"))
    assert answer["text"].startswith("Working on it")
    await wait_for(lambda: fake.responses("r1"), timeout=10)
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE payload LIKE '%response_url%'"))
    [told] = slack.rows(
        "SELECT run_id, kind, actor_id, private, payload FROM messages WHERE payload LIKE '%response_url%'"
    )
    assert told[:4] == (1, "info", "slack:UA", 1)
    assert json.loads(told[4]) == {"via": "response_url", "about": "command"}
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE kind = 'prompt' AND delivered_at IS NOT NULL"))
    # the question to Alice is her one prompt; she sent nothing yet (her start is the run she leads)
    assert counted(tmp_path / "slack.db")["slack:UA"] == (0, 0, 1, 0, 1)
