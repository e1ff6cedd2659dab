"""``/decision start post_meeting @bob @carol Weekly sync`` in a channel Bob is not in: the run
started, Bob could not see its thread, and nobody was told. Now its facilitator is told privately,
once, after the start (``conversations.members``, paged, read until the people are found), who is
not in the channel and the fix. Slack refusing to say (``missing_scope``, its rate limit) is one
log line and no warning: the start is as before. The real server, signed requests, the real
slack-sdk against the fake Web API."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fakes.slack_api import BOT_USER, Call, FakeSlack
from tests.slack_modal_support import home_start_body
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, message, wait_for
from tests.test_slack_modal import submit

START = "start post_meeting <@UB> <@UC> Weekly sync"
STARTED = "Started run #1 (post_meeting): 'Weekly sync', with Bob, Carol."
NOT_IN = (
    "Heads up: <@UC> is not in this channel, so they cannot see run #1's thread. Invite them"
    " (/invite <@UC>), or they can answer only what the flow asks them directly, by direct message."
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


def warnings(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.of("chat.postEphemeral") if "Heads up" in str(c.args.get("text"))]


def unknown(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "conversations.members" in r.getMessage()]


async def settled(slack: Harness) -> None:
    """The start's side calls made (its first question posted, a moment for what follows it)."""
    await slack.posts(2)
    await asyncio.sleep(0.3)


async def test_the_facilitator_is_told_once_who_cannot_see_the_thread(slack: Harness, fake: FakeSlack) -> None:
    fake.set_members("C1", "UA", "UB", BOT_USER)
    assert (await slack.slash("UA", START))["text"] == STARTED
    [told] = await wait_for(lambda: warnings(fake))
    root = (await slack.posts(2))[0]["ts"]
    assert (told.args["channel"], told.args["user"], told.args["thread_ts"]) == ("C1", "UA", root)
    assert told.args["text"] == NOT_IN
    await asyncio.sleep(0.3)
    assert len(warnings(fake)) == 1  # once a start
    assert [c.args["channel"] for c in fake.of("conversations.members")] == ["C1"]


async def test_nobody_missing_nothing_said(slack: Harness, fake: FakeSlack) -> None:
    fake.set_members("C1", "UA", "UB", "UC", BOT_USER)
    assert (await slack.slash("UA", START))["text"] == STARTED
    await wait_for(lambda: fake.of("conversations.members"))
    await settled(slack)
    assert warnings(fake) == []


async def test_two_missing_named_together(slack: Harness, fake: FakeSlack) -> None:
    fake.set_members("C1", "UA", BOT_USER)
    await slack.slash("UA", START)
    [told] = await wait_for(lambda: warnings(fake))
    assert told.args["text"].startswith("Heads up: <@UB> and <@UC> are not in this channel")
    assert "(/invite <@UB> <@UC>)" in told.args["text"]


async def test_the_member_list_is_read_page_by_page(slack: Harness, fake: FakeSlack) -> None:
    fake.page_size = 2
    fake.set_members("C1", "U1", "UA", "U2", "U3", "UB", BOT_USER, "U4", "U5", "U6")
    await slack.slash("UA", START)
    [told] = await wait_for(lambda: warnings(fake))
    assert told.args["text"] == NOT_IN  # Bob found on the third page; Carol on none
    pages = fake.of("conversations.members")
    assert [c.args.get("cursor") for c in pages] == [None, "2", "4", "6", "8"]  # the whole list, Carol not in it


async def test_paging_stops_once_everyone_is_found(slack: Harness, fake: FakeSlack) -> None:
    fake.page_size = 2
    fake.set_members("C1", "UA", "UC", "UB", "U2", "U3", "U4", "U5", BOT_USER)
    await slack.slash("UA", START)
    await wait_for(lambda: len(fake.of("conversations.members")) >= 2)
    await settled(slack)
    assert len(fake.of("conversations.members")) == 2 and warnings(fake) == []


