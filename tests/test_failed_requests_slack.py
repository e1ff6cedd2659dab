"""A Slack turn that fails part-way (after some of its writes were released into the pass's group
commit) leaves nothing of its own: not the turn, not the delivery id, not the run a command
started. A slash command or a click is answered 500 (Slack does not send it again: its person
does); an event was kept and acknowledged before its turn ran (``slack_inbox``), and the bot runs
its turn again from the kept event, once, and Slack's retry of it is a repeat. Requests are signed
for real; the fault is a function deep in the turn raising once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.channels import slack_blocks, slack_send, slack_turns
from bot.channels.slack_inbound import Inbound
from bot.model import Actor, ConversationKey, Trigger
from tests.fakes.slack_api import FakeSlack
from tests.faults import Gate, fail_once
from tests.slack_support import (
    SOCKET,
    Harness,
    committed_rows,
    event_body,
    harness,
    message,
    sign,
    slash_body,
    started_over_socket,
    wait_for,
)

DECIDED = "SELECT count(*) FROM answers WHERE step = 'decision'"
SEEN = "SELECT delivery_id FROM deliveries WHERE delivery_id LIKE 'msg:%'"  # messages' ids (not the commands')


def retried(body: bytes) -> dict[str, str]:
    return {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}


async def started(slack: Harness) -> str:
    await slack.slash("UA", "start post_meeting Weekly")
    return (await slack.posts(2))[0]["ts"]


async def test_an_answer_whose_turn_fails_is_kept_by_nobody_and_run_again_from_the_kept_event(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = await started(slack)
    fail_once(monkeypatch, slack_turns, "taken_value")  # after the turn's savepoint was released
    event = message("UA", "We ship in March", thread_ts=thread)
    body = event_body(event)
    first = await slack.client.post(
        "/slack/events", data=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert first.status == 200  # kept: the turn runs after the acknowledgement
    await wait_for(lambda: committed_rows(slack, "SELECT tries FROM slack_inbox") == [(1,)])
    assert committed_rows(slack, DECIDED) == [(0,)]  # the turn went with its failure
    assert committed_rows(slack, SEEN) == []  # so did its delivery id
    assert committed_rows(slack, "SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'") == [(0,)]
    await wait_for(lambda: committed_rows(slack, DECIDED) == [(1,)], timeout=5)  # tried again a second later
    assert (await slack.posts(3))[2]["text"] == "<@UA> Action 1: What is the action?"
    again = await slack.post(body, headers=retried(body))  # Slack's retry of the stored turn is dropped
    assert again.status == 200
    await asyncio.sleep(0.2)
    assert committed_rows(slack, DECIDED) == [(1,)]
    assert committed_rows(slack, "SELECT count(*) FROM slack_inbox") == [(0,)]
    assert len(slack.fake.posted()) == 3  # the next question, once


async def test_a_click_whose_request_fails_after_its_turn_is_not_kept_and_the_next_click_counts(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = await started(slack)
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    owner_prompt = (await slack.posts(4))[3]
    fail_once(monkeypatch, slack_turns, "taken_value")
    resp = await slack.click("UA", owner_prompt, {"type": "users_select", "selected_user": "UB"})
    assert resp.status == 500
    await asyncio.sleep(0.2)
    owner = "SELECT count(*) FROM answers WHERE step = 'actions'"
    assert committed_rows(slack, owner) == [(1,)]  # only the action's text: not the owner of the failed click
    assert slack.fake.of("chat.update") == []  # no "answered by" for an answer not kept
    assert len(slack.fake.posted()) == 4
    resp = await slack.click("UA", owner_prompt, {"type": "users_select", "selected_user": "UB"})
    assert resp.status == 200
    assert committed_rows(slack, owner) == [(2,)]
    due = (await slack.posts(5))[4]
    assert "By when" in due["text"]
    await wait_for(lambda: slack.fake.of("chat.update"))


async def test_a_slash_start_whose_request_fails_after_its_run_is_stored_keeps_no_run_and_no_root(
    slack: Harness, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_once(monkeypatch, Inbound, "_after_command")  # the run and its thread are in the group by now
    body = slash_body("UA", "start post_meeting Weekly")
    assert (await slack.post(body, form=True)).status == 500
    deleted = await wait_for(lambda: fake.of("chat.delete"))
    assert deleted[0].args["ts"] == fake.of("chat.postMessage")[0].result["ts"]
    assert committed_rows(slack, "SELECT count(*) FROM runs") == [(0,)]
    assert committed_rows(slack, "SELECT count(*) FROM deliveries") == [(0,)]
    resp = await slack.post(body, headers=retried(body), form=True)  # the person (or Slack) tries again
    assert resp.status == 200
    assert (await resp.json())["text"].startswith("Started run #1")
    assert committed_rows(slack, "SELECT count(*) FROM runs") == [(1,)]
    root, question = await slack.posts(2)  # the first root is deleted: the second, and the first question
    assert question["thread_ts"] == root["ts"]
    await asyncio.sleep(0.2)
    assert len(fake.posted()) == 2 and len(fake.of("chat.postMessage")) == 3


async def test_a_turn_in_the_group_of_a_failing_one_is_rolled_back_told_nothing_and_run_again(
    slack: Harness, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Released savepoints cannot be taken out of a group: Bob's 'list', written in the group of
    Alice's failing answer, is rolled back with it and not answered in Slack; both were kept and
    acknowledged, and both are carried out once when the bot runs them again."""
    thread = await started(slack)
    await slack.event(message("UB", "help", channel="DUB"))  # Bob is known: no users.info below
    await wait_for(lambda: len(fake.of("chat.postMessage")) == 3)
    gate = Gate(2)
    monkeypatch.setattr(slack.channel.backlog, "room", gate.around(slack.channel.backlog.room))
    fail_once(monkeypatch, slack_turns, "taken_value")
    answer = event_body(message("UA", "We ship in March", thread_ts=thread))
    listing = event_body(message("UB", "list", channel="DUB"))
    failing = asyncio.ensure_future(slack.client.post("/slack/events", data=answer, headers=sign(answer)))
    await wait_for(lambda: gate.arrived == 1)
    neighbour = await slack.client.post("/slack/events", data=listing, headers=sign(listing))
    assert ((await failing).status, neighbour.status) == (200, 200)  # both kept before their turns
    await wait_for(lambda: committed_rows(slack, "SELECT tries FROM slack_inbox ORDER BY id") == [(1,), (0,)])
    assert len(fake.of("chat.postMessage")) == 3  # Bob is told nothing for a turn not stored
    assert committed_rows(slack, DECIDED) == [(0,)]
    await wait_for(lambda: len(fake.of("chat.postMessage")) == 5, timeout=5)  # both run again
    assert (await slack.post(listing, headers=retried(listing))).status == 200  # Slack's retries: repeats
    assert (await slack.post(answer, headers=retried(answer))).status == 200
    await asyncio.sleep(0.3)
    told = [c.args["text"] for c in fake.of("chat.postMessage") if c.args["channel"] == "DUB"]
    assert len(told) == 2 and told[1].startswith("No open decision runs")
    assert committed_rows(slack, DECIDED) == [(1,)]
    assert len(fake.of("chat.postMessage")) == 5


