"""The Slack channel end to end: the real server and slack_sdk against the fake Web API, with
requests signed for real. A whole post_meeting run through the slash command, thread replies,
widgets (users_select, datepicker, buttons) and an owner's direct message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dates import FEB1, FEB15, JAN15
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import (
    ALICE_IN_PARIS_BOB_IN_NEW_YORK,
    Harness,
    SlackPeople,
    bob_asked_to_accept,
    harness,
    message,
    owner_question_answered_while_it_waits,
    unlinked,
    wait_for,
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_IN_PARIS_BOB_IN_NEW_YORK


def blocks_of(posted: dict) -> list[str]:
    return [e["type"] for b in posted.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def test_a_whole_post_meeting_run_through_the_slash_command(slack: Harness, fake: FakeSlack) -> None:
    answer = await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
    assert answer == {"response_type": "ephemeral", "text": "Started run #1 (post_meeting): 'Weekly sync', with Bob."}
    root, first = await slack.posts(2)
    assert root["channel"] == "C1" and "thread_ts" not in root
    assert root["text"] == (
        "<@UA> started *Post-meeting decision check*: Weekly sync. The questions and answers follow in this thread."
    )
    thread = root["ts"]
    assert first == {
        "channel": "C1",
        "thread_ts": thread,
        "text": "<@UA> What was decided in Weekly sync?",
        "ts": first["ts"],
    }

    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    owner_prompt = (await slack.posts(4))[3]
    assert owner_prompt["text"] == "<@UA> Action 1: Who owns 'Draft the plan'?"
    assert blocks_of(owner_prompt) == ["users_select"]

    resp = await slack.click("UA", owner_prompt, {"type": "users_select", "selected_user": "UB"})
    assert resp.status == 200
    due_prompt = (await slack.posts(5))[4]
    assert blocks_of(due_prompt) == ["datepicker"]
    update = (await wait_for(lambda: fake.of("chat.update")))[0]
    assert update.args["ts"] == owner_prompt["ts"] and update.args["channel"] == "C1"
    assert update.args["blocks"][1]["elements"][0]["text"] == "Answered by <@UA>: <@UB>"
    assert not [b for b in update.args["blocks"] if b["type"] == "actions"]

    await slack.click("UA", due_prompt, {"type": "datepicker", "selected_date": JAN15})
    next_item = (await slack.posts(6))[5]
    assert next_item["text"].startswith("<@UA> Action 2: What is the action?")
    assert blocks_of(next_item) == ["button"]

    await slack.click("UA", next_item, {"type": "button", "value": "done"})
    dm = (await slack.posts(7))[6]
    assert fake.of("conversations.open")[0].args == {"users": "UB"}
    assert dm["channel"] == "DUB" and "thread_ts" not in dm
    assert (
        dm["text"]
        == f"Alice assigned you an action from 'Weekly sync': 'Draft the plan', due {JAN15}. Do you accept it?"
    )
    assert blocks_of(dm) == ["button", "button"]

    await slack.click("UB", dm, {"type": "button", "value": "yes"})
    review = (await slack.posts(8))[7]
    assert review["thread_ts"] == thread and blocks_of(review) == ["datepicker", "button"]
    await slack.click("UA", review, {"type": "button", "value": "default"})
    summary = (await slack.posts(9))[8]
    assert summary["thread_ts"] == thread
    assert summary["text"].startswith("Decision recorded: Weekly sync\nDecided: We ship in March\n")
    assert f"1. Draft the plan - Bob, due {JAN15} (accepted)" in summary["text"]

    assert slack.rows("SELECT status, conversation FROM runs") == [("completed", f"slack:C1/{thread}")]
    actions = slack.rows("SELECT what, owner_id, owner_name, due, accepted_at IS NOT NULL FROM actions")
    assert actions == [("Draft the plan", "slack:UB", "Bob", JAN15, 1)]
    inbound = slack.rows("SELECT actor_id, text FROM messages WHERE direction = 'in' AND kind != 'start' ORDER BY id")
    assert inbound == [
        ("slack:UA", "We ship in March"),
        ("slack:UA", "Draft the plan"),
        ("slack:UA", "<@UB>"),
        ("slack:UA", JAN15),
        ("slack:UA", "done"),
        ("slack:UB", "yes"),
        ("slack:UA", "default"),
    ]
    undelivered = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
    await wait_for(lambda: slack.rows(undelivered) == [(0,)])  # the fake sees a post before the bot marks it sent
    assert slack.rows("SELECT count(*) FROM slack_threads WHERE closed_at IS NOT NULL") == [(1,)]
    assert slack.rows(undelivered) == [(0,)]


async def test_an_owner_takes_their_action_with_another_due_date_in_a_direct_message(slack: Harness) -> None:
    """Before, "yes, by DATE" in the owner's direct message was a plain yes: the date was lost."""
    mention = message("UA", f"<@{BOT_USER}> start post_meeting <@UB> Launch", type="app_mention")
    del mention["channel_type"]
    await slack.event(mention)
    thread = mention["ts"]
    await slack.posts(1)
    for text in ("We launch", "Write the notes", "<@UB>", FEB1, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    await slack.posts(6)
    await slack.event(message("UB", f"Yes, but by {FEB15}", channel="DUB"))
    told = (await slack.posts(8))[6]
    assert (told["channel"], told.get("thread_ts")) == ("C1", thread)
    assert told["text"].endswith(f"takes Action 1 ('Write the notes') due {FEB15} instead of {FEB1}.")
    assert slack.rows("SELECT field, value, kind FROM answers WHERE kind = 'correction'") == [
        ("due", f'"{FEB15}"', "correction")
    ]


async def test_an_owner_answers_by_typing_in_a_direct_message(slack: Harness, fake: FakeSlack) -> None:
    mention = message("UA", f"<@{BOT_USER}> start post_meeting <@UB> Launch", type="app_mention")
    del mention["channel_type"]
    assert (await slack.event(mention)).status == 200
    twin = message("UA", mention["text"], ts=mention["ts"])  # Slack sends the message event too
    await slack.event(twin)
    thread = mention["ts"]
    await slack.posts(1)
    for text in ("We launch", "Write the notes", "<@UB>", FEB1, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    dm = (await slack.posts(6))[5]
    assert dm["channel"] == "DUB"
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]

    await slack.event(message("UB", "maybe", channel="DUB"))
    error = (await slack.posts(7))[6]
    assert error == {
        "channel": "DUB",
        "text": "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'.",
        "ts": error["ts"],
    }
    await slack.event(message("UB", "yes", channel="DUB"))
    review = (await slack.posts(8))[7]
    assert review["channel"] == "C1" and review["thread_ts"] == thread
    assert review["text"].startswith("<@UA> When should we review this decision?")
    update = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == dm["ts"]])
    assert update[0].args["blocks"][1]["elements"][0]["text"] == "Answered by <@UB>: Yes"  # the answer taken
    assert slack.rows("SELECT accepted_at IS NULL FROM actions") == []  # not completed yet
    assert slack.rows("SELECT value FROM answers WHERE step = 'owner_accepts'") == [("true",)]


