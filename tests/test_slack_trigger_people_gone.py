"""People a trigger names (route, alert labels, /hooks/events fields) whom nobody can ask: another
app's bot user (``users.info``: ``is_bot``) or a deactivated account (``deleted``). Before, the run
asked them in the channel and waited on them until it escalated hours later (to a backup that
could be a bot too). Now they are left out, each logged once; a facilitator left out is replaced
by the backup, or the run starts without one (the first to answer leads it), with a notice in its
thread. The real server, its hooks, the real slack-sdk against the fake Web API. (From the
acceptance review of branch trigger-people.)"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ALICE_IN_PARIS_BOB_IN_NEW_YORK, Harness, SlackPeople, harness, message, wait_for
from tests.test_slack_trigger_people import TOKEN, alert, hook

JIRA_LEFT_OUT = (
    "A trigger of route 'default' names slack:UJIRA, who is an app's bot user, not a person: left out of its run,"
    " as nobody can ask them. Name a person there instead."
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_IN_PARIS_BOB_IN_NEW_YORK, "UM": ("Mia", "Asia/Tokyo")}


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_TIMEZONE": "UTC"}
    h = await harness(tmp_path, fake, env=env, flows=shipped_flows(tmp_path / "flows"))
    yield h
    await h.client.close()


@pytest.fixture
def fake(fake: FakeSlack) -> FakeSlack:
    fake.add_bot("UJIRA", "Jira")
    fake.add_user("UD", "Dan")
    fake.deactivate("UD")
    return fake


def roles(slack: Harness) -> dict:
    [(context,)] = slack.rows("SELECT context FROM runs")
    return json.loads(context)["roles"]


async def test_an_alerts_facilitator_who_is_a_bot_user_is_replaced_by_the_backup(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    labels = {"decision_channel": "slack:C0OPS", "decision_facilitator": "UJIRA", "decision_backup": "UM"}
    labels["decision_owners"] = "UB,UJIRA"
    with caplog.at_level(logging.WARNING):
        assert (await hook(slack, alert(**labels)))["started"] == [1]
        root, notice = await slack.posts(2)
        assert (await hook(slack, alert(value="9.1%", **labels)))["repeats"] == 1  # says nothing again
    assert root["text"].startswith("<@UM> Checkout error rate above 5%")
    assert notice["thread_ts"] == root["ts"]
    assert notice["text"] == (
        "Jira was named to lead this run but cannot be asked: Jira is an app's bot user, not a person."
        " Mia, the backup, leads this run instead."
    )
    assert roles(slack) == {
        "facilitator": {"id": "slack:UM", "name": "Mia"},
        "participants": [{"id": "slack:UB", "name": "Bob"}],
    }
    [(context,)] = slack.rows("SELECT context FROM runs")
    assert json.loads(context)["trigger"]["owners"] == "Bob"
    assert caplog.text.count(JIRA_LEFT_OUT) == 1


async def test_a_deactivated_facilitator_without_a_backup_leaves_the_run_to_whoever_answers_first(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """/hooks/events names Dan (deactivated) to lead, Jira among the participants and as backup:
    the run starts with nobody who cannot be asked, and Bob, who answers first, leads it."""
    body = {
        "title": "Weekly sync", "flow": "post_meeting", "channel": "slack:C0OPS",
        "facilitator": "UD", "participants": ["UB", "UJIRA"], "backup": "UJIRA",
    }  # fmt: skip
    with caplog.at_level(logging.WARNING):
        resp = await slack.client.post("/hooks/events", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200, await resp.text()
    root, notice = await slack.posts(2)
    assert root["text"] == "What was decided in Weekly sync?"  # nobody mentioned: anyone may answer
    assert notice["text"] == (
        "Dan was named to lead this run but cannot be asked: their account is deactivated."
        " Whoever answers first here leads it."
    )
    assert roles(slack)["participants"] == [{"id": "slack:UB", "name": "Bob"}]
    [(context,)] = slack.rows("SELECT context FROM runs")
    assert "escalate_to" not in json.loads(context)["trigger"]
    assert caplog.text.count("names slack:UD, who has a deactivated account") == 1
    assert caplog.text.count(JIRA_LEFT_OUT) == 1
    await slack.event(message("UB", "We ship in March", channel="C0OPS", thread_ts=root["ts"]))
    await wait_for(lambda: roles(slack)["facilitator"]["id"] == "slack:UB")


async def test_the_people_a_trigger_left_out_are_in_its_event_row_for_analysts(slack: Harness, fake: FakeSlack) -> None:
    """Before, who was left out was only in the log and the run's thread: the ledger had no trace of
    it. Now the trigger's event row says who and why (``events.left_out``); NULL when nobody was."""
    body = {
        "title": "Weekly sync", "flow": "post_meeting", "channel": "slack:C0OPS",
        "facilitator": "UD", "participants": ["UB", "UJIRA"], "dedup_key": "sync",
    }  # fmt: skip
    resp = await slack.client.post("/hooks/events", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    await slack.posts(2)
    clean = {"title": "Retro", "flow": "post_meeting", "channel": "slack:C0OPS", "facilitator": "UB"}
    resp = await slack.client.post("/hooks/events", json=clean, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    [(gone,), (nobody,)] = slack.rows("SELECT left_out FROM events ORDER BY id")
    assert json.loads(gone) == [{"id": "slack:UD", "kind": "deactivated"}, {"id": "slack:UJIRA", "kind": "app"}]
    assert nobody is None


async def test_a_facilitator_of_another_platform_is_left_out_and_the_run_taken_by_whoever_answers(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """An alert to a Slack channel labelled ``decision_facilitator: teams:29:abc``: before, its run
    asked "29:abc" in the Slack thread, told every Slack person who answered "This question is for
    29:abc", and waited until it escalated hours later."""
    labels = {"decision_channel": "slack:C0OPS", "decision_facilitator": "teams:29:abc"}
    with caplog.at_level(logging.WARNING):
        assert (await hook(slack, alert(**labels)))["started"] == [1]
    root, notice = await slack.posts(2)
    assert root["text"].startswith("Checkout error rate above 5%") and "29:abc" not in root["text"]
    assert notice["text"] == (
        "29:abc was named to lead this run but cannot be asked: they are on another chat platform than this"
        " channel. Whoever answers first here leads it."
    )
    assert (
        caplog.text.count(
            "names teams:29:abc, who is a person of another chat platform than the run's channel (they cannot answer"
            " there): left out of its run"
        )
        == 1
    )
    [(gone,)] = slack.rows("SELECT left_out FROM events")
    assert json.loads(gone) == [{"id": "teams:29:abc", "kind": "elsewhere"}]
    await slack.event(message("UB", "We restart the pods", channel="C0OPS", thread_ts=root["ts"]))
    await wait_for(lambda: roles(slack)["facilitator"]["id"] == "slack:UB")
