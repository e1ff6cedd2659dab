"""The workspace changing under the bot while runs are open: the bot removed from a run's channel
(``/kick``, "Remove app": Slack's ``channel_left`` / ``group_left``; ``member_left_channel`` is not
sent to the bot removed) or that channel archived (``channel_archive`` / ``group_archive``).
Before, nothing happened until the bot next posted there and was refused (the run's next reminder,
hours later), while the answers typed in the thread no longer reached the bot at all: the run
waited on questions nobody could answer. Now each open run's facilitator is told at once, by direct
message, where the run waits and how it goes on, and the ledger keeps why it stalled (a
``channel_lost`` transition, by whom). The real server, events signed as Slack signs them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, decided, message, wait_for
from tests.test_slack_alert_channel_refused import served
from tests.test_slack_tokens_revoked import health, ours
from tests.test_slack_trigger_people import NOW, alert, hook

REMOVED = (
    "Run #1 ('Weekly sync') can no longer be answered in its conversation, slack:C1: Bob removed the bot from"
    " the channel, so what is typed there no longer reaches it."
)
ASKS_YOU = ' It waits for your answer to "Action 1: What is the action?": you can answer it here, in this chat.'
INVITE = (
    " Invite the bot back (/invite @decisionbot) and the run goes on there (its next reminder asks again);"
    " or move it to a channel the bot is in with the bot's command 'move 1 #channel' (what waits is asked again there),"
    " or end it with 'cancel 1'."
)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def told_to(fake: FakeSlack, channel: str) -> list[str]:
    return [p["text"] for p in fake.posted() if p["channel"] == channel]


async def asked_alice_the_first_action(slack: Harness) -> str:
    """Alice's run in C1 has taken its decision and asks her the first action, in its thread."""
    thread = await slack.started()
    await slack.say(thread, "We ship in March")
    return thread


@pytest.mark.parametrize(
    ("event", "said"),
    [
        ({"type": "channel_left", "channel": "C1", "actor_id": "UB"}, REMOVED + ASKS_YOU + INVITE),
        ({"type": "group_left", "channel": "C1", "actor_id": "UB"}, REMOVED + ASKS_YOU + INVITE),  # a private one
        (
            {"type": "channel_archive", "channel": "C1", "user": "UB"},
            REMOVED.replace("removed the bot from", "archived")
            + ASKS_YOU
            + " Unarchive the channel (and invite the bot back if it is no longer there) and the run goes on"
            " there (its next reminder asks again); or move it to a channel the bot is in with the bot's command"
            " 'move 1 #channel' (what waits is asked again there), or end it with 'cancel 1'.",
        ),
    ],
)
async def test_the_facilitator_is_told_at_once_where_the_run_waits_and_how_it_goes_on(
    slack: Harness, fake: FakeSlack, event: dict[str, Any], said: str
) -> None:
    await asked_alice_the_first_action(slack)
    fake.shut_out("C1", "is_archived" if "archive" in event["type"] else "not_in_channel")  # as Slack says it now
    posts = len(fake.posted())
    resp = await slack.event({**event, "event_ts": "1800000100.000001"}, event_id="EvLOST1")
    assert resp.status == 200
    assert await wait_for(lambda: told_to(fake, "DUA")) == [said]
    assert len(fake.posted()) == posts + 1  # nothing tried in the channel that lost the bot
    assert slack.rows("SELECT source, target, event, actor_id FROM transitions WHERE event = 'channel_lost'") == [
        ("actions", "actions", "channel_lost", "slack:UB")
    ]


async def test_slacks_retry_of_the_event_tells_nothing_more(slack: Harness, fake: FakeSlack) -> None:
    await asked_alice_the_first_action(slack)
    fake.shut_out("C1")
    lost = {"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000100.000001"}
    await slack.event(lost, event_id="EvLOST2")
    await wait_for(lambda: told_to(fake, "DUA"))
    resp = await slack.event(lost, event_id="EvLOST2")  # Slack's retry: the same event id
    assert resp.status == 200
    assert len(told_to(fake, "DUA")) == 1
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'channel_lost'") == [(1,)]


async def test_the_facilitator_answers_in_the_direct_message_and_the_next_refusal_is_one_line(
    slack: Harness, fake: FakeSlack
) -> None:
    """She answers where she was told; her next question, refused in the channel, follows her there
    in a line (the refusal's notice is the same target as this one: not told twice within the hour)."""
    await asked_alice_the_first_action(slack)
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000100.1"})
    await wait_for(lambda: told_to(fake, "DUA"))
    await slack.event(message("UA", "Draft the plan", channel="DUA", channel_type="im"))
    still = "Run #1 ('Weekly sync') still cannot post in its conversation."
    told = await wait_for(lambda: [t for t in told_to(fake, "DUA") if still in t])
    assert told == [f"{still} Its next question, for you: \"Action 1: Who owns 'Draft the plan'?\". Answer it here."]
    assert len(told_to(fake, "DUA")) == 2