async def test_a_second_click_gets_already_answered_and_changes_nothing(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start metric_breach Checkout")
    thread = (await slack.posts(1))[0]["ts"]
    await slack.event(message("UA", "me", thread_ts=thread))
    prompt = (await slack.posts(3))[2]
    assert blocks_of(prompt) == ["button", "button", "button"]
    await slack.click("UA", prompt, {"type": "button", "value": "watch"})
    await slack.posts(4)
    await slack.click("UA", prompt, {"type": "button", "value": "ignore"})
    ephemeral = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert ephemeral[0].args["user"] == "UA"
    assert ephemeral[0].args["text"] == "This question was already answered by <@UA>: Watch it."
    assert slack.rows("SELECT step, value FROM answers WHERE step = 'response'") == [("response", '"watch"')]


async def test_a_widget_of_a_question_the_run_moved_past_answers_nothing(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    owner_prompt = (await slack.posts(4))[3]
    assert "Who owns" in owner_prompt["text"] and blocks_of(owner_prompt) == ["users_select"]
    await slack.event(message("UA", "back", thread_ts=thread))  # a command, not an answer
    again = (await slack.posts(5))[4]
    assert "What is the action?" in again["text"] and "blocks" not in again
    withdrawn = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == owner_prompt["ts"]])
    assert [b["type"] for b in withdrawn[0].args["blocks"]] == ["section"]  # its select taken away
    await slack.click("UA", owner_prompt, {"type": "users_select", "selected_user": "UB"})
    ephemeral = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert ephemeral[0].args["text"].startswith("This question is no longer open")
    assert slack.rows(
        "SELECT count(*) FROM messages WHERE direction = 'in' AND text = '<@UB>' AND kind <> 'refused'"
    ) == [(0,)]
    assert slack.rows("SELECT kind, json_extract(payload, '$.widget') FROM messages WHERE text = '<@UB>'") == [
        ("refused", "closed")
    ]  # kept in the transcript, the run untouched
    await slack.event(message("UA", "Write the plan", thread_ts=thread))  # the question asked now still works
    assert "Who owns 'Write the plan'?" in (await slack.posts(6))[5]["text"]


