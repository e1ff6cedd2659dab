"""An owner whose question went to the facilitator (three answers it could not take, or the
review's escalation timer with ``escalate: reassign``) and who answers it late by direct message is
told that it was handed over and to whom, not "Nothing is waiting for your answer here", which
read as if the bot had never needed them; their words are not taken. The real server and
slack-sdk against the fake Web API, requests signed for real; Alice is in Paris, Bob in New York."""

from __future__ import annotations

import pytest

from bot.store import jobs
from tests.dates import FEB1, JAN10
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    ALICE_IN_PARIS_BOB_IN_NEW_YORK,
    Harness,
    SlackPeople,
    bob_asked_to_accept,
    message,
    wait_for,
)

HANDED_LATE = (
    "That question closed: I handed it to Alice when no answer came that I could take, and Alice"
    " answers it now. Nothing waits on you in this run now; tell Alice what you wanted to say."
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_IN_PARIS_BOB_IN_NEW_YORK


async def bob_says(slack: Harness, text: str) -> str:
    """What the bot answers Bob's direct message ``text`` (the next post in his DM)."""
    before = len([p for p in slack.fake.posted() if p["channel"] == "DUB"])
    await slack.event(message("UB", text, channel="DUB"))
    dms = await wait_for(lambda: (d := [p for p in slack.fake.posted() if p["channel"] == "DUB"])[before:] and d)
    return str(dms[before]["text"])


async def test_an_owner_answering_after_three_misses_handed_it_over_is_told_so(slack: Harness) -> None:
    await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    for miss in ("maybe", "perhaps"):
        await bob_says(slack, miss)
    assert (await bob_says(slack, "dunno")) == "Thanks, Bob. I've handed this question to Alice."
    assert (await bob_says(slack, "yes")) == HANDED_LATE
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]


async def test_an_owner_answering_after_the_review_escalated_is_told_it_was_handed_over(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.slash("UA", "start post_meeting <@UB> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship", "Draft the plan", "<@UB>", JAN10, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    await bob_says(slack, "yes")
    await slack.event(message("UA", FEB1, thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT closed_at IS NOT NULL FROM slack_threads") == [(1,)])
    steps = (("start_flow", "Review of"), ("remind", "Reminder: Review of"), ("escalate", "so I've handed this"))
    for kind, seen in steps:  # the review's day; a reminder; Bob silent still
        with slack.services.db.conn:
            slack.services.db.conn.execute(
                "UPDATE jobs SET due_at = '2000-01-01T00:00:00.000Z' WHERE kind = ?", (kind,)
            )
        (job,) = jobs.pending_jobs(slack.services.db.conn, kind)
        slack.services.dispatcher.run_job(job)
        slack.services.notify("slack")
        await wait_for(lambda seen=seen: [p for p in fake.posted() if seen in p["text"]])
    assert (await bob_says(slack, "yes, done last week")) == HANDED_LATE
    assert slack.rows("SELECT count(*) FROM answers WHERE run_id = 2") == [(0,)]
