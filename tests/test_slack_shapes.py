"""Payload shapes a real workspace sends (acceptance and diff reviews found each mishandled): events
from a channel another workspace owns, files shared without text or a bare mention of the bot
(no answer attempt), a user group typed as an owner (no person), a start in a DM between people,
and Slack's app_rate_limited notice (its verification token never logged)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest

from bot import texts
from tests.fakes.slack_api import APP, BOT_USER, TEAM, FakeSlack
from tests.slack_support import Harness, bob_asked_to_accept, message, slash_body, wait_for

PARTNER = "T0PARTNER"  # the workspace that owns a Slack Connect channel shared into ours


def shared_channel_event(event: dict[str, Any], installation: str = TEAM) -> bytes:
    """An Events API callback from a channel another workspace owns (Slack Connect, or a Grid
    workspace's org-shared channel): the envelope's team_id is the channel's owner; the
    installation the event is delivered for is authorizations[0] (bolt-python's extract_team_id,
    java-slack-sdk#629)."""
    envelope = {
        "token": "x", "team_id": PARTNER, "context_team_id": PARTNER, "context_enterprise_id": None,
        "api_app_id": APP, "type": "event_callback", "event": event, "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()), "is_ext_shared_channel": True, "event_context": "4-eyJ",
        "authorizations": [{"enterprise_id": None, "team_id": installation, "user_id": BOT_USER, "is_bot": True,
                            "is_enterprise_install": False}],
    }  # fmt: skip
    return json.dumps(envelope).encode()


async def test_an_answer_in_a_slack_connect_channel_owned_by_another_workspace_is_taken(
    slack: Harness, fake: FakeSlack
) -> None:
    # the slash command (our workspace's team_id) works
    thread = await slack.started("start post_meeting <@UB|bob> Weekly sync")
    reply = message("UA", "We ship in March", thread_ts=thread, team=TEAM, user_team=TEAM, source_team=TEAM)
    resp = await slack.post(shared_channel_event(reply))
    assert resp.status == 200, await resp.text()  # main: 400 {"error": "unknown team T0PARTNER"}
    await slack.posts(3)
    assert slack.rows("SELECT text FROM messages WHERE direction = 'in' AND kind != 'start'") == [("We ship in March",)]


async def test_an_event_for_another_installation_is_still_refused(slack: Harness, fake: FakeSlack) -> None:
    """The installation is read from authorizations[0]: one that is not ours is refused."""
    thread = await slack.started("start post_meeting <@UB|bob> Weekly sync")
    reply = message("UA", "We ship in March", thread_ts=thread)
    resp = await slack.post(shared_channel_event(reply, installation="T0STRANGER"))
    assert resp.status == 400
    assert "T0STRANGER" in (await resp.json())["error"]
    assert slack.rows("SELECT text FROM messages WHERE direction = 'in' AND kind != 'start'") == []


async def test_a_file_shared_without_text_is_not_a_missed_answer(slack: Harness, fake: FakeSlack) -> None:
    """Bob drops screenshots (no caption) into his DM while his yes/no question waits: Slack
    sends message/file_share with text "". Each is taken as a wrong answer; the third hands his
    question to Alice."""
    await bob_asked_to_accept(slack)
    dm = (await slack.posts(7))[6]
    assert dm["channel"] == "DUB"
    for n in range(3):
        shot = {"id": f"F{n}", "name": f"shot{n}.png", "mimetype": "image/png"}
        await slack.event(message("UB", "", channel="DUB", subtype="file_share", files=[shot], upload=False))
    await asyncio.sleep(1.0)
    said = [p["text"] for p in fake.posted()[7:]]
    assert said == [], said  # main: 'Please answer yes or no.' x2, then 'Bob could not answer...' to Alice


async def test_a_reply_also_sent_to_the_channel_and_a_captioned_file_are_answers(
    slack: Harness, fake: FakeSlack
) -> None:
    """docs/slack.md says so: a thread reply with "Also send to #channel" (``thread_broadcast``)
    answers as any reply; a file with a caption answers with its caption, the file in the payload;
    a reply in the channel itself, outside the thread, answers nothing."""
    thread = await slack.started()
    await slack.event(message("UA", "We ship in March", thread_ts=thread, subtype="thread_broadcast"))
    await slack.event(message("UA", "Draft the plan", channel="C1"))  # in the channel, not the thread
    plan = {"id": "F1", "name": "plan.pdf", "permalink": "https://fake.slack.com/files/UA/F1/plan.pdf"}
    await slack.event(message("UA", "The plan, attached", thread_ts=thread, subtype="file_share", files=[plan]))
    assert slack.rows("SELECT step, raw FROM answers ORDER BY id") == [
        ("decision", "We ship in March"),
        ("actions", "The plan, attached"),
    ]
    [payload] = slack.rows("SELECT payload FROM messages WHERE text = 'The plan, attached'")
    assert json.loads(payload[0])["files"][0]["permalink"] == plan["permalink"]


@pytest.mark.parametrize(("channel", "name"), [("DUAUB", "directmessage"), ("G0GROUP", "mpdm-alice--bob--carol-1")])
async def test_a_start_in_a_direct_message_between_people_is_not_told_to_invite_the_bot(
    slack: Harness, fake: FakeSlack, channel: str, name: str
) -> None:
    """/decision start typed in Alice's DM with Bob (or a group DM): the bot is no member there
    (Slack answers chat.postMessage channel_not_found), and /invite cannot add it to a DM."""
    fake.refuse("chat.postMessage", error="channel_not_found")
    body = slash_body("UA", "start post_meeting Weekly sync", channel=channel)
    resp = await slack.post(body.replace(b"channel_id=", f"channel_name={name}&channel_id=".encode()), form=True)
    answer = await resp.json()
    assert answer["text"] == texts.slack_start_not_in_a_dm()
    assert slack.rows("SELECT id FROM runs") == []


async def test_a_start_in_a_channel_without_the_bot_is_told_to_invite_it(slack: Harness, fake: FakeSlack) -> None:
    fake.refuse("chat.postMessage", error="not_in_channel")
    body = slash_body("UA", "start post_meeting Weekly sync", channel="C9")
    resp = await slack.post(body.replace(b"channel_id=", b"channel_name=general&channel_id="), form=True)
    assert (await resp.json())["text"] == texts.slack_not_in_channel()


async def test_app_rate_limited_does_not_log_the_verification_token(slack: Harness, caplog) -> None:
    caplog.set_level(logging.WARNING)
    limited = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "app_rate_limited", "team_id": TEAM,
               "minute_rate_limited": 1518467820, "api_app_id": APP}  # fmt: skip
    resp = await slack.post(json.dumps(limited).encode())
    assert resp.status == 200
    assert "app_rate_limited" in caplog.text
    assert "Jhj5dZrVaK7ZwHHjRyZWjbDl" not in caplog.text  # main logged the whole payload, token included
    assert "in the minute from 2018-02-12 20:37 UTC" in caplog.text


def bare_mention(user: str, thread: str) -> dict:
    """``@decisionbot`` and nothing else, typed in a run's thread (Slack's app_mention)."""
    event = message(user, f"<@{BOT_USER}>", thread_ts=thread)
    event["type"] = "app_mention"
    return event


async def test_a_bare_mention_of_the_bot_in_a_runs_thread_is_not_a_missed_answer(
    slack: Harness, fake: FakeSlack
) -> None:
    """As a file shared without text: nothing typed, so no answer attempt. Bob pings the
    bot in the run's thread while his yes/no question waits; before, each ping was a wrong answer,
    and the third handed his question to Alice. His question still waits on him after them."""
    thread = await bob_asked_to_accept(slack)
    await slack.posts(7)
    for _ in range(3):
        assert (await slack.event(bare_mention("UB", thread))).status == 200
    await asyncio.sleep(1.0)
    said = [p["text"] for p in fake.posted()[7:]]
    assert said == [], said
    assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND text = ''") == [(0,)]
    await slack.event(message("UB", "yes", thread_ts=thread))  # his, still: taken as his answer
    await wait_for(lambda: slack.rows("SELECT actor_id, raw FROM answers WHERE step = 'owner_accepts'"))
    assert slack.rows("SELECT actor_id, raw FROM answers WHERE step = 'owner_accepts'") == [("slack:UB", "yes")]


async def test_a_user_group_given_as_an_owner_on_slack_is_asked_again(slack: Harness, fake: FakeSlack) -> None:
    """A user group typed as an owner is no person (it became Designer Dan, whose name it starts)."""
    fake.add_user("UD", "Designer Dan")
    await slack.slash("UA", "start post_meeting <@UD> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan"):
        await slack.event(message("UA", text, thread_ts=thread))
    await slack.posts(4)  # who owns it?
    await slack.event(message("UA", "<!subteam^S0DESIGN|@design>", thread_ts=thread))
    again = (await slack.posts(5))[4]["text"]
    assert "I don't know" in again, again