async def test_a_socket_mode_event_whose_turn_fails_is_acknowledged_kept_and_run_again(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        root = await started_over_socket(slack)
        fail_once(monkeypatch, slack_turns, "taken_value")
        event = json.loads(event_body(message("UA", "We ship", thread_ts=root["ts"])))
        envelope = {"envelope_id": "env-2", "type": "events_api", "payload": event, "retry_attempt": 0}
        await fake.send_envelope(envelope)
        await wait_for(lambda: committed_rows(slack, "SELECT tries FROM slack_inbox") == [(1,)])
        # kept, so acknowledged (the ack crosses the websocket while the turn runs: waited for, not raced)
        await wait_for(lambda: [a["envelope_id"] for a in fake.acks] == ["env-1", "env-2"])
        assert committed_rows(slack, DECIDED) == [(0,)]
        assert committed_rows(slack, SEEN) == []
        await wait_for(lambda: committed_rows(slack, DECIDED) == [(1,)], timeout=5)
        assert (await slack.posts(3))[2]["text"] == "<@UA> Action 1: What is the action?"
        await fake.send_envelope({**envelope, "envelope_id": "env-3", "retry_attempt": 1})  # a repeat
        await wait_for(lambda: len(fake.acks) == 3)
        await slack.turned()
        assert committed_rows(slack, DECIDED) == [(1,)] and len(fake.posted()) == 3
    finally:
        await slack.client.close()


async def test_what_the_outbox_learnt_from_a_post_outlives_a_failing_request_in_its_group(
    slack: Harness, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The outbox posts a triggered run's first message (it becomes the thread's root) and writes
    that down in the same group as Bob's failing 'list': the group is rolled back, but the root
    was posted and is marked delivered, so the ledger must keep knowing it is run 1's thread, or
    Alice's answer typed in it would be ignored."""
    await slack.event(message("UB", "help", channel="DUB"))  # Bob and Alice are known: no users.info below
    await slack.event(message("UA", "help", channel="DUA"))
    await wait_for(lambda: len(fake.of("chat.postMessage")) == 2)
    await asyncio.sleep(0.2)
    both = Gate(2)  # Bob's request, then the outbox's post: then both go on in one pass (one group commit)
    request_held = both.around(slack.channel.backlog.room)
    monkeypatch.setattr(slack.channel.backlog, "room", request_held)
    post = slack_send.call

    async def post_then_held(request: Any) -> Any:
        answer = await post(request)
        await both.wait()  # the outbox writes what the post taught in the pass Bob's request fails in
        return answer

    monkeypatch.setattr(slack_send, "call", post_then_held)
    fail_once(monkeypatch, slack_blocks, "mrkdwn_parts")  # Bob's 'list' fails after its command's savepoint
    failing = asyncio.ensure_future(slack.post(event_body(message("UB", "list", channel="DUB"))))
    await wait_for(lambda: both.arrived == 1)
    alice = Actor("slack:UA", "Alice")
    slack.services.dispatcher.start(Trigger("post_meeting", facilitator=alice), ConversationKey("slack", "C2"))
    slack.services.notify("slack")
    assert (await failing).status == 200  # kept; its turn failed after
    await wait_for(lambda: "A request failed" in caplog.text)  # its group, holding the outbox's writes, was rolled back
    root = await wait_for(lambda: [c.result["ts"] for c in fake.of("chat.postMessage") if c.args["channel"] == "C2"])
    await asyncio.sleep(0.3)
    assert committed_rows(slack, "SELECT channel, thread_ts, run_id FROM slack_threads") == [("C2", root[0], 1)]
    assert committed_rows(slack, "SELECT delivered_at IS NOT NULL FROM messages WHERE direction = 'out'")[-1] == (1,)
    await slack.event(message("UA", "We ship in March", channel="C2", thread_ts=root[0]))
    assert committed_rows(slack, DECIDED) == [(1,)]


async def test_replies_of_a_turn_rolled_back_are_not_counted_in_the_backlog(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backlog counts replies committed and not yet sent: a failed request's turn queued none
    (they went with its group), or it would hold every later event back once full."""
    thread = await started(slack)
    await asyncio.sleep(0.2)
    backlog = slack.channel.backlog
    assert backlog.count == 0
    fail_once(monkeypatch, slack_turns, "taken_value")  # after the turn (and its replies) was written
    body = event_body(message("UA", "We ship in March", thread_ts=thread))
    assert (await slack.post(body)).status == 200  # kept; its turn failed after
    assert committed_rows(slack, "SELECT tries FROM slack_inbox") == [(1,)]
    assert backlog.count == 0  # counted, its replies would never be sent and the count never given back
    await slack.posts(3, timeout=5)  # run again from the kept event
    await wait_for(lambda: backlog.count == 0)  # counted once committed, given back once sent