async def test_a_question_waiting_on_someone_else_there_is_named_with_how_they_answer(
    slack: Harness, fake: FakeSlack
) -> None:
    """The run's question in the channel is Bob's (a flow asking the participants there): he can
    answer the bot by direct message instead, which the facilitator can tell him."""
    thread = await slack.started("start post_meeting <@UB> Weekly sync")
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", "2030-01-15", "done")
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000100.2"})
    [said] = await wait_for(lambda: told_to(fake, "DUA"))
    assert said.startswith(REMOVED)
    assert "It waits for Bob, asked by direct message: that goes on." in said


@pytest.mark.parametrize(
    "event",
    [
        {"type": "channel_left", "channel": "C2", "actor_id": "UB"},  # another channel
        {"type": "member_left_channel", "channel": "C1", "user": "UB", "channel_type": "C"},  # a person left
    ],
)
async def test_other_channels_and_people_leaving_tell_nothing(
    slack: Harness, fake: FakeSlack, event: dict[str, Any]
) -> None:
    await asked_alice_the_first_action(slack)
    resp = await slack.event({**event, "event_ts": "1800000100.3"})
    assert resp.status == 200
    await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))  # a turn after it
    await wait_for(lambda: told_to(fake, "DUA"))
    assert [t for t in told_to(fake, "DUA") if "can no longer be answered" in t] == []
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'channel_lost'") == [(0,)]


async def test_a_completed_run_is_not_told_of(slack: Harness, fake: FakeSlack) -> None:
    await decided(slack)
    posts = len(fake.posted())
    await slack.event({"type": "channel_archive", "channel": "C1", "user": "UB", "event_ts": "1800000100.4"})
    await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))
    await wait_for(lambda: len(fake.posted()) > posts)
    assert [t for t in told_to(fake, "DUA") if "can no longer be answered" in t] == []


async def test_the_archive_event_and_the_channels_archive_message_tell_once(slack: Harness, fake: FakeSlack) -> None:
    """Slack sends both: the ``channel_archive`` event and, in the channel, its message of that subtype."""
    await asked_alice_the_first_action(slack)
    fake.shut_out("C1", "is_archived")
    await slack.event({"type": "channel_archive", "channel": "C1", "user": "UB", "event_ts": "1800000100.5"})
    twin = message("UB", "archived the channel", subtype="channel_archive")
    await slack.event(twin)
    await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))
    await wait_for(lambda: len(told_to(fake, "DUA")) >= 2)
    assert len([t for t in told_to(fake, "DUA") if "can no longer be answered" in t]) == 1
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'channel_lost'") == [(1,)]


