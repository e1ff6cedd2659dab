"""A refused ``cancel N`` (by someone who does not lead the run, or of a run that has ended) is
answered once, where it was typed. Before, its writer got the command's answer and then the same
text again from the outbox (an ephemeral in the run's thread). The refusal stays in the run's
transcript. Signed requests to the real server, the fake Web API."""

from __future__ import annotations

import asyncio

from tests import dates
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_thread_start import mention

REFUSED = "Only the facilitator (Alice) can cancel the run."  # as the transcript keeps it
ANSWERED = f"Run #1 ('Weekly sync'): {REFUSED}"  # as the command answers it, naming the run


def ephemeral_texts(fake: FakeSlack) -> list[str]:
    return [c.args["text"] for c in fake.of("chat.postEphemeral")]


async def settled(slack: Harness) -> None:
    """Until the outbox has nothing left to send (what it would send twice is sent by then)."""
    for _ in range(100):
        if slack.rows("SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL") == [(0,)]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox never settled")


async def test_a_refused_slash_cancel_is_said_once(slack: Harness, fake: FakeSlack) -> None:
    await slack.started()
    assert (await slack.slash("UB", "cancel 1"))["text"] == ANSWERED
    await settled(slack)
    assert ephemeral_texts(fake) == []
    assert slack.rows("SELECT actor_id, kind, text FROM messages WHERE kind = 'error'") == [
        ("slack:UB", "error", REFUSED)
    ]


async def test_a_refused_cancel_typed_in_the_runs_thread_is_said_once(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.event(mention("UB", "cancel 1", thread))
    await wait_for(lambda: ephemeral_texts(fake))  # (told once its turn is committed, after Slack's 200)
    await settled(slack)
    assert ephemeral_texts(fake) == [ANSWERED]


async def test_a_cancel_of_an_ended_run_is_said_once(slack: Harness, fake: FakeSlack) -> None:
    await slack.started()
    await slack.slash("UA", "cancel 1")
    again = (await slack.slash("UA", "cancel 1"))["text"]
    assert again == "Run #1 ('Weekly sync') was cancelled; nothing more to answer. Start a new one to decide again."
    await settled(slack)
    assert ephemeral_texts(fake) == []


async def test_an_owners_yes_in_his_dm_after_the_run_was_cancelled_is_told_so(slack: Harness, fake: FakeSlack) -> None:
    """Bob's question (accept the action?) was cancelled with its run: his 'yes' in the bot's DM
    was told 'Nothing is waiting for your answer here. Try: /decision help', as if he had never
    been asked. He is told which run ended, as Teams tells him in his personal chat."""
    thread = await slack.started("start post_meeting <@UB> Weekly sync")
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", dates.JAN15, "done")
    await wait_for(lambda: any(p["channel"] == "DUB" for p in fake.posted()))
    await slack.slash("UA", "cancel 1")
    await settled(slack)
    await slack.event(message("UB", "yes", channel="DUB"))
    told = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUB"][1:])
    assert told == ["Run #1 ('Weekly sync') was cancelled before you answered: nothing waits for your answer now."]


async def test_a_mention_in_the_thread_of_a_run_just_cancelled_after_ones_answer_is_told_it_was_cancelled(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob accepted his action; Alice then cancelled the run. His '@decisionbot yes' in its thread
    was "I don't know 'yes'. Commands: ..." (a command); it is told the run was cancelled, as
    Teams tells it in the run's thread. Alice, who cancelled it, is not told what she did."""
    thread = await slack.started("start post_meeting <@UB> Weekly sync")
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", dates.JAN15, "done")
    await wait_for(lambda: any(p["channel"] == "DUB" for p in fake.posted()))
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(1,)])
    await slack.slash("UA", "cancel 1")
    await settled(slack)
    await slack.event(mention("UB", "yes", thread))
    await slack.event(mention("UA", "dance", thread))
    await wait_for(lambda: len(ephemeral_texts(fake)) == 2)
    told = {c.args["user"]: c.args["text"] for c in fake.of("chat.postEphemeral")}
    assert told["UB"] == "Run #1 ('Weekly sync') was cancelled: nothing waits for your answer now."
    assert told["UA"].startswith("I don't know 'dance'.")
