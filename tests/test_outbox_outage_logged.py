"""A platform that refuses every reply for now (Slack answering 503, the network gone) was retried
for a day without a line in the log: the operator had nothing to go on while nobody got a question.
Now a channel none of whose replies has gone through for a minute is logged once, and once more
when replies go through again; a passing refusal stays quiet."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import SlackPeople, harness, message, wait_for


@pytest.fixture
def slack_people() -> SlackPeople:
    return {}


FLOWS = Path(__file__).resolve().parents[1] / "flows"


def outbox_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.outbox" and r.levelno == level]


async def test_an_outage_is_logged_once_and_its_end_once(tmp_path: Path, fake: FakeSlack, caplog) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    slack = await harness(tmp_path, fake, clock=clock)
    try:
        await slack.slash("UA", "start post_meeting Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        fake.refuse("chat.postMessage", times=3, status=503)  # Slack down: the next question waits
        await slack.event(message("UA", "We ship in March", thread_ts=thread))
        for tries in (3, 4):  # refused at 09:00:00, then at 09:00:40: a hiccup, nothing said
            await wait_for(lambda n=tries: len(fake.of("chat.postMessage")) >= n)
            assert outbox_lines(caplog, logging.WARNING) == []
            clock.now += timedelta(seconds=40)
        await slack.posts(3)  # refused again at 09:01:20 (said), then delivered (said)
        # The fake records the post before the outbox has read Slack's answer and logged it.
        await wait_for(lambda: any("delivered again" in line for line in outbox_lines(caplog, logging.INFO)))
        assert outbox_lines(caplog, logging.WARNING) == [
            "slack: no reply delivered since 2026-11-30T09:00:00.000Z, each refused for now (last: service_unavailable). They"
            " wait in the outbox and are tried again with backoff, each for a day from its first refusal; check the"
            " platform's status and this host's network."
        ]
        assert "slack: replies are delivered again (refused for now since 2026-11-30T09:00:00.000Z)" in " ".join(
            outbox_lines(caplog, logging.INFO)
        )
    finally:
        await slack.client.close()


async def test_an_outage_under_way_is_in_healthz_until_replies_go_through(tmp_path: Path, fake: FakeSlack) -> None:
    """The warning was in the log only: monitoring that reads /healthz saw "ok" all through."""
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    slack = await harness(tmp_path, fake, clock=clock)
    try:
        await slack.slash("UA", "start post_meeting Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        fake.refuse("chat.postMessage", times=4, status=503)
        await slack.event(message("UA", "We ship in March", thread_ts=thread))
        for tries in (3, 4, 5):  # refused at 09:00:00, 09:00:40 and 09:01:20 (the outage told)
            await wait_for(lambda n=tries: len(fake.of("chat.postMessage")) >= n)
            if tries < 5:
                assert "channels_failing" not in await (await slack.client.get("/healthz")).json()
            clock.now += timedelta(seconds=40)
        body = await (await slack.client.get("/healthz")).json()
        assert body["channels_failing"] == {
            "slack": "no reply delivered since 2026-11-30T09:00:00.000Z, each refused for now"
            " (last: service_unavailable); they wait in the outbox"
        }, body
        await slack.posts(3)  # the fifth try goes through
        assert "channels_failing" not in await (await slack.client.get("/healthz")).json()
    finally:
        await slack.client.close()


async def test_a_stopping_server_says_how_many_replies_wait_in_the_outbox(
    tmp_path: Path, fake: FakeSlack, caplog
) -> None:
    """``serve`` stopped without a word: the operator restarting it could not tell whether replies
    were left to send."""
    caplog.set_level(logging.INFO, logger="decisionbot")
    slack = await harness(tmp_path, fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    fake.refuse("chat.postMessage", times=100, status=503)
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: len(fake.of("chat.postMessage")) >= 3)  # refused: it waits
    await slack.client.close()
    stopped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("decisionbot stopped")]
    assert stopped == [
        "decisionbot stopped: 1 reply waits in the outbox; another server on this ledger sends them within a"
        " second, else the next start does."
    ]


async def test_replies_for_a_channel_the_server_does_not_serve_are_said_at_start_and_not_promised_at_stop(
    tmp_path: Path, fake: FakeSlack, caplog
) -> None:
    """A ledger with a Teams question queued (Teams' settings left out of the new env file, say):
    the start said nothing of it, and the stop told the operator that another server sends it
    "within a second"."""
    caplog.set_level(logging.INFO, logger="decisionbot")
    queued = CliRunner().invoke(
        main, ["--db", str(tmp_path / "slack.db"), "--flows", str(FLOWS), "trigger", "post_meeting", "--channel", "teams:19:room@thread.tacv2",
               "-f", "alice", "--title", "Weekly sync"],
    )  # fmt: skip
    assert queued.exit_code == 0, queued.output
    slack = await harness(tmp_path, fake)  # Slack only, on that ledger
    said = [r.getMessage() for r in caplog.records if "wait in the outbox" in r.getMessage()]
    assert said == [
        "Replies for 'teams' wait in the outbox: that channel is not on in this server;"
        " they go out once the channel is on (see decisionbot serve --help)."
    ]
    await slack.client.close()
    stopped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("decisionbot stopped")]
    assert stopped == ["decisionbot stopped: no reply waits in the outbox."]  # Slack's; Teams' were said at start


def test_an_outage_is_told_once_it_has_lasted_a_minute_exactly_and_once_over(caplog: pytest.LogCaptureFixture) -> None:
    from bot.outbox_outage import OUTAGE_TOLD_AFTER, Outage

    caplog.set_level(logging.INFO, logger="bot.outbox")
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    outage = Outage("slack", lambda: clock.now)
    outage.refused_for_now("service_unavailable")
    clock.now += OUTAGE_TOLD_AFTER - timedelta(seconds=1)
    outage.refused_for_now("service_unavailable")
    assert outage.health() is None and not caplog.records  # a hiccup: not told
    clock.now += timedelta(seconds=1)  # a minute to the second
    outage.refused_for_now("ratelimited")
    outage.refused_for_now("ratelimited")
    assert outage.health() is not None and "ratelimited" in outage.health()
    outage.over()
    outage.over()
    assert outage.health() is None
    said = [r.getMessage() for r in caplog.records if r.name == "bot.outbox"]
    assert len(said) == 2 and "2026-11-30T09:00:00.000Z" in said[0] and "2026-11-30T09:00:00.000Z" in said[1], said
