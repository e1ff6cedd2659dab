"""A run's facilitator leaves the company while the run waits (an owner silent on their action):
the run's next job looks its people up again (Slack's ``users.info``: ``deleted: true``) and the
run is no more theirs. The real server, signed requests, the fake Web API, the server's own
scheduler run at chosen instants. (From the acceptance review rv-months2.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.store import utc_now
from bot.triggers.hooks import SCHEDULER
from tests.clock import Clock
from tests.dates import JAN10
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, harness, message, wait_for
from tests.test_slack_alert_channel_refused import QUESTION
from tests.test_slack_months_later import run_due
from tests.test_slack_trigger_people import TOKEN, alert, hook

LEFT = "Alice, who led this run, can no longer be asked: their account is deactivated."


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_AND_BOB


@pytest.fixture
def clock() -> Clock:
    return Clock(utc_now())


@pytest.fixture
async def waiting(tmp_path: Path, fake: FakeSlack, clock: Clock) -> AsyncIterator[tuple[Harness, str]]:
    """Alice leads 'Weekly sync': Bob owns 'Draft the plan' and has not said whether he accepts it.
    The scheduler loop is stopped: the test runs the run's jobs at the instants it chooses."""
    slack = await harness(tmp_path, fake, clock=clock)
    await slack.client.server.app[SCHEDULER].stop()
    try:
        thread = await slack.started()
        await slack.say(thread, "We ship", "Draft the plan", "<@UB>", JAN10, "done")
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
        yield slack, thread
    finally:
        await slack.client.close()


async def test_a_run_whose_facilitator_left_goes_to_whoever_answers_first_in_its_thread(
    waiting: tuple[Harness, str], fake: FakeSlack, clock: Clock
) -> None:
    """Alice left the company before Bob's silence was escalated. Before, the escalation went to her
    (a mention nobody answers), the run stalled 14 days later, 'waiting for Alice', and nobody in the
    channel knew it had nobody to lead it. Now the thread is told at once, whoever answers first there
    leads it (Carol), and the ledger says who left and who took over, and when."""
    slack, thread = waiting
    fake.deactivate("UA")
    fake.add_user("UC", "Carol")
    clock.now += timedelta(days=1, minutes=1)
    before = len(fake.posted())
    assert await run_due(slack, clock.now) == [("remind", "done: escalate")]
    told = await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "C1"])
    assert told[0]["text"] == f"{LEFT} Whoever answers first here leads it from now on."
    assert told[0]["thread_ts"] == thread
    escalation = await wait_for(lambda: [p for p in fake.posted()[before:] if "Bob" in p["text"] and p is not told[0]])
    assert "<@UA>" not in escalation[0]["text"] and escalation[0]["channel"] == "C1"
    assert slack.rows("SELECT facilitator_id FROM runs WHERE id = 1") == [("slack:facilitator",)]
    left_at = clock.now
    clock.now += timedelta(hours=1)
    await slack.event(message("UC", "I'll take it", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT facilitator_id FROM runs WHERE id = 1") == [("slack:UC",)])
    rows = slack.rows("SELECT event, actor_id, at FROM transitions WHERE run_id = 1 AND event IN ('lead_left', 'take')")
    assert [(e, a) for e, a, _ in rows] == [("lead_left", "slack:UA"), ("take", "slack:UC")]
    assert rows[0][2] < rows[1][2] and rows[0][2].startswith(left_at.strftime("%Y-%m-%dT%H:%M"))
    await slack.event(message("UB", "yes", channel="DUB"))  # Bob accepts: the review date is Carol's to give
    asked = await wait_for(lambda: [p for p in fake.posted() if "When should we review" in p["text"]])
    assert asked[-1]["text"].startswith("<@UC> ")


async def test_an_alerts_run_whose_facilitator_left_goes_to_the_routes_backup(
    tmp_path: Path, fake: FakeSlack, clock: Clock
) -> None:
    """The route names Alice to lead its alerts' runs and Bob as their backup. Alice left the company a
    day into a run she had not answered. Before, its escalation told Bob that Alice was silent, and the
    run went on waiting for her. Now the run is Bob's: the thread says so, its question is his to answer,
    and the ledger says who left and who took over."""
    flows = shipped_flows(tmp_path / "flows")
    route = "routes:\n  - name: ops\n    channel: slack:C0OPS\n    facilitator: UA\n    backup: UB\n"
    (flows / "routes.yaml").write_text(route)
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_TIMEZONE": "UTC"}
    slack = await harness(tmp_path, fake, env=env, clock=clock, flows=flows)
    await slack.client.server.app[SCHEDULER].stop()
    try:
        assert (await hook(slack, alert()))["started"] == [1]
        [root] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "C0OPS"])
        fake.deactivate("UA")
        clock.now += timedelta(days=1, minutes=1)
        before = len(fake.posted())
        assert await run_due(slack, clock.now) == [("remind", "done: handed over to Bob, its facilitator gone")]
        await wait_for(lambda: len([p for p in fake.posted()[before:] if p["channel"] == "C0OPS"]) >= 2)
        told = [p for p in fake.posted()[before:] if p["channel"] == "C0OPS"]
        assert told[0]["text"] == f"{LEFT} Bob, the backup, leads it from now on."
        assert told[1]["text"].startswith(f"<@UB> {QUESTION}") and told[1]["thread_ts"] == root["ts"]
        assert slack.rows("SELECT facilitator_id FROM runs WHERE id = 1") == [("slack:UB",)]
        assert slack.rows("SELECT waiting_on FROM runs WHERE id = 1") == [(" slack:UB ",)]
        rows = slack.rows("SELECT event, actor_id FROM transitions WHERE run_id = 1 AND event IN ('lead_left', 'take')")
        assert rows == [("lead_left", "slack:UA"), ("take", "slack:UB")]
        [(due,)] = slack.rows("SELECT due_at FROM jobs WHERE run_id = 1 AND done_at IS NULL")
        assert due > clock.now.isoformat()[:16]  # the chain anew: Bob has not been silent on it yet
        await slack.event(message("UB", "me", channel="C0OPS", thread_ts=root["ts"]))
        await wait_for(lambda: slack.rows("SELECT actor_id FROM answers WHERE run_id = 1") == [("slack:UB",)])
    finally:
        await slack.client.close()
