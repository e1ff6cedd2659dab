"""A run's Slack conversation refusing the bot is told to the facilitator by direct message with
advice that works for that refusal (an acceptance review found "Add the bot back" given for an
archived channel, and a deleted thread's refusals sent to that same thread): the real slack-sdk
against the fake Web API answering ``ok: false`` with each of Slack's codes."""

from __future__ import annotations

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

SAID = (
    "Run #1 ('Weekly sync') cannot post in its conversation, slack:C1: {plain} ({code}). Nobody there has seen its question:"
    ' "Action 1: What is the action?". '
)
GOES_ON = (
    "You can answer it here, in this chat. {fix} and the run goes on there (its next reminder asks again);"
    " or end the run with the bot's command 'cancel 1'."
)


@pytest.mark.parametrize(
    ("code", "plain", "advice"),
    [
        (
            "not_in_channel",
            "the bot is not in the channel",
            GOES_ON.format(fix="Invite the bot to that channel (/invite @decisionbot)"),
        ),
        ("is_archived", "the channel is archived", GOES_ON.format(fix="Unarchive the channel")),
        (
            "restricted_action",
            "the channel does not let the bot post",
            GOES_ON.format(fix="Let the bot post in that channel (its posting permissions)"),
        ),
        (
            "channel_not_found",
            "Slack cannot find the channel; it was deleted, or it is private and the bot was removed",
            GOES_ON.format(fix="Add the bot back to that conversation"),
        ),
    ],
)
async def test_a_refused_conversation_is_told_with_advice_for_that_refusal(
    slack: Harness, fake: FakeSlack, code: str, plain: str, advice: str
) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    fake.refuse("chat.postMessage", error=code)  # the run's next question, in its thread
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert told["text"] == SAID.format(plain=plain, code=code) + advice
    assert "thread_ts" not in told  # a direct message, not the thread that refuses the bot


async def test_the_facilitator_answers_the_question_nobody_saw_in_the_direct_message(
    slack: Harness, fake: FakeSlack
) -> None:
    """The notice says she can answer there (an acceptance review found it said "the run goes on
    with its next message" while the run waited for an answer nobody had seen), and it holds."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    fake.refuse("chat.postMessage", error="not_in_channel")
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert "You can answer it here, in this chat." in told["text"]
    await slack.event(message("UA", "Draft the plan", channel="DUA", channel_type="im"))
    answered = await wait_for(lambda: slack.rows("SELECT step, raw FROM answers WHERE raw = 'Draft the plan'"))
    assert answered == [("actions", "Draft the plan")]


async def test_each_question_the_channel_refuses_reaches_the_facilitator_answering_in_the_direct_message(
    slack: Harness, fake: FakeSlack
) -> None:
    """The bot removed from the channel mid-run: Alice is told by direct message and answers the
    question there, as the notice says she can. Before, the run's next question went to the
    channel, was refused too, and, the channel's refusal told once an hour, she heard nothing: her
    answer met silence and the run waited on a question nobody saw. Now each question of hers the
    channel refuses follows her there, in a line, and the run goes on."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    fake.shut_out("C1")
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    await slack.event(message("UA", "Draft the plan", channel="DUA", channel_type="im"))
    still = "Run #1 ('Weekly sync') still cannot post in its conversation."
    told = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUA" and still in p["text"]])
    assert told == [f"{still} Its next question, for you: \"Action 1: Who owns 'Draft the plan'?\". Answer it here."]
    await slack.event(message("UA", "<@UB>", channel="DUA", channel_type="im"))
    told = await wait_for(
        lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUA" and still in p["text"]][1:]
    )
    assert told[0].startswith(f'{still} Its next question, for you: "Action 1: By when')
    assert slack.rows("SELECT step, raw FROM answers ORDER BY id") == [
        ("decision", "We ship in March"),
        ("actions", "Draft the plan"),
        ("actions", "@Bob"),
    ]
