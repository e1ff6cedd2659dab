"""An alert routed to a Slack channel that refuses the bot (not in it, archived): the alert is kept
(its event and run, the hook's 200: Alertmanager's retry would change nothing) and someone hears of
it. The route names no facilitator (on-call rotations rarely do): the run waits for whoever answers
first, so before, its first question was given up and only the log said so, as "its facilitator
facilitator cannot be reached directly", with no fix; the route's backup, who escalations go to,
heard of it four hours later, in a thread nobody had seen. The real server against the fake Web
API, the hook called as Alertmanager calls it. (From the acceptance review rv-alerts.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, harness, message, wait_for
from tests.test_slack_trigger_people import NOW, TOKEN, alert, hook

QUESTION = "Checkout error rate above 5%: CheckoutErrorRate is 7.3% (threshold 5%)."
DETAILS = (
    "5xx ratio on /checkout has been above 5% for 10 minutes."
    " Details: https://runbooks.example/checkout-errors Who takes this one?"
)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def served(tmp_path: Path, fake: FakeSlack, clock: Clock, route: str) -> Harness:
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text(f"routes:\n  - name: ops\n    channel: slack:C0OPS\n{route}")
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_TIMEZONE": "UTC"}
    return await harness(tmp_path, fake, env=env, clock=clock, flows=flows)


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        ("not_in_channel", "Invite the bot to that channel (/invite @decisionbot)"),
        ("is_archived", "Unarchive the channel"),
    ],
)
async def test_the_routes_backup_is_told_directly_when_the_alerts_channel_refuses_the_bot(
    tmp_path: Path, fake: FakeSlack, clock: Clock, code: str, fix: str
) -> None:
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        fake.shut_out("C0OPS", code)
        assert (await hook(slack, alert()))["started"] == [1]  # kept: a 200, the run open
        [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
        assert told["text"] == (
            f"Run #1 ('Checkout error rate above 5%') cannot post in its conversation, slack:C0OPS:"
            f" {'the bot is not in the channel' if code == 'not_in_channel' else 'the channel is archived'}"
            f' ({code}). Nobody there has seen its question: "{QUESTION} {DETAILS}". You are told as the'
            f" backup of this alert's run, which nobody has taken yet. {fix} and the run goes on there"
            " (the alert's next notification, or the run's next reminder, asks again)."
        )
        assert slack.rows("SELECT status FROM runs") == [("active",)]
    finally:
        await slack.client.close()


async def test_with_nobody_to_tell_the_log_says_what_happened_and_the_fix(
    tmp_path: Path, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await served(tmp_path, fake, clock, "")
    try:
        fake.shut_out("C0OPS")
        with caplog.at_level(logging.WARNING, logger="bot.outbox"):
            await hook(slack, alert())
            await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE failed_at IS NOT NULL"))
            said = await wait_for(
                lambda: [
                    r.getMessage() for r in caplog.records if r.name == "bot.outbox" and "nobody has" in r.getMessage()
                ]
            )
        assert said == [
            "slack: run #1's own conversation, slack:C0OPS, refused reply 1: the bot is not in the channel"
            " (not_in_channel), and nobody has taken the run yet, nor does it name a backup to tell directly:"
            " only this log says so. Invite the bot to that channel (/invite @decisionbot) and the run goes on"
            " there (the alert's next notification, or the run's next reminder, asks again)."
            " See it with: decisionbot runs show 1"
        ]
        assert "facilitator facilitator" not in caplog.text
    finally:
        await slack.client.close()


async def test_once_the_bot_is_invited_the_alerts_next_notification_asks_in_the_channel(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """Before, the repeat was only counted: the channel saw the alert at the run's first reminder,
    an hour later (metric_breach's remind_after), however critical the alert."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        fake.shut_out("C0OPS")
        await hook(slack, alert())
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
        fake.let_in("C0OPS")  # the SRE invites the bot
        clock.at(minutes=5)
        assert (await hook(slack, alert(value="9.1%")))["repeats"] == 1  # Alertmanager's repeat_interval
        [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "C0OPS"])
        assert asked["text"].startswith(QUESTION), asked["text"]
        assert "thread_ts" not in asked  # it starts the run's thread
        await slack.event(message("UA", "me", channel="C0OPS", thread_ts=asked["ts"]))
        await wait_for(lambda: slack.rows("SELECT raw FROM answers") == [("me",)])
        assert await hook(slack, alert(value="9.5%"))  # once seen, a repeat asks nothing again
        assert [p["text"] for p in fake.posted() if p["channel"] == "C0OPS" and p["text"].startswith(QUESTION)] == [
            asked["text"]
        ]
    finally:
        await slack.client.close()


