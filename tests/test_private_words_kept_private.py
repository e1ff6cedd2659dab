"""What an owner types to the bot in private (a Slack direct message, a Teams personal chat) and the
bot cannot take is answered there, and is never quoted in the run's channel. The answers that
quote what was typed ("I can't find 'my salary plan' to change") go back where it was typed; when
that chat refuses the answer, the facilitator is told in the run's thread that the owner cannot be
reached, without quoting it. Before, that notice quoted the undelivered answer whole, and with it
the owner's private words, in the channel.

Slack: the real server and slack-bolt against the fake Web API; Teams: the real server and
botbuilder against the fake Bot Connector."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, bob_asked_to_accept, message, wait_for
from tests.teams_support import ALICE, BOB, CHANNEL, at, in_channel, installed, personal, submit
from tests.teams_support import Harness as TeamsHarness
from tests.teams_support import wait_for as teams_wait_for

PRIVATE = "my salary plan"
TYPED = f"change {PRIVATE} to something else"
NOTICES = "SELECT conversation, text FROM messages WHERE kind = 'notice'"


def in_channel_posts(fake: FakeSlack) -> list[str]:
    return [c.args.get("text") or "" for c in fake.of("chat.postMessage") if str(c.args.get("channel")).startswith("C")]


async def test_slack_a_misread_in_a_direct_message_is_answered_there(slack: Harness, fake: FakeSlack) -> None:
    await bob_asked_to_accept(slack)
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    await slack.event(message("UB", TYPED, channel="DUB"))
    said = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB" and PRIVATE in p["text"]])
    assert said[0]["text"].startswith(f"I can't find '{PRIVATE}' to change.") and "thread_ts" not in said[0]
    await wait_for(lambda: any(p["text"].startswith("Back to: ") for p in fake.posted() if p["channel"] == "DUB"))
    assert not [t for t in in_channel_posts(fake) if PRIVATE in t]


async def test_slack_a_misread_answer_its_direct_message_refuses_is_not_quoted_in_the_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await bob_asked_to_accept(slack)
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    await asyncio.sleep(0.2)  # the outbox done with what came before
    fake.refuse("chat.postMessage", times=2, error="channel_not_found")  # his DM refuses the answer and the question
    await slack.event(message("UB", TYPED, channel="DUB"))
    await wait_for(lambda: slack.rows(NOTICES))
    (where, text), *_ = slack.rows(NOTICES)
    assert where == f"slack:C1/{thread}" and text.startswith("I could not reach Bob: ")
    assert PRIVATE not in text  # before: 'They have not seen: "I can't find 'my salary plan' to change. ..."'
    told = await wait_for(lambda: [t for t in in_channel_posts(fake) if "I could not reach Bob" in t])
    assert PRIVATE not in told[0] and "what they wrote to me" in told[0]
    assert not [t for t in in_channel_posts(fake) if PRIVATE in t]


async def bob_asked_in_teams(h: TeamsHarness) -> str:
    """Alice's post_meeting in the channel up to Bob's confirmation in his personal chat; the chat."""
    due = (date.today() + timedelta(days=30)).isoformat()
    await h.send(installed(h.url, "channel", (ALICE, BOB)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    root = str((await h.next_post(0)).answer_id)
    await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
    await h.next_post(1)
    await h.send(in_channel(h.url, ALICE, "Fix the payroll export", root=root))
    owner = await h.next_post(2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(3)
    await h.send(submit(h.url, ALICE, when, {"answer": due}))
    more = await h.next_post(4)
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    confirm = await h.next_post(5)
    await h.settle()
    return str(confirm.conversation)


async def test_teams_a_misread_in_a_personal_chat_is_answered_there_and_never_quoted_in_the_channel(
    tmp_path: Path,
) -> None:
    async with TeamsHarness(tmp_path) as h:
        chat = await bob_asked_in_teams(h)
        await h.send(personal(h.url, BOB, TYPED))
        said = await h.next_post(6)
        assert said.conversation == chat and said.text.startswith(f"I can't find '{PRIVATE}' to change.")
        await h.settle()
        h.fake.refused_in[chat] = 403  # the app blocked for him since
        await h.send(personal(h.url, BOB, TYPED))
        await teams_wait_for(lambda: bool(h.db(NOTICES)))
        await h.settle()
        (where, text), *_ = h.db(NOTICES)
        assert where.startswith(f"teams:{CHANNEL}") and text.startswith("I could not reach Bob Builder: ")
        assert PRIVATE not in text  # before: quoted whole, in the channel
        in_the_channel = [c.text for c in h.fake.posts() if c.conversation.startswith(CHANNEL)]
        assert any("I could not reach Bob Builder" in t for t in in_the_channel)
        assert not [t for t in in_the_channel if PRIVATE in t]
