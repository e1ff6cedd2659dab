"""A run an alert starts in a Slack channel lives in the thread of its first message; a mention of
the bot posted in the channel itself is a command. Taro, asked by the alert's run, mentioned the
bot in the channel with words no command knows: he was told, in Teams' words, to answer on the
run's card or in its thread "mentioning me" (Slack has buttons, and a thread reply needs no
mention). He is now told where Slack asks: the run's thread, or his direct message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, harness, message, wait_for
from tests.test_slack_trigger_people import LABELS, TOKEN, alert, hook


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UT": ("Taro", "Asia/Tokyo")}


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    h = await harness(tmp_path, fake, env={"DECISIONBOT_HOOK_TOKEN": TOKEN})
    yield h
    await h.client.close()


async def test_words_beside_an_alerts_thread_are_told_where_the_run_waits_in_slacks_terms(
    slack: Harness, fake: FakeSlack
) -> None:
    await hook(slack, alert(**LABELS))
    await slack.posts(1)  # the run's root in #C0OPS: the question is for Taro, its facilitator
    await slack.event(message("UT", f"<@{BOT_USER}> rolling back", channel="C0OPS", type="app_mention"))
    [call] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    told = call.args
    assert told["user"] == "UT"
    assert told["text"].startswith(
        "I don't know 'rolling'. Run #1 ('Checkout error rate above 5%') waits for your answer: answer in the"
        " run's own thread, or in our direct message if it asked you there. Commands: start FLOW"
    )
    assert "card" not in told["text"] and "mentioning me" not in told["text"]


async def test_words_given_to_the_slash_command_beside_the_thread_are_told_where_the_run_waits(
    slack: Harness, fake: FakeSlack
) -> None:
    """``/decision rolling back`` in the channel: a slash command is never a late answer, and still
    points to the run that waits on its writer."""
    await hook(slack, alert(**LABELS))
    await slack.posts(1)
    answer = await slack.slash("UT", "rolling back", channel="C0OPS")
    assert answer["text"].startswith(
        "I don't know 'rolling'. Run #1 ('Checkout error rate above 5%') waits for your answer: answer in the"
        " run's own thread"
    ), answer["text"]
