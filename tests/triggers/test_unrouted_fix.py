"""The warning for a trigger that started no run gives the fix for its own reason. Before, every
reason but a refused flow file or a review flow got "Fix: add a route to routes.yaml or set
DECISIONBOT_DEFAULT_CHANNEL", also when the default channel was set and the trigger named a
flow, a route or a channel that does not exist (neither helps: the name given wins)."""

from __future__ import annotations

import logging

import pytest

from tests.triggers.test_hooks import post, sample, serve


@pytest.fixture
async def client(tmp_path, flows):
    c = await serve(tmp_path, flows)
    yield c
    await c.close()


def alert(labels: dict[str, str]) -> dict:
    body = sample("alertmanager_firing.json")
    body["alerts"][0]["labels"].update(labels)
    return body


@pytest.mark.parametrize(
    ("hook", "body", "problem", "fix"),
    [
        (
            "events",
            {"title": "Churn drift", "flow": "metric_breech"},
            "there is no flow 'metric_breech' (flows: decision_review, metric_breach, post_meeting)",
            "Fix: name one of those flows (the alert's decision_flow label, the event's flow, or its route's flow),"
            " or add the flow file to the flows folder;",
        ),
        (
            "alertmanager",
            alert({"decision_flow": "metric_breech"}),
            "there is no flow 'metric_breech' (flows: decision_review, metric_breach, post_meeting)",
            "Fix: name one of those flows (the alert's decision_flow label",
        ),
        (
            "events",
            {"title": "Churn drift", "route": "chekout"},
            "there is no route 'chekout' (routes.yaml has none)",
            "Fix: name a route of routes.yaml (the alert's decision_route label, the event's route), or add it there;",
        ),
        (
            "alertmanager",
            alert({"decision_channel": "slack:#ops"}),
            "'slack:#ops' names a Slack channel by its name",
            "Fix: correct the channel it names (the alert's decision_channel label or annotation, the event's"
            " channel), or leave it out for its route's;",
        ),
    ],
)
async def test_the_warning_gives_the_fix_for_the_reason(client, caplog, hook, body, problem, fix) -> None:
    caplog.set_level(logging.WARNING, "decisionbot.hooks")
    status, answer = await post(client, hook, body)
    assert status == 200 and len(answer["unrouted"]) == 1, answer
    assert answer["unrouted"][0]["problem"].startswith(problem)
    [line] = [r.getMessage() for r in caplog.records if "started no run" in r.getMessage()]
    assert problem in line and fix in line, line
    assert "DECISIONBOT_DEFAULT_CHANNEL" not in line.split("Fix:")[1]  # it is set (console:alerts)


async def test_no_channel_still_says_to_add_a_route_or_the_default_channel(tmp_path, flows, caplog) -> None:
    c = await serve(tmp_path, flows, env={"DECISIONBOT_HOOK_TOKEN": "s3cret-hook-token"})
    try:
        status, answer = await post(c, "events", {"title": "Churn drift"})
    finally:
        await c.close()
    assert status == 200 and answer["unrouted"]
    [line] = [r.getMessage() for r in caplog.records if "started no run" in r.getMessage()]
    assert f"Fix: add a route to {flows / 'routes.yaml'} or set DECISIONBOT_DEFAULT_CHANNEL" in line
