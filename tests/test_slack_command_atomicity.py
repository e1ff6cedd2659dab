"""Slack commands are all or nothing: a command's delivery id is recorded in the savepoint of
its own turn (so a command that fails is carried out on Slack's retry, not dropped as a repeat),
a run a command starts is stored with its thread in that savepoint, and the "started" root a
slash command posts first is deleted again when its run is not stored. An event's turn runs after
its acknowledgement, from the event kept: one that fails is tried again by the bot. Failures are injected
into the real ledger with SQLite triggers and a deferred foreign key; the requests are signed
for real and go to the fake Web API."""

from __future__ import annotations

import asyncio

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, event_body, message, sign, slash_body, wait_for

RUNS = "SELECT count(*) FROM runs"
THREADS = "SELECT channel, thread_ts, run_id FROM slack_threads"
FAIL_RUNS = "CREATE TRIGGER boom BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
FAIL_THREADS = "CREATE TRIGGER boom BEFORE INSERT ON slack_threads BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"


def retried(body: bytes) -> dict[str, str]:
    return {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}


INBOX = "SELECT tries, failed FROM slack_inbox"


async def test_a_mention_start_whose_turn_failed_is_kept_and_carried_out_once_the_fault_is_gone(slack: Harness) -> None:
    """The event was acknowledged once kept; its turn failed, leaving nothing of it but the kept
    event, tried again a second later (Slack's own retries are dropped as repeats of it)."""
    conn = slack.services.db.conn
    conn.execute(FAIL_RUNS)
    mention = message("UA", f"<@{BOT_USER}> start post_meeting Launch", type="app_mention")
    body = event_body(mention)
    first = await slack.post(body)
    assert first.status == 200  # kept: its turn runs after the acknowledgement
    assert slack.rows(RUNS) == [(0,)]
    assert slack.rows("SELECT count(*) FROM deliveries") == [(0,)]  # the failed command left no id
    assert slack.rows(INBOX) == [(1, "IntegrityError: disk on fire")]
    retry = await slack.post(body, headers=retried(body))  # Slack's retry while it is kept: nothing more
    assert retry.status == 200
    assert slack.rows("SELECT count(*) FROM slack_inbox") == [(1,)]
    conn.execute("DROP TRIGGER boom")  # the passing fault is over
    await wait_for(lambda: slack.rows(RUNS) == [(1,)], timeout=5)
    await slack.turned()
    assert slack.rows(THREADS) == [("C1", mention["ts"], 1)]
    assert slack.rows("SELECT count(*) FROM slack_inbox") == [(0,)]
    posted = await slack.posts(1)
    assert posted[0]["thread_ts"] == mention["ts"]  # its first question, in the mention's thread
    again = await slack.post(body, headers=retried(body))  # a retry of a stored command is dropped
    assert again.status == 200
    assert slack.rows(RUNS) == [(1,)]


async def test_a_mention_start_whose_thread_cannot_be_stored_stores_no_run(slack: Harness) -> None:
    conn = slack.services.db.conn
    conn.execute(FAIL_THREADS)
    mention = message("UA", f"<@{BOT_USER}> start post_meeting Launch", type="app_mention")
    body = event_body(mention)
    assert (await slack.post(body)).status == 200  # kept; its turn failed
    assert slack.rows(RUNS) == [(0,)]
    assert slack.rows("SELECT count(*) FROM messages") == [(0,)]  # no question queued for a run not kept
    conn.execute("DROP TRIGGER boom")
    await wait_for(lambda: slack.rows(THREADS) == [("C1", mention["ts"], 1)], timeout=5)
    posted = await slack.posts(1)
    answer = await slack.event(message("UA", "We ship in March", thread_ts=posted[0]["thread_ts"]))
    assert answer.status == 200
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'decision'") == [(1,)]


async def test_a_direct_message_command_whose_turn_failed_is_carried_out_once_the_fault_is_gone(slack: Harness) -> None:
    conn = slack.services.db.conn
    conn.execute(FAIL_RUNS)
    body = event_body(message("UA", "start post_meeting Launch", channel="DUA"))
    assert (await slack.post(body)).status == 200  # kept; its turn failed
    assert slack.rows("SELECT count(*) FROM deliveries") == [(0,)]
    conn.execute("DROP TRIGGER boom")
    await wait_for(lambda: slack.rows(RUNS) == [(1,)], timeout=5)
    await slack.turned()
    assert (await slack.post(body, headers=retried(body))).status == 200
    assert slack.rows(RUNS) == [(1,)]


async def test_a_slash_start_whose_thread_cannot_be_stored_takes_its_root_back(slack: Harness, fake: FakeSlack) -> None:
    slack.services.db.conn.execute(FAIL_THREADS)
    resp = await slack.post(slash_body("UA", "start post_meeting Weekly"), form=True)
    assert resp.status == 500
    assert slack.rows(RUNS) == [(0,)]
    deleted = await wait_for(lambda: fake.of("chat.delete"))
    root = fake.of("chat.postMessage")[0]
    assert root.args["text"].startswith("<@UA> started")
    assert (deleted[0].args["channel"], deleted[0].args["ts"]) == ("C1", root.result["ts"])
    await asyncio.sleep(0.2)
    assert fake.posted() == []  # nothing says a run started, and no question went out


async def test_a_slash_start_whose_group_commit_is_lost_takes_its_root_back(slack: Harness, fake: FakeSlack) -> None:
    conn = slack.services.db.conn
    conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute("CREATE TRIGGER doom AFTER INSERT ON runs BEGIN INSERT INTO doomed VALUES (999999); END")
    resp = await slack.post(slash_body("UA", "start post_meeting Weekly"), form=True)
    assert resp.status == 503
    assert slack.rows(RUNS) == [(0,)]
    deleted = await wait_for(lambda: fake.of("chat.delete"))
    assert deleted[0].args["ts"] == fake.of("chat.postMessage")[0].result["ts"]
    await asyncio.sleep(0.2)
    assert fake.posted() == []


async def test_a_slash_start_that_is_stored_keeps_its_root(slack: Harness, fake: FakeSlack) -> None:
    answer = await slack.slash("UA", "start post_meeting Weekly")
    assert answer["text"].startswith("Started run #1")
    posted = await slack.posts(2)
    root = posted[0]
    assert slack.rows(THREADS) == [("C1", root["ts"], 1)]
    assert posted[1]["thread_ts"] == root["ts"]
    await asyncio.sleep(0.2)
    assert fake.of("chat.delete") == []
