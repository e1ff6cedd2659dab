"""Group commit in the server (bot/store/group.py): the turns of one event-loop pass share one
COMMIT, each still all-or-nothing on its own; no response leaves and no reply is sent before its
commit; a commit that fails answers 503 and keeps nothing, and the platform's retry is stored
once. Driven through the real Slack path (signed requests, the fake Web API) and the outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.outbox import pending
from bot.server import GROUP, SENDERS
from bot.store import transaction
from bot.store.group import GroupCommit
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, event_body, harness, message

ANSWERS = "SELECT count(*) FROM messages WHERE direction = 'in'"


@pytest.fixture
async def fake():
    fake = await FakeSlack().start()
    for user, name in (("UA", "Alice"), ("UB", "Bob"), ("UC", "Carol")):
        fake.add_user(user, name)
    yield fake
    await fake.stop()


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack):
    h = await harness(tmp_path, fake)
    yield h
    await h.client.close()


async def threads(slack: Harness, count: int) -> list[str]:
    """``count`` post_meeting runs, one per channel, each waiting for its decision."""
    for n in range(count):
        await slack.slash("UA", "start post_meeting Weekly", channel=f"C{n}")
    posted = await slack.posts(2 * count)
    return [p["ts"] for p in posted if p["text"].startswith("<@UA> started")]


async def test_turns_arriving_together_share_commits_and_each_is_stored(slack: Harness) -> None:
    roots = await threads(slack, 12)
    group: GroupCommit = slack.client.server.app[GROUP]
    commits = group.commits
    answers = [message("UA", f"We ship plan {n}", channel=f"C{n}", thread_ts=ts) for n, ts in enumerate(roots)]
    replies = await asyncio.gather(*(slack.event(a) for a in answers))
    assert [r.status for r in replies] == [200] * 12
    decided = slack.rows("SELECT count(*) FROM answers WHERE step = 'decision'")[0][0]
    assert decided == 12  # every acknowledged turn is in the file (the harness reads it on a new cursor)
    assert group.commits - commits < 12  # and they did not each pay a commit
    await slack.posts(2 * 12 + 12)  # each got its next question


async def test_a_failing_turn_rolls_back_alone_inside_its_group(slack: Harness) -> None:
    roots = await threads(slack, 2)
    slack.services.db.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON answers WHEN new.raw = 'explode'"
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    before = slack.rows(ANSWERS)[0][0]
    good, bad = await asyncio.gather(
        slack.event(message("UA", "We ship", channel="C0", thread_ts=roots[0])),
        slack.event(message("UA", "explode", channel="C1", thread_ts=roots[1])),
    )
    assert good.status == 200 and bad.status == 500
    assert slack.rows(ANSWERS)[0][0] == before + 1
    assert slack.rows("SELECT raw FROM answers WHERE step = 'decision'") == [("We ship",)]


async def test_a_failed_commit_answers_503_keeps_nothing_and_the_retry_is_stored_once(slack: Harness) -> None:
    (root,) = await threads(slack, 1)
    conn = slack.services.db.conn
    # a deferred foreign key is checked at COMMIT: the group's commit itself fails, for real
    conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute(
        "CREATE TRIGGER doom AFTER INSERT ON messages WHEN new.text = 'We ship'"
        " BEGIN INSERT INTO doomed VALUES (999999); END"
    )
    before = slack.rows(ANSWERS)[0][0]
    body = event_body(message("UA", "We ship", channel="C0", thread_ts=root), event_id="EvRetry1")
    failed = await slack.post(body)
    assert failed.status == 503 and failed.headers["Retry-After"] == "1"
    assert slack.rows(ANSWERS)[0][0] == before
    assert slack.rows("SELECT count(*) FROM deliveries WHERE delivery_id = 'EvRetry1'") == [(0,)]
    conn.execute("DROP TRIGGER doom")
    retried = await slack.post(body, headers=None)  # Slack sends it again, signed afresh
    assert retried.status == 200
    again = await slack.post(body)
    assert again.status == 200
    assert slack.rows(ANSWERS)[0][0] == before + 1
    assert slack.rows("SELECT raw FROM answers WHERE step = 'decision'") == [("We ship",)]


async def test_the_outbox_sends_no_reply_before_its_group_commits(slack: Harness) -> None:
    (root,) = await threads(slack, 1)
    db, group = slack.services.db, slack.client.server.app[GROUP]
    sender = slack.client.server.app[SENDERS]["slack"]
    await group.settled()
    posted = len(slack.fake.posted())
    with transaction(db) as conn:  # a turn of a group still open: its reply is queued, not committed
        conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, kind, text, created_at)"
            " VALUES (1, 'out', 'slack', ?, 'info', 'not yet', '2026-01-01T00:00:00.000Z')",
            (f"slack:C0;{root}",),
        )
    assert group.open
    assert [q.reply.text for q in pending(db, "slack")] == ["not yet"]  # this connection sees it...
    horizon = group.horizon()
    assert horizon is not None and pending(db, "slack", upto=horizon) == []  # ...the sender does not
    await sender.drain()
    assert len(slack.fake.posted()) == posted
    await group.settled()  # committed: the sender is woken and sends it
    found = await slack.posts(posted + 1)
    assert found[-1]["text"] == "not yet"
