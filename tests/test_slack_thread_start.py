"""``@decisionbot start FLOW ...`` typed in the thread of a run still going: a thread holds one
run, so nothing starts and the writer alone gets the note naming the run (as in the thread of a
run that ended); it is never the answer to the question the run waits on, and never a
non-participant's refused answer. Signed requests to the real server, the fake Web API."""

from __future__ import annotations

from typing import Any

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for

THREAD_HAS_RUN = (
    "This thread already belongs to run #1, so nothing was started. To start another run,"
    " use /decision start, or mention me in a new message in the channel."
)


def mention(user: str, text: str, thread_ts: str) -> dict[str, Any]:
    event = message(user, f"<@{BOT_USER}> {text}", thread_ts=thread_ts, type="app_mention")
    del event["channel_type"]  # app_mention events carry none
    return event


def ephemerals(fake: FakeSlack) -> list[tuple[str, str]]:
    return [(c.args["user"], c.args["text"]) for c in fake.of("chat.postEphemeral")]


async def test_the_facilitators_start_mention_in_her_runs_thread_is_no_answer(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    resp = await slack.event(mention("UA", "start post_meeting Retro", thread))
    assert resp.status == 200
    assert slack.rows("SELECT step, raw FROM answers") == []  # "start post_meeting Retro" decided nothing
    assert await wait_for(lambda: ephemerals(fake)) == [("UA", THREAD_HAS_RUN)]
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]
    assert slack.rows("SELECT state FROM runs") == [("decision",)]
    # the thread's answers still reach its run
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    assert slack.rows("SELECT step, raw FROM answers") == [("decision", "We ship in March")]


async def test_someone_elses_start_mention_in_a_runs_thread_gets_the_note(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.event(mention("UB", "start post_meeting Retro", thread))
    assert await wait_for(lambda: ephemerals(fake)) == [("UB", THREAD_HAS_RUN)]
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]


async def test_a_mention_answering_in_a_runs_thread_is_still_an_answer(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.event(mention("UA", "We start in March", thread))  # "start" not as a command
    assert slack.rows("SELECT step, raw FROM answers") == [("decision", "We start in March")]
