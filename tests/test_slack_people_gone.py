"""People who leave the workspace: a deactivated Slack account (``users.info`` says ``deleted:
true``; its direct message cannot be opened, ``user_disabled``) is refused wherever someone names
a person who is to answer or own something: a person question (with a re-prompt, and the run goes
on with someone else), ``give A1 @person``, and ``start FLOW @person``. The real server, signed
requests, the real slack-sdk against the fake Web API. (From the acceptance review of branch
slackpeople.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

DAN_LEFT = (
    "<@UA> Dan's account is deactivated: they cannot be asked or own anything now. Name someone else: an"
    " @mention, a participant's name, or 'me'."
)


@pytest.fixture
async def fake(fake: FakeSlack) -> AsyncIterator[FakeSlack]:
    fake.add_user("UD", "Dan")
    fake.deactivate("UD")
    yield fake


async def decided_with_an_action_bob_took(slack: Harness) -> None:
    """Alice's meeting decided, with one action (A1) that Bob took by direct message."""
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", JAN15, "done")
    await wait_for(lambda: [p for p in slack.fake.posted() if p["channel"] == "DUB"])
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: "When should we review" in slack.fake.posted()[-1]["text"])
    await slack.say(thread, "ok")


async def test_a_deactivated_person_named_as_an_owner_is_refused_and_another_can_be_named(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UD>")
    assert fake.posted()[-1]["text"] == DAN_LEFT
    assert fake.posted()[-1]["thread_ts"] == thread
    assert slack.rows("SELECT deactivated FROM people WHERE id = 'slack:UD'") == [(1,)]  # kept across a restart
    await slack.say(thread, "<@UB>", JAN15, "done")
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    assert asked["text"].startswith("Alice assigned you an action from 'Weekly sync': 'Draft the plan'")
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]  # Dan was never asked


async def test_a_deactivated_person_picked_in_the_people_picker_is_refused(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan")
    question = fake.posted()[-1]
    await slack.click("UA", question, {"type": "users_select", "selected_user": "UD"})
    told = await wait_for(lambda: [p for p in fake.posted() if "deactivated" in p["text"]])
    assert told[0]["text"] == DAN_LEFT


async def test_an_action_is_not_given_to_a_deactivated_person(slack: Harness, fake: FakeSlack) -> None:
    await decided_with_an_action_bob_took(slack)
    answer = await slack.slash("UB", "give A1 <@UD|dan> he runs it now")
    assert (
        answer["text"]
        == "@Dan's account is deactivated: they cannot take an action over. Name someone else: give A12 @carol."
    )
    assert slack.rows("SELECT owner_id FROM actions") == [("slack:UB",)]
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]  # no handover run asks Dan


async def test_a_run_is_not_started_with_a_deactivated_participant(slack: Harness, fake: FakeSlack) -> None:
    answer = await slack.slash("UA", "start post_meeting <@UB> <@UD> Weekly sync")
    assert answer["text"].startswith("Nothing started: @Dan's account is deactivated, so they cannot take part.")
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_an_owner_who_leaves_before_being_asked_is_told_to_the_facilitator_once_without_retries(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob is named (his account works), then deactivated before his question goes: his direct
    message is refused (user_disabled), given up at once, and Alice is told in the thread that he
    cannot answer anywhere, not that he can answer there; she names Carol instead."""
    fake.add_user("UC", "Carol")
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", JAN15)
    fake.deactivate("UB")
    await slack.say(thread, "done")
    [told] = await wait_for(lambda: [p for p in fake.posted() if "could not reach" in p["text"]])
    assert told["thread_ts"] == thread
    assert told["text"] == (
        "<@UA> I could not reach Bob: their Slack account is deactivated (user_disabled). They have not seen:"
        f" \"Alice assigned you an action from 'Weekly sync': 'Draft the plan', due {JAN15}. Do you accept it?\"."
        " They cannot answer anywhere now. What you can do: give their part to someone else by correcting the"
        " answer that named them (for example 'change owner of action 1 to @someone'); or say 'cancel' to end"
        " the run."
    )
    gone = "SELECT actor_id, last_error FROM messages WHERE failed_at IS NOT NULL"
    assert slack.rows(gone) == [("slack:UB", "failed: user_disabled")]
    assert len(fake.of("conversations.open")) == 1  # given up at once, not retried
    await slack.say(thread, "change owner of action 1 to <@UC>")
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC"])
    assert asked["text"].startswith("Alice assigned you an action from 'Weekly sync': 'Draft the plan'")


async def test_an_action_of_an_owner_who_left_is_given_to_another_and_nobody_is_told_he_missed_the_news(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob owns A1 and leaves; Alice, the facilitator, gives it to Carol, who takes it. The old owner's
    'no longer yours' cannot reach Bob: given up and logged, not a notice to Alice about it."""
    fake.add_user("UC", "Carol")
    await decided_with_an_action_bob_took(slack)
    fake.deactivate("UB")
    await slack.event({"type": "user_change", "user": fake.users["UB"], "event_ts": "1800000000.1"})
    answer = await slack.slash("UA", "give A1 <@UC|carol> Bob left")
    assert answer["text"].startswith("Asked Carol to take over 'Draft the plan'.")
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC"])
    await slack.event(message("UC", "yes", channel="DUC"))
    await wait_for(
        lambda: slack.rows("SELECT failed_at FROM messages WHERE actor_id = 'slack:UB' AND failed_at IS NOT NULL")
    )
    assert slack.rows("SELECT owner_id FROM actions") == [("slack:UC",)]
    assert [p["text"] for p in fake.posted() if p["text"].startswith("Carol took over")] == [
        "Carol took over Bob's action 'Draft the plan' (from 'Weekly sync'), as Alice asked: Bob left"
    ]
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'notice'") == [(0,)]
