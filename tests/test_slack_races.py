"""Slack deliveries that overlap: two ``start`` mentions in one thread while their authors'
names are being fetched, and two clicks at once on the question of a triggered run that named no
facilitator (open to anyone until someone claims the run). The requests are signed for real and
go to the real server; the fake Web API answers ``users.info`` slowly so the requests overlap."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.admission import Admission
from bot.model import ConversationKey, Trigger
from bot.store import slack as store
from bot.store import transaction, utc_now
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for

ROOT_TS = "1800000000.900000"
THREAD_HAS_RUN = (
    "This thread already belongs to run #1, so nothing was started. To start another run,"
    " use /decision start, or mention me in a new message in the channel."
)


def mention_start(user: str, thread_ts: str = ROOT_TS) -> dict[str, Any]:
    event = message(user, f"<@{BOT_USER}> start post_meeting Weekly", thread_ts=thread_ts, type="app_mention")
    del event["channel_type"]  # app_mention events carry none
    return event


def ephemerals(fake: FakeSlack) -> list[tuple[str, str]]:
    return [(c.args["user"], c.args["text"]) for c in fake.of("chat.postEphemeral")]


async def test_two_start_mentions_at_once_in_one_thread_start_one_run(slack: Harness, fake: FakeSlack) -> None:
    fake.slow_down("users.info", 0.2)  # both mentions wait for their author's name together
    first, second = await asyncio.gather(slack.event(mention_start("UA")), slack.event(mention_start("UB")))
    assert (first.status, second.status) == (200, 200)
    assert slack.rows("SELECT id, conversation FROM runs") == [(1, f"slack:C1/{ROOT_TS}")]
    assert slack.rows("SELECT channel, thread_ts, run_id FROM slack_threads") == [("C1", ROOT_TS, 1)]
    (starter,) = slack.rows("SELECT facilitator_id FROM runs")[0]
    other = "UB" if starter == "slack:UA" else "UA"
    notes = await wait_for(lambda: ephemerals(fake))
    assert notes == [(other, THREAD_HAS_RUN)]
    assert fake.of("chat.postEphemeral")[0].args["thread_ts"] == ROOT_TS
    assert slack.rows("SELECT count(*) FROM deliveries WHERE platform = 'slack'") == [(2,)]  # a retry is dropped

    # the thread's replies reach the one run there
    question = (await slack.posts(1))[0]
    assert question["thread_ts"] == ROOT_TS
    await slack.event(message(starter.split(":")[1], "We ship in March", thread_ts=ROOT_TS))
    assert slack.rows("SELECT run_id, step FROM answers") == [(1, "decision")]


async def test_a_start_mention_in_the_thread_of_an_ended_run_starts_nothing(slack: Harness, fake: FakeSlack) -> None:
    await slack.event(mention_start("UA"))
    with transaction(slack.services.db) as conn:
        store.close_run(conn, 1, utc_now())  # its summary was posted: the thread is closed
    assert (await slack.event(mention_start("UB"))).status == 200
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]
    assert await wait_for(lambda: ephemerals(fake)) == [("UB", THREAD_HAS_RUN)]


async def test_a_thread_that_belongs_to_a_run_refuses_another(slack: Harness) -> None:
    await slack.event(mention_start("UA"))
    conn = slack.services.db.conn
    store.add_thread(conn, "C1", ROOT_TS, 1, utc_now())  # the same run again: nothing to do
    with pytest.raises(store.ThreadTaken, match=f"C1 {ROOT_TS} already belongs to run #1; run #2 cannot"):
        store.add_thread(conn, "C1", ROOT_TS, 2, utc_now())
    assert slack.rows("SELECT channel, thread_ts, run_id FROM slack_threads") == [("C1", ROOT_TS, 1)]


async def claimable_question(slack: Harness) -> dict[str, Any]:
    """A metric_breach run an alert started in C0123 naming no facilitator; its first question."""
    trigger = Trigger(
        flow="metric_breach",
        source="generic",
        title="Checkout",
        data={"metric": "conversion", "value": "1.9", "threshold": "2.5"},
        conversation=ConversationKey("slack", "C0123"),
    )
    slack.services.dispatcher.admit([Admission(trigger)])
    slack.services.notify("slack")
    question = (await slack.posts(1))[0]
    prompts = await wait_for(lambda: slack.rows("SELECT actor_id, status FROM slack_prompts"))  # noted once posted
    assert prompts == [("slack:facilitator", "open")]
    return question


async def test_the_question_of_a_run_nobody_facilitates_is_answered_by_the_first_click(
    slack: Harness, fake: FakeSlack
) -> None:
    question = await claimable_question(slack)
    fake.slow_down("users.info", 0.2)  # the two clicks overlap
    clicks = await asyncio.gather(
        slack.click("UA", question, {"type": "users_select", "selected_user": "UA"}),
        slack.click("UB", question, {"type": "users_select", "selected_user": "UB"}),
    )
    assert [c.status for c in clicks] == [200, 200]
    answers = slack.rows("SELECT step, actor_id FROM answers")
    assert len(answers) == 1 and answers[0][0] == "acknowledge"
    claimer = answers[0][1]
    assert slack.rows("SELECT facilitator_id FROM runs") == [(claimer,)]  # the first to answer took the role
    assert slack.rows("SELECT status, answered_by FROM slack_prompts WHERE ts = ?", question["ts"]) == [
        ("answered", claimer)
    ]
    notes = await wait_for(lambda: ephemerals(fake))
    first, other = claimer.split(":")[1], "UB" if claimer == "slack:UA" else "UA"
    assert notes == [(other, f"This question was already answered by <@{first}>: <@{first}>.")]  # a live mention
    update = (await wait_for(lambda: fake.of("chat.update")))[0]
    assert update.args["ts"] == question["ts"]
    assert update.args["blocks"][1]["elements"][0]["text"] == f"Answered by <@{first}>: <@{first}>"
    assert slack.rows("SELECT kind, actor_id FROM messages WHERE direction = 'in' ORDER BY id") == [
        ("answer", claimer),
        ("refused", f"slack:{other}"),
    ]  # the second click kept as refused


async def test_once_claimed_the_question_belongs_to_the_claimer(slack: Harness, fake: FakeSlack) -> None:
    question = await claimable_question(slack)
    await slack.event(message("UA", "help", channel="C0123", thread_ts=question["ts"]))  # UA speaks first
    assert slack.rows("SELECT facilitator_id FROM runs") == [("slack:UA",)]
    resp = await slack.click("UB", question, {"type": "users_select", "selected_user": "UB"})
    assert resp.status == 200
    notes = await wait_for(lambda: ephemerals(fake))
    assert notes == [("UB", "This question is for <@UA>. You can follow the thread, but only they can answer it.")]
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]
    # UA's typed answer takes the question asked before their claim: a later click gets the note
    await slack.event(message("UA", "<@UA>", channel="C0123", thread_ts=question["ts"]))
    assert slack.rows("SELECT status, answered_by FROM slack_prompts WHERE ts = ?", question["ts"]) == [
        ("answered", "slack:UA")
    ]
    await slack.click("UB", question, {"type": "users_select", "selected_user": "UB"})
    notes = await wait_for(lambda: len(ephemerals(fake)) > 1 and ephemerals(fake))
    assert notes[1][1].startswith("This question was already answered by <@UA>")
    assert all("<@facilitator>" not in text for _, text in notes)


async def test_a_click_on_a_nobodys_question_still_being_posted_closes_it_once_posted(
    slack: Harness, fake: FakeSlack
) -> None:
    fake.slow_down("chat.postMessage", 0.5)  # Slack has not answered with the question's ts yet
    trigger = Trigger(
        flow="metric_breach", source="generic", title="Checkout", conversation=ConversationKey("slack", "C0123")
    )
    slack.services.dispatcher.admit([Admission(trigger)])
    slack.services.notify("slack")
    sent = (await wait_for(lambda: fake.of("chat.postMessage")))[0].args
    question = {**sent, "ts": "1700000000.000001"}  # the ts the fake is about to answer with
    assert (await slack.click("UA", question, {"type": "users_select", "selected_user": "UA"})).status == 200
    assert slack.rows("SELECT facilitator_id FROM runs") == [("slack:UA",)]
    rows = await wait_for(
        lambda: slack.rows("SELECT status, answered_by FROM slack_prompts WHERE ts = ?", question["ts"])
    )
    await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == question["ts"]])
    assert slack.rows("SELECT status, answered_by FROM slack_prompts WHERE ts = ?", question["ts"]) == [
        ("answered", "slack:UA")
    ], rows  # before: left open, widgets and all, for the placeholder
    await slack.click("UB", question, {"type": "users_select", "selected_user": "UB"})
    notes = await wait_for(lambda: ephemerals(fake))
    assert notes == [("UB", "This question was already answered by <@UA>: <@UA>.")]