async def test_a_widget_clicked_before_its_successor_is_posted_answers_nothing(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start metric_breach Checkout")
    thread = (await slack.posts(1))[0]["ts"]
    await slack.event(message("UA", "me", thread_ts=thread))
    prompt = (await slack.posts(3))[2]
    fake.refuse("chat.postMessage", times=1000, status=503)  # what comes next waits in the outbox
    await slack.event(message("UA", "back", thread_ts=thread))  # asks the previous question again
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE direction = 'out' AND attempts > 0"))
    assert slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", prompt["ts"]) == [("open",)]
    await slack.click("UA", prompt, {"type": "button", "value": "watch"})  # the buttons still on screen
    ephemeral = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert ephemeral[0].args["text"].startswith("This question is no longer open")
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'response'") == [(0,)]
    assert slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", prompt["ts"]) == [("superseded",)]


async def test_someone_else_cannot_click_your_question(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start metric_breach Checkout")
    prompt = (await slack.posts(2))[1]
    await slack.click("UB", prompt, {"type": "button", "value": "act"})
    ephemeral = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert (
        ephemeral[0].args["text"]
        == "This question is for <@UA>. You can follow the thread, but only they can answer it."
    )
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]


async def test_commands_list_status_cancel_help_and_bad_ones(slack: Harness, fake: FakeSlack) -> None:
    help_text = (await slack.slash("UA", "help"))["text"]
    assert help_text.startswith(
        "Commands: start FLOW [@people ...] [title] | list | status RUN | cancel RUN | actions | done ACTION | due ACTION DATE"
    )
    assert (await slack.slash("UA", "start nope"))["text"] == (
        "There is no flow 'nope'. Flows: metric_breach, post_meeting."  # those a chat start can start
    )
    assert fake.posted() == []  # nothing posted for a refused start
    await slack.slash("UA", "start post_meeting Weekly")
    listed = unlinked((await slack.slash("UB", "list"))["text"])
    assert '#1 post_meeting: Weekly (active; waiting for Alice to answer "What was decided in Weekly?")' in listed
    assert unlinked((await slack.slash("UB", "status 1"))["text"]) == (
        "Run #1 post_meeting 'Weekly': active; waiting for Alice to answer \"What was decided in Weekly?\"."
    )
    assert "Only the facilitator (Alice)" in (await slack.slash("UB", "cancel 1"))["text"]
    assert (await slack.slash("UA", "cancel 1"))[
        "text"
    ] == "Run #1 ('Weekly') cancelled by Alice. The transcript is kept."
    root, _, cancelled = await slack.posts(3)
    assert cancelled == {
        "channel": "C1",
        "thread_ts": root["ts"],
        "text": "Run cancelled by Alice. The transcript is kept.",
        "ts": cancelled["ts"],
    }
    await slack.event(message("UA", "hello?", thread_ts=root["ts"]))  # the thread is closed now
    assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND kind != 'start'") == [(0,)]


async def test_status_of_a_run_is_told_only_to_its_people_and_its_own_channel(slack: Harness, fake: FakeSlack) -> None:
    fake.add_user("UZ", "Zed")
    await slack.slash("UA", "start post_meeting Acquisition of Initech", channel="GBOARD")
    root = (await slack.posts(2))[0]
    unknown = (await slack.slash("UZ", "status 99", channel="CRANDOM"))["text"]
    assert unknown == "No run #99 here. Say 'list' for the open runs of this conversation."
    # a stranger elsewhere learns nothing, not even that the run exists
    for verb in ("status", "cancel"):
        assert (await slack.slash("UZ", f"{verb} 1", channel="CRANDOM"))["text"] == unknown.replace("99", "1")
    told = "Run #1 post_meeting 'Acquisition of Initech': active; waiting for Alice to answer \"What was decided in Acquisition of Initech?\"."
    assert unlinked((await slack.slash("UZ", "status 1", channel="GBOARD"))["text"]) == told  # in the run's channel
    assert unlinked((await slack.slash("UA", "status 1", channel="CRANDOM"))["text"]) == told.replace(
        "for Alice", "for you"
    )  # its facilitator, whom it waits for
    assert (await slack.slash("UB", "status 1", channel="CRANDOM"))["text"] == unknown.replace("99", "1")
    for text in ("We buy it", "Draft the offer", "<@UB>", FEB1, "done"):
        await slack.event(message("UA", text, channel="GBOARD", thread_ts=root["ts"]))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    asked = "Run #1 post_meeting 'Acquisition of Initech': active; waiting for you to accept 'Draft the offer'."
    assert unlinked((await slack.slash("UB", "status 1", channel="CRANDOM"))["text"]) == asked  # the owner it asks
    assert (await slack.slash("UZ", "status 1", channel="CRANDOM"))["text"] == unknown.replace("99", "1")


async def test_slash_start_in_a_channel_the_bot_is_not_in(slack: Harness, fake: FakeSlack) -> None:
    fake.refuse("chat.postMessage", error="not_in_channel")
    answer = await slack.slash("UA", "start post_meeting Weekly", channel="C9")
    assert answer["text"] == "I can't post in this channel yet. Invite me first (/invite @decisionbot), then try again."
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_slash_start_answers_within_slacks_three_seconds_when_slack_is_slow(
    slack: Harness, fake: FakeSlack
) -> None:
    import time

    fake.add_user("UN", "Nia")  # not seen yet: her name is fetched first
    fake.slow_down("users.info", 3.0)
    fake.slow_down("chat.postMessage", 3.0)
    slack.channel.backlog.add(slack.channel.backlog.limit)  # and the outbox is full
    started = time.monotonic()
    answer = await slack.slash("UN", "start post_meeting Weekly")
    assert time.monotonic() - started < 2.9
    assert (
        answer["text"].startswith("Slack did not take the run's first message in time")
        and "nothing was started" in answer["text"]
    )
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_people_are_fetched_once_and_dates_resolve_in_the_speakers_time_zone(
    tmp_path: Path, fake: FakeSlack
) -> None:
    from datetime import UTC, datetime

    fake.add_user("UK", "Kiri", tz="Pacific/Kiritimati")  # UTC+14: already tomorrow
    clock = lambda: datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # noqa: E731
    slack = await harness(tmp_path, fake, clock=clock)
    try:
        await slack.slash("UK", "start post_meeting <@UA> <@UB> Sync")
        thread = (await slack.posts(1))[0]["ts"]
        for text in ("Ship", "Plan", "<@UB>", "today"):
            await slack.event(message("UK", text, thread_ts=thread))
        await slack.posts(6)
        assert slack.rows("SELECT value FROM answers WHERE field = 'due'") == [('"2026-11-29"',)]
        owner = slack.rows("SELECT value FROM answers WHERE field = 'owner'")
        assert owner == [('{"id": "slack:UB", "name": "Bob"}',)]
        looked_up = sorted(c.args["user"] for c in fake.of("users.info"))
        assert looked_up == ["UA", "UB", "UK"]
        assert slack.rows("SELECT id, name, tz FROM people ORDER BY id") == [
            ("slack:UA", "Alice", "Europe/Paris"),
            ("slack:UB", "Bob", "America/New_York"),
            ("slack:UK", "Kiri", "Pacific/Kiritimati"),
        ]
    finally:
        await slack.client.close()


async def test_a_triggered_run_posts_its_root_in_the_channel_then_stays_in_the_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    from bot.model import Actor, ConversationKey, Trigger

    trigger = Trigger(
        flow="post_meeting", source="alertmanager", title="Disk full", facilitator=Actor("slack:UA", "Alice")
    )
    slack.services.dispatcher.start(trigger, ConversationKey("slack", "C0123"))
    slack.services.notify("slack")
    root = (await slack.posts(1))[0]
    assert root["channel"] == "C0123" and "thread_ts" not in root
    assert root["text"] == "<@UA> What was decided in Disk full?"
    await slack.event(message("UA", "Add disks", channel="C0123", thread_ts=root["ts"]))
    second = (await slack.posts(2))[1]
    assert second["channel"] == "C0123" and second["thread_ts"] == root["ts"]
    assert second["text"] == "<@UA> Action 1: What is the action?"
    assert slack.rows("SELECT run_id, channel, thread_ts FROM slack_threads") == [(1, "C0123", root["ts"])]


async def test_a_direct_message_with_nothing_waiting_gets_a_hint_once(slack: Harness, fake: FakeSlack) -> None:
    event = message("UB", "hello?", channel="DUB")
    await slack.event(event, event_id="Ev0DM")
    await slack.event(event, event_id="Ev0DM")  # Slack's retry of the same event
    hint = await slack.posts(1)
    assert hint == [
        {"channel": "DUB", "text": "Nothing is waiting for your answer here. Try: /decision help", "ts": hint[0]["ts"]}
    ]
    await slack.event(message("UB", "list", channel="DUB"))
    listed = (await slack.posts(2))[1]
    assert listed["channel"] == "DUB" and listed["text"].startswith("No open decision runs here.")
    assert len(fake.posted()) == 2


async def test_a_question_answered_before_it_got_out_is_posted_answered(slack: Harness, fake: FakeSlack) -> None:
    await owner_question_answered_while_it_waits(slack, "<@UB>")
    owner, due = (await slack.posts(5))[3:5]
    assert owner["text"] == "<@UA> Action 1: Who owns 'Draft the plan'?\nAnswered by <@UA>: <@UB>"
    assert blocks_of(owner) == []  # nothing left to press
    assert blocks_of(due) == ["datepicker"]
    assert fake.of("chat.update") == []  # posted once, as it ends up
    assert slack.rows("SELECT status, answer FROM slack_prompts WHERE ts = ?", owner["ts"]) == [("answered", "<@UB>")]


async def test_help_about_a_question_asked_by_direct_message_is_answered_where_it_was_asked(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob's question went to him by direct message: his 'help' in the run's thread is answered in
    the thread (about that open question), in the direct message there (as on Teams)."""
    thread = await bob_asked_to_accept(slack, "start post_meeting <@UB|bob> Weekly sync")
    dm = (await slack.posts(7))[6]
    assert dm["channel"] == "DUB"
    await slack.event(message("UB", "help", thread_ts=thread))
    here = (await slack.posts(8))[7]
    assert (here["channel"], here.get("thread_ts")) == ("C1", thread)
    assert here["text"].startswith("<@UB> Alice assigned you an action from 'Weekly sync': 'Draft the plan'")
    await slack.event(message("UB", "help", channel="DUB"))
    there = (await slack.posts(9))[8]
    assert there["channel"] == "DUB" and there["text"].startswith("Alice assigned you an action")


@pytest.mark.parametrize(
    ("code", "told"),
    [
        ("is_archived", "the channel is archived (is_archived); nothing was started. Unarchive the channel,"),
        (
            "restricted_action",
            "the channel does not let the bot post (restricted_action); nothing was started. Let the bot post in"
            " that channel (its posting permissions),",
        ),
    ],
)
async def test_slash_start_in_a_channel_that_refuses_the_bot_for_good_says_why(
    slack: Harness, fake: FakeSlack, code: str, told: str
) -> None:
    """Before, a start in a channel where only admins may post was answered "Slack refused my message
    (restricted_action); nothing was started. Please try again in a moment.": again and again."""
    fake.refuse("chat.postMessage", error=code)
    answer = await slack.slash("UA", "start post_meeting Weekly", channel="C9")
    assert answer["text"] == f"Slack refused my message: {told} or start it in another channel."
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
