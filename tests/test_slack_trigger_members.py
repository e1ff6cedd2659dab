"""An alert routed to ``slack:C0OPS`` with its facilitator and participants (routes.yaml): Carol is
not in the channel, so she cannot see the run's thread, and nobody was told (a ``/decision start``
warns its facilitator since the last stop; a trigger's run did not). Now, once the run's first
message is in the channel (after the start, never in its way), the bot asks Slack who of the
route's people is a member (``conversations.members``) and tells the run's facilitator by direct
message, once a run; the route's backup while nobody has taken the run. Slack refusing to say is one
log line, no warning. The real server, the hook called as Alertmanager calls it, ``decisionbot
trigger`` run on the server's ledger, the real slack-sdk against the fake Web API."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.clock import Clock
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, SlackPeople, harness, message, wait_for
from tests.test_slack_trigger_people import NOW, TOKEN, alert, hook

TITLE = "Checkout error rate above 5%"
CAROL_OUT = (
    f"Heads up: <@UC> is not in <#C0OPS>, so they cannot see the thread of run #1 ('{TITLE}'), which you"
    " lead. Invite them (/invite <@UC>), or they can answer only what the flow asks them directly, by"
    " direct message."
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC"), "UC": ("Carol", "UTC"), "UD": ("Dan", "UTC")}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def served(tmp_path: Path, fake: FakeSlack, clock: Clock, route: str) -> Harness:
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text(f"routes:\n  - name: ops\n    channel: slack:C0OPS\n{route}")
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_TIMEZONE": "UTC"}
    return await harness(tmp_path, fake, env=env, clock=clock, flows=flows)


@pytest.fixture
async def ops(tmp_path: Path, fake: FakeSlack, clock: Clock):
    """The route names Alice to lead, Bob and Carol to take part."""
    h = await served(tmp_path, fake, clock, "    facilitator: UA\n    participants: [UB, UC]\n")
    yield h
    await h.client.close()


def direct(fake: FakeSlack, user: str) -> list[str]:
    return [p["text"] for p in fake.posted() if p["channel"] == f"D{user}"]


def heads_up(fake: FakeSlack) -> list[tuple[str, str]]:
    return [(p["channel"], p["text"]) for p in fake.posted() if p["text"].startswith("Heads up")]


def unknown(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "conversations.members" in r.getMessage()]


async def settled(fake: FakeSlack) -> None:
    """The run's first question in the channel, and a moment for what follows it."""
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "C0OPS"])
    await asyncio.sleep(0.3)


async def test_the_routes_facilitator_is_told_by_direct_message_who_cannot_see_the_alerts_thread(
    ops: Harness, fake: FakeSlack
) -> None:
    fake.set_members("C0OPS", "UA", "UB", BOT_USER)
    assert (await hook(ops, alert()))["started"] == [1]
    [told] = await wait_for(lambda: direct(fake, "UA"))
    assert told == CAROL_OUT
    [asked] = [p for p in fake.posted() if p["channel"] == "C0OPS"]
    assert asked["text"].startswith("<@UA> Checkout error rate above 5%")  # the start went on as before
    assert [c.args["channel"] for c in fake.of("conversations.members")] == ["C0OPS"]
    await ops.event(message("UA", "me", channel="C0OPS", thread_ts=asked["ts"]))  # the run goes on in its thread
    await wait_for(lambda: len([p for p in fake.posted() if p.get("thread_ts") == asked["ts"]]) >= 1)
    await asyncio.sleep(0.3)
    assert len(fake.of("conversations.members")) == 1 and heads_up(fake) == [("DUA", CAROL_OUT)]  # once a run


async def test_nobody_missing_nothing_said(ops: Harness, fake: FakeSlack) -> None:
    fake.set_members("C0OPS", "UA", "UB", "UC", BOT_USER)
    await hook(ops, alert())
    await wait_for(lambda: fake.of("conversations.members"))
    await settled(fake)
    assert heads_up(fake) == []


async def test_a_facilitator_not_in_the_channel_is_told_so_with_the_others(ops: Harness, fake: FakeSlack) -> None:
    fake.set_members("C0OPS", "UB", BOT_USER)
    await hook(ops, alert())
    [told] = await wait_for(lambda: direct(fake, "UA"))
    assert told == (
        f"Heads up: you and <@UC> are not in <#C0OPS>, so neither of you can see the thread of run #1 ('{TITLE}'),"
        " which you lead. Join it and invite them (/invite <@UC>), or they can answer only what the flow asks"
        " them directly, by direct message."
    )


async def test_a_facilitator_alone_not_in_the_channel_is_told_to_join_it(ops: Harness, fake: FakeSlack) -> None:
    fake.set_members("C0OPS", "UB", "UC", BOT_USER)
    await hook(ops, alert())
    [told] = await wait_for(lambda: direct(fake, "UA"))
    assert told == (
        f"Heads up: you are not in <#C0OPS>, so you cannot see the thread of run #1 ('{TITLE}'), which you lead."
        " Join it to see its questions and answer them there."
    )


