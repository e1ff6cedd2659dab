"""Command answers about a run that waits for someone Slack did not name (``users.info`` failed
when they were named): ``/decision status N``, ``/decision list`` and ``@decisionbot status N``
in the run's thread answered "waiting for U0BOB12345 to accept ...", a bare id, where the bot's
posts show that person as a live mention. The answers now show them as live mentions too, which
Slack renders by their names. The real server, signed requests, the real slack-sdk against the
fake Web API. (From the acceptance review of branch oncall2.)"""

from __future__ import annotations

import re

from tests.dates import JAN15
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for

BOB = "U0BOB12345"  # as Slack's ids are: the fake does not know him
BARE = re.compile(rf"(?<!<@){BOB}")


async def waiting_for_bob(slack: Harness, fake: FakeSlack) -> str:
    """A post_meeting run whose one action Bob, unnamed, is asked to accept; its thread's ts."""
    fake.refuse("users.info", after=1, times=10, error="user_not_found")  # Alice is named; Bob is not
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    for text in ("Ship it", "Draft the plan", f"<@{BOB}>", JAN15, "done"):
        n = len(fake.posted())
        await slack.event(message("UA", text, thread_ts=thread))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == f"D{BOB}"])
    return thread


async def test_slash_status_and_list_show_an_unnamed_person_as_a_mention(slack: Harness, fake: FakeSlack) -> None:
    await waiting_for_bob(slack, fake)
    status = (await slack.slash("UA", "status 1"))["text"]
    listed = (await slack.slash("UA", "list"))["text"]
    assert f"waiting for <@{BOB}> to accept" in status
    assert f"waiting for <@{BOB}> to accept" in listed
    assert not BARE.search(status) and not BARE.search(listed)


async def test_status_in_the_runs_thread_shows_an_unnamed_person_as_a_mention(slack: Harness, fake: FakeSlack) -> None:
    thread = await waiting_for_bob(slack, fake)
    event = message("UA", f"<@{BOT_USER}> status 1", thread_ts=thread, type="app_mention")
    del event["channel_type"]  # app_mention events carry none
    await slack.event(event)
    [answer] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert f"waiting for <@{BOB}> to accept" in answer.args["text"]
    assert not BARE.search(answer.args["text"])


async def test_an_answer_naming_no_id_reads_no_more_of_the_ledger(slack: Harness, fake: FakeSlack) -> None:
    """Only an answer with a word shaped like a Slack id reads its runs' people."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    await slack.posts(2)
    reads: list[str] = []
    slack.services.db.conn.set_trace_callback(
        lambda sql: reads.append(sql) if "SELECT context FROM runs" in sql else None
    )
    assert "waiting for you" in (await slack.slash("UA", "status 1"))["text"]
    assert reads == []