async def test_an_alert_storms_backup_gets_one_message_naming_the_runs(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """Three alerts in #ops nobody has taken yet, the bot removed from #ops: their backup is told
    once, naming the three runs, not three times."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        body = alert()
        base = body["alerts"][0]
        body["alerts"] = [
            {**base, "labels": {**base["labels"], "instance": f"web-{i}"}, "fingerprint": f"fp{i}"} for i in range(3)
        ]
        assert (await hook(slack, body))["started"] == [1, 2, 3]
        await slack.posts(3)
        fake.shut_out("C0OPS")
        await slack.event({"type": "channel_left", "channel": "C0OPS", "actor_id": "UA", "event_ts": "1800000100.6"})
        [said] = await wait_for(lambda: told_to(fake, "DUB"))
        title = "'Checkout error rate above 5% [instance=web-{}]'"
        assert said == (
            f"Runs #1 ({title.format(0)}), #2 ({title.format(1)}), #3 ({title.format(2)}) can no longer be answered in their conversation,"
            " slack:C0OPS: Alice removed the bot from the channel, so what is typed there no longer reaches them."
            " You are told as the backup of these alerts' runs, which nobody has taken yet. Invite the bot back"
            " (/invite @decisionbot) and they go on there (their next reminders ask again); 'status N' says what"
            " run N waits for, 'move N #channel' moves it to a channel the bot is in, and 'cancel N' ends it."
        )
        assert slack.rows("SELECT run_id, actor_id FROM transitions WHERE event = 'channel_lost'") == [
            (1, "slack:UA"),
            (2, "slack:UA"),
            (3, "slack:UA"),
        ]
    finally:
        await slack.client.close()


@pytest.mark.parametrize(
    ("event", "fails"),
    [
        ({"type": "app_uninstalled"}, True),
        ({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, True),
        ({"type": "tokens_revoked", "tokens": {"oauth": ["UA"]}}, False),  # a user's token: not the bot's
    ],
)
async def test_the_app_uninstalled_is_known_at_once_not_at_the_next_reply(
    slack: Harness, caplog: pytest.LogCaptureFixture, event: dict[str, Any], fails: bool
) -> None:
    """Before, the bot learnt it only when its next call was refused (a reminder, maybe hours later):
    /healthz said nothing meanwhile. Now /healthz names the Slack channel failing at once, and the
    log says once what to do, channels to invite the bot back to included."""
    caplog.set_level(logging.INFO)
    await asked_alice_the_first_action(slack)  # a run open in C1
    resp = await slack.event(event)
    assert resp.status == 200
    body = await health(slack)
    if not fails:
        assert "channels_failing" not in body
        assert ours(caplog, "SLACK_BOT_TOKEN") == []
        return
    assert body["channels_failing"]["slack"].startswith(f"Slack refuses SLACK_BOT_TOKEN ({event['type']}) since ")
    [line] = ours(caplog, "SLACK_BOT_TOKEN")
    assert line.startswith("Slack says the ")
    assert line.endswith(
        "Reinstall the app (Install App -> Install to Workspace), put its new Bot User OAuth Token in"
        " SLACK_BOT_TOKEN and restart decisionbot. Then invite the bot back (/invite @decisionbot) to the channels"
        " of open runs, C1: an uninstall removes it from every channel."
    )
    await slack.event(event)  # said once an outage
    assert len(ours(caplog, "SLACK_BOT_TOKEN")) == 1


@pytest.mark.parametrize(
    "back",
    [
        {"type": "member_joined_channel", "user": "UBOT", "channel": "C1", "channel_type": "C", "team": "T111"},
        {"type": "channel_unarchive", "channel": "C1", "user": "UA"},
    ],
)
async def test_the_bot_back_in_the_channel_asks_again_at_once_what_waits_there(
    slack: Harness, fake: FakeSlack, back: dict[str, Any]
) -> None:
    """Invited back (or the channel unarchived): before, the run went on at its next reminder, hours
    later, while what was typed in the thread meanwhile never reached the bot. Now the questions
    waiting there are asked again at once (a reminder to those asked there alone), and the ledger
    keeps when the channel came back (``channel_back``)."""
    thread = await asked_alice_the_first_action(slack)
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000100.7"})
    await wait_for(lambda: told_to(fake, "DUA"))
    in_thread = len([p for p in fake.posted() if p.get("thread_ts") == thread])
    fake.let_in("C1")
    await slack.event({**back, "event_ts": "1800000100.8"})
    again = await wait_for(lambda: [p for p in fake.posted() if p.get("thread_ts") == thread][in_thread:])
    assert again[0]["channel"] == "C1" and "Action 1: What is the action?" in again[0]["text"]
    assert [r[0] for r in slack.rows("SELECT event FROM transitions ORDER BY id")][-2:] == [
        "channel_lost",
        "channel_back",
    ]
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000100.9"})
    await wait_for(lambda: len(told_to(fake, "DUA")) == 2)  # removed again: told again


async def test_someone_else_joining_asks_nothing_again(slack: Harness, fake: FakeSlack) -> None:
    thread = await asked_alice_the_first_action(slack)
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000101.1"})
    await wait_for(lambda: told_to(fake, "DUA"))
    posts = len(fake.posted())
    joined = {"type": "member_joined_channel", "user": "UB", "channel": "C1", "channel_type": "C"}
    await slack.event({**joined, "event_ts": "1800000101.2"})
    await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))
    await wait_for(lambda: len(fake.posted()) > posts)
    assert [p for p in fake.posted()[posts:] if p.get("thread_ts") == thread] == []
    assert slack.rows("SELECT count(*) FROM transitions WHERE event = 'channel_back'") == [(0,)]


async def test_a_stalled_run_is_not_promised_a_reminder(slack: Harness, fake: FakeSlack) -> None:
    """A stalled run gets no reminders, and the bot back asks nothing again for it: its lead is told
    that an answer there takes it up, not that its next reminder asks again."""
    await asked_alice_the_first_action(slack)
    with slack.services.db.conn:
        slack.services.db.conn.execute("UPDATE runs SET status = 'stalled' WHERE id = 1")
    fake.shut_out("C1")
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000100.2"})
    (said,) = await wait_for(lambda: told_to(fake, "DUA"))
    assert said == REMOVED + ASKS_YOU + (
        " Invite the bot back (/invite @decisionbot) and the run can go on there: it had stalled, so nobody"
        " is reminded of it, and an answer there takes it up again; or move it to a channel the bot is in with"
        " the bot's command 'move 1 #channel' (what waits is asked again there), or end it with 'cancel 1'."
    )
