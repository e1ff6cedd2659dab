"""The people a trigger names (route or alert labels: facilitator, participants, backup) are known
in Slack by their names and time zones: looked up (``users.info``) before the run starts, and
named in the run as soon as Slack says who they are. The real server, its scheduler on a test
clock, against the fake Web API. (From the acceptance review of branch review-slack-timers.)"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ALICE_IN_PARIS_BOB_IN_NEW_YORK, ROOT, Harness, SlackPeople, harness, message, wait_for

TOKEN = "hook-token"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday; 00:00 on Friday in Tokyo


def alert(status: str = "firing", value: str = "7.3%", **labels: str) -> dict:
    body = json.loads((ROOT / "data/samples/alertmanager_firing.json").read_text())
    body["status"] = body["alerts"][0]["status"] = status
    body["alerts"][0]["annotations"]["value"] = value
    body["alerts"][0]["labels"].update(labels)
    body["commonLabels"] = {}
    return body


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_IN_PARIS_BOB_IN_NEW_YORK, "UT": ("Taro", "Asia/Tokyo"), "UM": ("Mia", "Asia/Tokyo")}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack, clock: Clock):
    flows = shipped_flows(tmp_path / "flows")
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_TIMEZONE": "UTC"}
    h = await harness(tmp_path, fake, env=env, clock=clock, flows=flows)
    yield h
    await h.client.close()


async def hook(slack: Harness, body: dict) -> dict:
    resp = await slack.client.post("/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def taro_assigns_bob(slack: Harness, fake: FakeSlack, root: dict) -> dict:
    """Taro answers in the alert's thread and gives Bob an action: Bob's question (a DM)."""
    for text in ("me", "act", "Roll back", "Roll back web-1", "<@UB>", "2026-12-10", "done"):
        n = len(fake.posted())
        await slack.event(message("UT", text, channel="C0OPS", thread_ts=root["ts"]))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    return asked


LABELS = {"decision_channel": "slack:C0OPS", "decision_facilitator": "UT"}


async def test_a_reminder_to_an_alerts_facilitator_gives_the_time_in_their_slack_zone(
    slack: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Taro (Asia/Tokyo in Slack) is on call; the alert fires, then again with a new value; he
    has not answered after an hour: the latest reading is told in his zone (docs/triggers.md)."""
    await hook(slack, alert(**LABELS))
    await slack.posts(1)
    [(context,)] = slack.rows("SELECT context FROM runs")
    assert json.loads(context)["roles"]["facilitator"] == {"id": "slack:UT", "name": "Taro"}
    await hook(slack, alert(value="9.1%", **LABELS))
    clock.at(hours=1, minutes=1)
    [reminder] = await wait_for(lambda: [p for p in fake.posted() if "Reminder" in p["text"]])
    assert "last seen Fri 2026-11-27 00:00" in reminder["text"], reminder["text"]  # 15:00 UTC, in Tokyo
    assert [c.args["user"] for c in fake.of("users.info")] == ["UT"]  # once, cached for the run's turns


async def test_an_alerts_people_are_named_by_name_and_told_times_in_their_zone(
    slack: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """The labels name facilitator UT (Taro) and backup UM (Mia, Asia/Tokyo). Taro gives Bob an
    action; Bob stays silent past escalate_after (4h): Mia is told, by names, in her zone."""
    labels = {**LABELS, "decision_backup": "UM"}
    await hook(slack, alert(**labels))
    root = (await slack.posts(1))[0]
    await hook(slack, alert(value="9.1%", **labels))
    asked = await taro_assigns_bob(slack, fake, root)
    clock.at(hours=5)
    [escalated] = await wait_for(lambda: [p for p in fake.posted() if "Escalated" in p["text"]])
    assert asked["text"].startswith("Taro assigned you an action"), asked["text"]
    assert "backup for Taro's" in escalated["text"], escalated["text"]
    assert "Still no answer from: Bob" in escalated["text"], escalated["text"]
    assert "last seen Fri 2026-11-27 00:00" in escalated["text"], escalated["text"][-70:]


async def test_a_slow_users_info_does_not_hold_the_alert_and_the_name_comes_once_slack_answers(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's users.info takes 5 s: the hook answers within its promise all the same, the run
    starts with Taro's id as his name (logged), and his name is taken once Slack answers in time
    again: looked up again in the background (2 s after Slack was slow), without his speaking;
    what he then says in the run names him. Before, he was looked up again only when he spoke."""
    fake.delays["users.info"] = 5.0
    with caplog.at_level(logging.WARNING):
        began = time.monotonic()
        assert (await hook(slack, alert(**LABELS)))["started"] == [1]
        assert time.monotonic() - began < 2.5
    assert "named by their ids: slack:UT (their platform did not name them" in caplog.text
    [root] = await slack.posts(1)
    [(context,)] = slack.rows("SELECT context FROM runs")
    assert json.loads(context)["roles"]["facilitator"] == {"id": "slack:UT", "name": "UT"}
    fake.delays.clear()

    def facilitator() -> str:
        [(context,)] = slack.rows("SELECT context FROM runs")
        return str(json.loads(context)["roles"]["facilitator"]["name"])

    await wait_for(lambda: facilitator() == "Taro", timeout=10)
    asked = await taro_assigns_bob(slack, fake, root)
    assert asked["text"].startswith("Taro assigned you an action"), asked["text"]
    [(context,)] = slack.rows("SELECT context FROM runs")
    assert json.loads(context)["roles"]["facilitator"] == {"id": "slack:UT", "name": "Taro"}


async def test_a_person_slack_does_not_know_keeps_their_id(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """users.info refuses the backup (user_not_found): the run starts, the id stays the name,
    logged once as not known (not as late); a repeat of the alert starts nothing and says nothing
    again (it was logged at every repeat notification)."""
    fake.refuse("users.info", error="user_not_found", after=1)  # Taro found, then UGONE refused
    with caplog.at_level(logging.WARNING):
        assert (await hook(slack, alert(**LABELS, decision_backup="UGONE")))["started"] == [1]
        repeat = await hook(slack, alert(value="9.9%", **LABELS, decision_backup="UGONE"))
    assert repeat["started"] == [] and repeat["repeats"] == 1
    assert caplog.text.count("named by their ids: slack:UGONE (their platform did not name them") == 1, caplog.text
    [(context,)] = slack.rows("SELECT context FROM runs")
    trigger = json.loads(context)["trigger"]
    assert trigger["facilitator"] == "Taro"
    assert trigger["escalate_to"] == {"id": "slack:UGONE", "name": "UGONE"}