async def test_a_run_its_facilitator_went_on_with_directly_is_not_asked_again_by_a_repeat(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """Alice, the route's facilitator, was told directly and answered there: the run went on. The
    bot invited since, the alert's repeat posts none of the questions she answered into the channel."""
    slack = await served(tmp_path, fake, clock, "    facilitator: UA\n")
    try:
        fake.shut_out("C0OPS")
        await hook(slack, alert())
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
        await slack.event(message("UA", "me", channel="DUA", channel_type="im"))
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA" and "still cannot" in p["text"]])
        fake.let_in("C0OPS")
        clock.at(minutes=5)
        assert (await hook(slack, alert(value="9.1%")))["repeats"] == 1
        await slack.event(message("UA", "status 1", channel="DUA", channel_type="im"))  # a turn after the repeat's
        await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Run #1 metric_breach")])
        assert [p["text"] for p in fake.posted() if p["channel"] == "C0OPS"] == []
    finally:
        await slack.client.close()


async def test_a_notification_of_several_alerts_tells_the_backup_once(
    tmp_path: Path, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Three alerts of one notification, a run each, all refused by the channel: one direct message
    to the backup (the fix is the same for all: invite the bot), not one per run; the log names the
    others."""
    slack = await served(tmp_path, fake, clock, "    backup: UB\n")
    try:
        fake.shut_out("C0OPS")
        body = alert()
        base = body["alerts"][0]
        body["alerts"] = [
            {**base, "labels": {**base["labels"], "instance": f"web-{i}"}, "fingerprint": f"fp{i}"} for i in range(3)
        ]
        with caplog.at_level(logging.INFO, logger="bot.outbox"):
            assert (await hook(slack, body))["started"] == [1, 2, 3]
            await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
            await wait_for(lambda: caplog.text.count("was told about conversation slack:C0OPS within the hour") == 2)
        assert len([p for p in fake.posted() if p["channel"] == "DUB"]) == 1
        assert "its backup (for this run or another) was told" in caplog.text
    finally:
        await slack.client.close()


async def test_a_repeat_asks_the_question_once_not_the_reminders_refused_meanwhile(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """An hour in a channel the bot is not in: the question and its reminder were both refused.
    Once invited, the repeat posts the question alone, not the reminder after it."""
    slack = await served(tmp_path, fake, clock, "")
    try:
        fake.shut_out("C0OPS")
        await hook(slack, alert())
        failed = "SELECT text FROM messages WHERE failed_at IS NOT NULL ORDER BY id"
        await wait_for(lambda: len(slack.rows(failed)) == 1)
        clock.at(hours=1, minutes=1)  # metric_breach's remind_after: 1h
        await wait_for(lambda: len(slack.rows(failed)) == 2)
        assert slack.rows(failed)[1][0].startswith("Reminder")
        fake.let_in("C0OPS")
        clock.at(hours=1, minutes=5)
        await hook(slack, alert(value="9.1%"))
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "C0OPS"])
        await slack.event(message("UA", "me", channel="C0OPS", thread_ts=fake.posted()[0]["ts"]))
        await wait_for(lambda: slack.rows("SELECT raw FROM answers") == [("me",)])
        in_channel = [p["text"] for p in fake.posted() if p["channel"] == "C0OPS" and not p.get("thread_ts")]
        assert len(in_channel) == 1 and in_channel[0].startswith(QUESTION), in_channel
        assert not [p for p in fake.posted() if p["text"].startswith("Reminder")]
    finally:
        await slack.client.close()
