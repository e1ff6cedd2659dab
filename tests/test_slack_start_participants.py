"""A flow whose question is for its participants (a vote: ``to: participants``), started with
``/decision start vote Q1 budget`` naming nobody: it started, and every question for the
participants came to the facilitator alone (the engine's stand-in when a run has none). Now a
chat start of such a flow naming no participant starts nothing, before any message is posted,
and says how to name them; named, it starts as before. The real server, signed requests, the
real slack-sdk against the fake Web API."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, harness, message, wait_for
from tests.test_slack_modal import opened_by_slash, submit

VOTE = """\
id: vote
title: Team vote
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - {id: agree, to: participants, ask: "Do you agree with {{ trigger.title }}?", type: yes_no}
"""
REFUSED = (
    "Nothing started: vote asks its participants, and you named none (its questions for them would all come"
    " to you). Name them after the flow: start vote @bob @carol [title]"
)


async def voting(tmp_path: Path, fake: FakeSlack) -> Harness:
    flows = shipped_flows(tmp_path / "flows")
    (flows / "vote.yaml").write_text(VOTE)
    return await harness(tmp_path, fake, flows=flows)


async def test_a_vote_started_with_nobody_to_vote_starts_nothing(tmp_path: Path, fake: FakeSlack) -> None:
    slack = await voting(tmp_path, fake)
    try:
        assert (await slack.slash("UA", "start vote Q1 budget"))["text"] == REFUSED
        assert (await slack.slash("UA", "start vote <@UA> Q1 budget"))["text"] == REFUSED  # herself: no one else
        event = message("UA", f"<@{BOT_USER}> start vote Q1 budget", type="app_mention")
        del event["channel_type"]
        await slack.event(event)
        [told] = await wait_for(lambda: fake.of("chat.postEphemeral"))
        assert told.args["text"] == REFUSED
        assert fake.posted() == [] and not fake.of("chat.delete")  # no root posted, none taken back
        assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
        told = (await slack.slash("UA", "start vote <@UB> Q1 budget"))["text"]
        assert told == "Started run #1 (vote): 'Q1 budget', with Bob."
        await wait_for(lambda: [p for p in fake.posted() if p["text"] == "<@UB> Do you agree with Q1 budget?"])
    finally:
        await slack.client.close()


async def test_a_flow_asking_no_participant_starts_without_them(slack: Harness) -> None:
    told = (await slack.slash("UA", "start post_meeting Weekly sync"))["text"]
    assert told == "Started run #1 (post_meeting): 'Weekly sync'."


async def test_the_form_names_it_under_its_participants_before_posting(tmp_path: Path, fake: FakeSlack) -> None:
    slack = await voting(tmp_path, fake)
    try:
        view = await opened_by_slash(slack)
        answer = await submit(slack, view, flow="vote", title="Q1 budget", channel="C1")
        assert answer == {
            "response_action": "errors",
            "errors": {
                "participants": "This flow asks its participants: pick at least one (else its questions for them"
                " would all come to you)."
            },
        }
        assert fake.posted() == [] and slack.rows("SELECT count(*) FROM runs") == [(0,)]
        assert await submit(slack, view, flow="vote", people=("UB",), title="Q1 budget", channel="C1") is None
        await wait_for(lambda: slack.rows("SELECT count(*) FROM runs") == [(1,)])
    finally:
        await slack.client.close()


async def test_a_start_refused_for_its_title_or_for_reviewing_nothing_posts_no_root(
    slack: Harness, fake: FakeSlack
) -> None:
    """Refused before anything is posted, as a start naming no participant is: the channel never
    sees a root announcing the start (nor its facilitator's mention), taken back after."""
    told = (await slack.slash("UA", "start post_meeting <@UB> " + "T" * 501))["text"]
    assert told == "Nothing started: that title is too long (501 characters; 500 at most)."
    told = (await slack.slash("UA", "start decision_review"))["text"]
    assert told.startswith("Nothing started: decision_review reviews a recorded decision")
    assert fake.posted() == [] and not fake.of("chat.delete")
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
    assert slack.rows("SELECT count(*) FROM messages WHERE kind IN ('start', 'root')") == [(0,)]
