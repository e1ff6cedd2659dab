"""What a facilitator is told when she starts and cancels runs with ``/decision`` and
``@decisionbot``, as a review of the product found it wanting: a flow's name mistyped got the
list of flows but no guess; ... The real server, signed requests, the real slack-sdk against the
fake Web API."""

from __future__ import annotations

import pytest

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for


@pytest.mark.parametrize("typed", ["post_meetng", "post_metting", "Post-Meeting", "post_meeting_"])
async def test_a_mistyped_flow_is_guessed(slack: Harness, typed: str) -> None:
    told = (await slack.slash("UA", f"start {typed} <@UB> Weekly sync"))["text"]
    assert told == f"There is no flow '{typed}'. Did you mean 'post_meeting'? Flows: metric_breach, post_meeting."
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_a_flow_nothing_like_one_is_not_guessed(slack: Harness) -> None:
    told = (await slack.slash("UA", "start retro Weekly sync"))["text"]
    assert told == "There is no flow 'retro'. Flows: metric_breach, post_meeting."


async def test_a_mention_with_a_mistyped_flow_is_guessed_too(slack: Harness, fake: FakeSlack) -> None:
    event = message("UA", f"<@{BOT_USER}> start post_meting Weekly sync", type="app_mention")
    del event["channel_type"]
    await slack.event(event)
    [told] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert "Did you mean 'post_meeting'?" in told.args["text"]


async def test_cancel_names_the_run_it_cancelled_or_refused(slack: Harness, fake: FakeSlack) -> None:
    """Before: "Run cancelled by Alice." and "Only the facilitator (Alice) can cancel the run.",
    typed anywhere: which run, the answer did not say. The thread's notice stays as it was."""
    await slack.slash("UA", "start post_meeting Weekly sync", channel="C2")
    await slack.posts(2)
    refused = (await slack.slash("UB", "cancel 1", channel="C2"))["text"]
    assert refused == "Run #1 ('Weekly sync'): Only the facilitator (Alice) can cancel the run."
    told = (await slack.slash("UA", "cancel #1", channel="C9"))["text"]
    assert told == "Run #1 ('Weekly sync') cancelled by Alice. The transcript is kept."
    [notice] = await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Run cancelled")])
    assert notice["text"] == "Run cancelled by Alice. The transcript is kept." and notice["channel"] == "C2"
    again = (await slack.slash("UA", "cancel 1"))["text"]
    assert again.startswith("Run #1 ('Weekly sync') was cancelled;") and "): Run #1" not in again


async def test_help_says_what_a_run_and_an_action_are_and_what_each_flow_is(slack: Harness) -> None:
    """Before: 'status RUN', 'done ACTION' and flows by their ids alone ('metric_breach'): what to
    type for RUN, and which flow is which, it did not say."""
    told = (await slack.slash("UA", "help"))["text"].split("\n")
    assert told[0].startswith("Commands: start FLOW [@people ...] [title] | list | status RUN | cancel RUN")
    assert told[1] == (
        "RUN: a run's number, as 'list' shows it (3 or #3). ACTION: an action's code, as 'actions' shows it (A12)."
    )
    assert told[2] == (
        "Flows: metric_breach (Metric breach decision), post_meeting (Post-meeting decision check)."
        " Example: start post_meeting @bob @carol Weekly sync"
    )
    assert (await slack.slash("UA", "hlep"))["text"].split("\n") == told  # a slip of it too


async def test_a_start_says_back_the_title_and_the_people_it_understood(slack: Harness, fake: FakeSlack) -> None:
    """Before: 'Started run #1 (post_meeting).', whatever was understood: '@bob' typed as plain words
    (no mention) is no participant, and only the title showed it, in the thread."""
    fake.add_user("UC", "Carol")
    told = (await slack.slash("UA", "start post_meeting <@UB>, <@UC> Weekly sync"))["text"]
    assert told == "Started run #1 (post_meeting): 'Weekly sync', with Bob, Carol."
    told = (await slack.slash("UA", "start post_meeting @bob Retro"))["text"]
    assert told == "Started run #2 (post_meeting): '@bob Retro'."
    told = (await slack.slash("UA", "start metric_breach"))["text"]
    assert told == "Started run #3 (metric_breach): 'Metric breach decision'."  # the flow's title, as the run's