@pytest.mark.parametrize(
    ("how", "error"), [({"error": "missing_scope"}, "missing_scope"), ({"status": 429, "retry_after": "30"}, "429")]
)
async def test_slack_refusing_to_say_is_one_line_and_no_warning(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture, how: dict[str, str], error: str
) -> None:
    caplog.set_level(logging.INFO)
    fake.set_members("C1", "UA", BOT_USER)
    fake.refuse("conversations.members", **how)
    assert (await slack.slash("UA", START))["text"] == STARTED
    [line] = await wait_for(lambda: unknown(caplog))
    assert error in line and "run 1" in line and "C1" in line
    await settled(slack)
    assert warnings(fake) == [] and len(unknown(caplog)) == 1
    assert slack.rows("SELECT status FROM runs") == [("active",)]  # the start went on
    assert len(fake.of("conversations.members")) == 1  # not retried
    if error == "missing_scope":
        assert "channels:read / groups:read" in line


async def test_in_the_bots_direct_message_nobody_else_can_see_it(slack: Harness, fake: FakeSlack) -> None:
    assert (await slack.slash("UA", START, channel="DUA"))["text"] == STARTED
    [told] = await wait_for(lambda: warnings(fake))
    assert told.args["channel"] == "DUA" and told.args["user"] == "UA"
    assert told.args["text"].startswith("Heads up: run #1 lives in our direct message, so <@UB> and <@UC> cannot")
    assert fake.of("conversations.members") == []  # nothing to ask Slack


async def test_a_start_naming_nobody_else_asks_nothing(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting <@UA> Weekly sync")
    await settled(slack)
    assert fake.of("conversations.members") == [] and warnings(fake) == []


async def test_a_start_by_mention_warns_the_same_in_its_thread(slack: Harness, fake: FakeSlack) -> None:
    fake.set_members("C1", "UA", "UB", BOT_USER)
    mention = message("UA", f"<@{BOT_USER}> {START}", type="app_mention")
    del mention["channel_type"]
    await slack.event(mention)
    [told] = await wait_for(lambda: warnings(fake))
    assert (told.args["channel"], told.args["user"], told.args["thread_ts"]) == ("C1", "UA", mention["ts"])
    assert told.args["text"] == NOT_IN


async def test_a_facilitator_not_in_the_channel_is_told_by_direct_message(slack: Harness, fake: FakeSlack) -> None:
    """The form sent from the Home tab, for a channel its sender is not in: Slack would refuse a
    private message to her there; she is told by direct message, the channel named."""
    fake.set_members("C7", "UB", BOT_USER)
    assert (await slack.post(home_start_body("UA"), form=True)).status == 200
    view = fake.modals()[-1]
    assert await submit(slack, view, flow="post_meeting", people=("UB", "UC"), title="Retro", channel="C7") is None
    said = await wait_for(lambda: [c for c in fake.of("chat.postMessage") if "Heads up" in str(c.args["text"])])
    assert said[0].args["channel"] == "DUA"
    assert said[0].args["text"].startswith("Heads up: <@UC> is not in <#C7>, so they cannot see run #1's thread.")
    assert warnings(fake) == []  # nothing private in C7


async def test_a_start_typed_in_the_bots_direct_message_names_who_cannot_see_it(
    slack: Harness, fake: FakeSlack
) -> None:
    """``start post_meeting @bob @carol Weekly sync`` typed in the App's Messages tab: the run lives in
    that direct message (docs/slack.md), where nobody else can be. Before, only the slash command
    there said so; typed, Alice was told "Started" and nothing of it. Now its confirmation says whom
    the run cannot reach there, with no call to Slack."""
    await slack.event(message("UA", START, channel="DUA"))
    [told] = await wait_for(lambda: [p["text"] for p in fake.posted() if p["text"].startswith("Started run #1")])
    assert told == (
        f"{STARTED}\nHeads up: run #1 lives in our direct message, so <@UB> and <@UC> cannot see it. They can"
        " answer only what the flow asks them directly, by direct message. To have them answer the rest, cancel"
        " it and start it in a channel they are in."
    )
    await settled(slack)
    assert [p["channel"] for p in fake.posted()] == ["DUA", "DUA"]  # the confirmation and the first question
    assert warnings(fake) == [] and fake.of("conversations.members") == []  # nothing to ask Slack
    assert slack.rows("SELECT conversation FROM runs") == [("slack:DUA",)]


async def test_a_start_typed_in_the_direct_message_naming_nobody_else_says_only_started(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.event(message("UA", "start post_meeting Weekly sync", channel="DUA"))
    [told] = await wait_for(lambda: [p["text"] for p in fake.posted() if p["text"].startswith("Started run #1")])
    assert told == "Started run #1 (post_meeting): 'Weekly sync'."