async def test_a_run_nobody_has_taken_tells_the_routes_backup(tmp_path: Path, fake: FakeSlack, clock: Clock) -> None:
    """No facilitator (an on-call rotation): the run waits for whoever answers first; its troubles
    go to the route's backup, as a channel refusing the bot does (bot/notices.py)."""
    slack = await served(tmp_path, fake, clock, "    participants: [UB, UC]\n    backup: UD\n")
    try:
        fake.set_members("C0OPS", "UB", BOT_USER)
        await hook(slack, alert())
        [told] = await wait_for(lambda: direct(fake, "UD"))
        assert told == (
            f"Heads up: <@UC> is not in <#C0OPS>, so they cannot see the thread of run #1 ('{TITLE}'), which"
            " nobody has taken yet (you are told as its backup). Invite them (/invite <@UC>), or they can answer"
            " only what the flow asks them directly, by direct message."
        )
    finally:
        await slack.client.close()


async def test_with_nobody_to_tell_the_log_says_who_is_missing(
    tmp_path: Path, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = await served(tmp_path, fake, clock, "    participants: [UB, UC]\n")
    try:
        fake.set_members("C0OPS", "UB", BOT_USER)
        await hook(slack, alert())
        [line] = await wait_for(lambda: [r.getMessage() for r in caplog.records if "nobody to tell" in r.getMessage()])
        assert "run 1" in line and "UC" in line and "C0OPS" in line
        await settled(fake)
        assert heads_up(fake) == []
    finally:
        await slack.client.close()


@pytest.mark.parametrize(
    ("how", "error"),
    [
        ({"error": "missing_scope"}, "missing_scope"),
        ({"error": "not_in_channel"}, "not_in_channel"),
        ({"status": 429, "retry_after": "30"}, "429"),
    ],
)
async def test_slack_refusing_to_say_is_one_line_and_no_warning(
    ops: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture, how: dict[str, str], error: str
) -> None:
    caplog.set_level(logging.INFO)
    fake.set_members("C0OPS", "UA", BOT_USER)
    fake.refuse("conversations.members", **how)
    assert (await hook(ops, alert()))["started"] == [1]
    [line] = await wait_for(lambda: unknown(caplog))
    assert error in line and "run 1" in line and "C0OPS" in line
    await settled(fake)
    assert heads_up(fake) == [] and len(unknown(caplog)) == 1
    assert len(fake.of("conversations.members")) == 1  # not retried
    assert ops.rows("SELECT status FROM runs") == [("active",)]


async def test_a_run_started_by_decisionbot_trigger_on_the_servers_ledger_warns_the_same(
    ops: Harness, fake: FakeSlack
) -> None:
    """``decisionbot trigger`` from a script writes the run to the ledger; the server delivers its
    first question, and then asks who can see it, as for a hook's run."""
    fake.set_members("C0OPS", "UA", "UC", BOT_USER)
    db_path = ops.services.db.conn.execute("PRAGMA database_list").fetchone()[2]
    args = ["--db", db_path, "trigger", "post_meeting", "--channel", "slack:C0OPS", "-f", "UA", "-p", "UB,UC"]
    result = await asyncio.to_thread(CliRunner().invoke, main, [*args, "--title", "Weekly sync"])
    assert result.exit_code == 0, result.output
    [told] = await wait_for(lambda: direct(fake, "UA"))
    assert told == (
        "Heads up: <@UB> is not in <#C0OPS>, so they cannot see the thread of run #1 ('Weekly sync'), which you"
        " lead. Invite them (/invite <@UB>), or they can answer only what the flow asks them directly, by"
        " direct message."
    )


async def test_a_run_started_by_a_person_in_slack_is_not_checked_twice(ops: Harness, fake: FakeSlack) -> None:
    """A ``/decision start`` is checked as it starts (tests/test_slack_start_members.py): the first
    question the outbox posts for it asks nothing more of Slack."""
    fake.set_members("C0OPS", "UA", BOT_USER)
    await ops.slash("UA", "start post_meeting <@UB> Weekly sync", channel="C0OPS")
    await wait_for(lambda: [c for c in fake.of("chat.postEphemeral") if "Heads up" in str(c.args.get("text"))])
    await wait_for(lambda: len([p for p in fake.posted() if p["channel"] == "C0OPS"]) >= 2)
    await asyncio.sleep(0.3)
    assert len(fake.of("conversations.members")) == 1 and heads_up(fake) == []


async def test_a_restarted_server_does_not_ask_again_about_a_run_seen_in_its_channel(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """Once a run: the server restarted on the same ledger, the run's next message in its thread
    (seen there before the restart) asks Slack nothing and tells nobody again."""
    route = "    facilitator: UA\n    participants: [UB, UC]\n"
    fake.set_members("C0OPS", "UA", "UB", BOT_USER)
    first = await served(tmp_path, fake, clock, route)
    try:
        await hook(first, alert())
        await wait_for(lambda: direct(fake, "UA"))
    finally:
        await first.client.close()
    again = await served(tmp_path, fake, clock, route)
    try:
        [asked] = [p for p in fake.posted() if p["channel"] == "C0OPS"]
        await again.event(message("UA", "me", channel="C0OPS", thread_ts=asked["ts"]))
        await wait_for(lambda: [p for p in fake.posted() if p.get("thread_ts") == asked["ts"]])
        await asyncio.sleep(0.3)
        assert len(fake.of("conversations.members")) == 1 and heads_up(fake) == [("DUA", CAROL_OUT)]
    finally:
        await again.client.close()
