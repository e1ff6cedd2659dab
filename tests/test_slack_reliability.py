"""The Slack channel when things go wrong: forged and stale signatures, retried deliveries,
malformed payloads and strangers, the bot's own messages, a 429 storm, a channel that is gone,
a restart with replies still in the outbox, and missing secrets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.errors import ConfigError
from bot.server import CHANNELS, SERVICES, create_app
from tests.edge_support import answer_to_headers_alone
from tests.fakes.slack_api import BOT_ID, BOT_USER, FakeSlack
from tests.slack_support import ROOT, SECRET, Harness, event_body, harness, message, sign, wait_for

STORED = (
    "SELECT (SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'), (SELECT count(*) FROM deliveries),"
    " (SELECT count(*) FROM answers), (SELECT count(*) FROM runs)"
)


async def test_url_verification_is_answered(slack: Harness) -> None:
    body = b'{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRN","type":"url_verification"}'
    resp = await slack.post(body)
    assert resp.status == 200 and await resp.json() == {"challenge": "3eZbrw1aBm2rZgRN"}


async def test_forged_and_stale_signatures_get_401_and_nothing_is_stored(slack: Harness) -> None:
    thread = await slack.started("start post_meeting Weekly")
    before = slack.rows(STORED)
    body = event_body(message("UA", "We ship", thread_ts=thread))
    forged = await slack.post(body, headers=sign(body, secret="not-the-secret"))
    assert forged.status == 401 and await forged.json() == {"error": "invalid signature"}
    stale = await slack.post(body, headers=sign(body, timestamp=int(time.time()) - 301))
    assert stale.status == 401
    tampered = await slack.post(body.replace(b"We ship", b"We stop"), headers=sign(body))
    assert tampered.status == 401
    unsigned = await slack.client.post("/slack/events", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status == 401
    assert slack.rows(STORED) == before
    # Near the window's edge, with 10 s to spare: a loaded machine can take seconds to answer.
    ok = await slack.post(body, headers=sign(body, timestamp=int(time.time()) - 290))
    assert ok.status == 200 and slack.rows(STORED)[0][0] == before[0][0] + 1


async def test_a_retried_event_never_advances_a_run_twice(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started("start post_meeting Weekly")
    body = event_body(message("UA", "We ship", thread_ts=thread), event_id="Ev0RETRY")
    assert (await slack.post(body)).status == 200
    retry = await slack.post(
        body, headers={**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200
    await slack.posts(3)
    assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'") == [(1,)]
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'decision'") == [(1,)]
    assert [p["text"] for p in fake.posted()][2:] == ["<@UA> Action 1: What is the action?"]


async def test_malformed_payloads_and_strangers_get_400_with_a_reason(slack: Harness) -> None:
    thread = await slack.started("start post_meeting Weekly")
    before = slack.rows(STORED)
    cases = [
        (b"{not json", "body is not valid JSON"),
        (b'{"type":"event_callback","team_id":"T111"}', "event_callback without event or event_id"),
        (b'{"type":"block_party"}', "unknown event type 'block_party'"),
        (event_body(message("UA", "x", thread_ts=thread), team="T999"), "unknown team T999"),
        (event_body(message("UA", "x", thread_ts=thread), app="A999"), "unknown app A999"),
    ]
    for body, reason in cases:
        resp = await slack.post(body)
        assert resp.status == 400 and await resp.json() == {"error": reason}
    form = await slack.post(b"hello=world", form=True)
    assert form.status == 400
    assert (await form.json())["error"] == "expected an event (JSON), an interactive payload or a slash command"
    assert slack.rows(STORED) == before


async def test_the_bot_ignores_its_own_messages_edits_deletions_and_other_threads(slack: Harness) -> None:
    thread = await slack.started("start post_meeting Weekly")
    before = slack.rows(STORED)
    ignored = [
        message(BOT_USER, "What was decided?", thread_ts=thread, bot_id=BOT_ID),
        message("UA", "bot says", thread_ts=thread, subtype="bot_message", bot_id="B9"),
        message("UA", "edited", thread_ts=thread, subtype="message_changed"),
        message("UA", "", thread_ts=thread, subtype="message_deleted"),
        message("UA", "chatting in another thread", thread_ts="1699999999.000001"),
        message("UA", "chatting in the channel"),
        {"type": "reaction_added", "user": "UA", "reaction": "+1"},
    ]
    for event in ignored:
        assert (await slack.event(event)).status == 200
    assert slack.rows(STORED) == before


async def test_a_429_storm_is_waited_out_and_replies_arrive_once_in_order(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started("start post_meeting Weekly")
    fake.refuse("chat.postMessage", times=3, status=429, retry_after="0")
    await slack.event(message("UA", "We ship", thread_ts=thread))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    posted = await slack.posts(4, timeout=20)
    assert [p["text"] for p in posted[2:]] == [
        "<@UA> Action 1: What is the action?",
        "<@UA> Action 1: Who owns 'Draft the plan'?",
    ]
    refused = [c for c in fake.of("chat.postMessage") if not c.result["ok"]]
    assert [c.result["error"] for c in refused] == ["ratelimited"] * 3
    sql = "SELECT attempts, last_error FROM messages WHERE direction = 'out' AND kind != 'root' ORDER BY id"
    await wait_for(lambda: slack.rows(sql)[2][0] > 0)  # the fake saw the post before the bot marked it sent
    rows = slack.rows(sql)
    assert rows[1] == (4, "retry: HTTP 429 ratelimited") and rows[2][0] == 1


async def test_a_channel_that_is_gone_is_given_up_without_blocking_others(slack: Harness, fake: FakeSlack) -> None:
    from bot.model import Actor, ConversationKey, Trigger

    fake.refuse("chat.postMessage", error="channel_not_found")
    dispatcher = slack.services.dispatcher
    alice = Actor("slack:UA", "Alice")
    dispatcher.start(Trigger("post_meeting", facilitator=alice), ConversationKey("slack", "CGONE"))
    slack.services.notify("slack")
    await wait_for(lambda: fake.of("chat.postMessage"))
    given_up = "SELECT attempts, last_error FROM messages WHERE delivered_at IS NULL AND failed_at IS NOT NULL"
    assert await wait_for(lambda: slack.rows(given_up)) == [(1, "failed: channel_not_found")]
    told = await slack.posts(1)  # its facilitator is told by direct message
    assert [p["channel"] for p in told] == ["DUA"] and "cannot post in its conversation" in told[0]["text"]
    dispatcher.start(Trigger("post_meeting", facilitator=alice), ConversationKey("slack", "C2"))
    slack.services.notify("slack")
    posted = await slack.posts(2)
    assert [p["channel"] for p in posted] == ["DUA", "C2"]
    assert len(fake.of("chat.postMessage")) == 3  # the refused one was not tried again


async def test_a_reply_given_up_frees_its_room_in_the_backlog(slack: Harness, fake: FakeSlack) -> None:
    from bot.model import Actor, ConversationKey, Trigger

    slack.channel.backlog.limit = 1  # (256 in production: the same once 256 replies were given up)
    fake.refuse("chat.postMessage", error="channel_not_found")
    dispatcher = slack.services.dispatcher
    alice = Actor("slack:UA", "Alice")
    result = dispatcher.start(Trigger("post_meeting", facilitator=alice), ConversationKey("slack", "CGONE"))
    slack.channel.backlog.add(len(result.outbox))  # as the channel counts the replies of its turns
    slack.services.notify("slack")
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE failed_at IS NOT NULL"))
    started = time.monotonic()
    resp = await slack.event(message("UA", "hello"))  # an event waits for room (up to a second) before its turn
    assert resp.status == 200 and time.monotonic() - started < 0.5  # none needed: the given-up reply left


async def test_replies_left_in_the_outbox_are_sent_in_order_after_a_restart(tmp_path: Path, fake: FakeSlack) -> None:
    first = await harness(tmp_path, fake)
    thread = await first.started("start post_meeting Weekly")
    fake.refuse("chat.postMessage", times=1000, status=503)  # Slack is down: replies stay queued
    await first.event(message("UA", "We ship", thread_ts=thread))
    await first.event(message("UA", "Draft the plan", thread_ts=thread))
    await wait_for(lambda: len(fake.of("chat.postMessage")) >= 3)
    queued = first.rows("SELECT text FROM messages WHERE direction = 'out' AND delivered_at IS NULL ORDER BY id")
    await first.client.close()
    assert queued == [("Action 1: What is the action?",), ("Action 1: Who owns 'Draft the plan'?",)]
    fake.refusals.clear()
    second = await harness(tmp_path, fake)
    try:
        posted = await second.posts(4)
        assert [(p["thread_ts"], p["text"]) for p in posted[2:]] == [
            (thread, "<@UA> Action 1: What is the action?"),
            (thread, "<@UA> Action 1: Who owns 'Draft the plan'?"),
        ]
        await second.event(message("UA", "<@UB>", thread_ts=thread))  # the run goes on
        assert (await second.posts(5))[4]["text"] == "<@UA> Action 1: By when should 'Draft the plan' be done?"
    finally:
        await second.client.close()


def test_a_missing_secret_fails_at_start_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^SLACK_SIGNING_SECRET is required"):
        create_app(tmp_path / "x.db", ROOT / "flows", env={"SLACK_BOT_TOKEN": "xoxb-test"})
    with pytest.raises(ConfigError, match="^SLACK_BOT_TOKEN is required: SLACK_SIGNING_SECRET is set"):
        create_app(tmp_path / "x.db", ROOT / "flows", env={"SLACK_SIGNING_SECRET": SECRET})  # was: Slack off
    assert "slack" not in create_app(tmp_path / "x.db", ROOT / "flows", env={})[CHANNELS]  # no Slack variable
    socket_only = create_app(
        tmp_path / "x.db", ROOT / "flows", env={"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "xapp-1"}
    )
    assert "slack" in socket_only[CHANNELS] and socket_only[CHANNELS]["slack"].routes() == []


async def test_a_refused_bot_token_stops_the_start(tmp_path: Path, fake: FakeSlack) -> None:
    fake.refuse("auth.test", error="invalid_auth")
    env = {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
    app = create_app(tmp_path / "x.db", ROOT / "flows", env=env)
    with pytest.raises(ConfigError, match=r"Slack refused SLACK_BOT_TOKEN at start-up \(auth.test: invalid_auth\)"):
        await TestServer(app).start_server()
    await app[SERVICES].http.close()
    assert fake.of("auth.test")[0].token == "xoxb-revoked"


async def test_a_question_slack_took_is_not_posted_again_when_the_ledger_refuses_its_widgets(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await slack.started("start post_meeting Weekly")
    slack.services.db.conn.execute(  # the users_select of "Who owns ...?" cannot be noted
        "CREATE TRIGGER refuse BEFORE INSERT ON slack_prompts BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    await slack.event(message("UA", "We ship", thread_ts=thread))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    posted = await slack.posts(4)
    sql = "SELECT text, delivered_at IS NOT NULL, failed_at IS NULL FROM messages WHERE direction = 'out' AND kind != 'root' ORDER BY id"
    await wait_for(lambda: all(row[1] for row in slack.rows(sql)))
    assert [row[1:] for row in slack.rows(sql)] == [(1, 1)] * 3  # delivered, none given up
    texts = [p["text"] for p in fake.posted()]
    assert texts == [p["text"] for p in posted] and texts[-1] == "<@UA> Action 1: Who owns 'Draft the plan'?"


async def test_a_request_without_a_usable_signature_is_refused_before_its_body_is_read(slack: Harness) -> None:
    host, port = str(slack.client.host), int(slack.client.port or 0)
    now = str(int(time.time()))
    for headers in (
        {},  # unsigned
        {"X-Slack-Request-Timestamp": now},  # no signature
        {"X-Slack-Signature": "v0=" + "0" * 64},  # no timestamp
        {"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": str(int(time.time()) - 301)},  # stale
        {"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": "12a"},
    ):
        typed = {"Content-Type": "application/json", **headers}
        status, took = await answer_to_headers_alone(host, port, "/slack/events", typed)
        assert (status, took < 2) == (401, True), headers
    assert slack.rows(STORED) == [(0, 0, 0, 0)]
