"""A route (or a check) naming a flow no trigger can start: a review (decision_review needs the
decision it reviews, which no alert names) or the handover. Such a route was taken at load; then
every alert it matched was answered 400, and Alertmanager drops a 4xx without retrying: the alerts
were lost, silently. It is refused at load with the file, the route and the fix, as a check naming
a missing route is. An alert whose own ``decision_flow`` label names the review lost its whole
notification (the other alerts too) to the same 400: it is recorded as unrouted instead."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.server import create_app
from tests.triggers.test_cli_triggers import cli
from tests.triggers.test_hooks import TOKEN, post, rows, sample, serve


@pytest.mark.parametrize("flow", ["decision_review", "action_handover"])
def test_a_route_naming_a_flow_no_trigger_can_start_refuses_the_start(tmp_path: Path, flows: Path, flow) -> None:
    (flows / "routes.yaml").write_text(f"routes:\n  - name: reviews\n    flow: {flow}\n    channel: console:ops\n")
    with pytest.raises(ConfigError) as err:
        create_app(tmp_path / "h.db", flows, env={"DECISIONBOT_HOOK_TOKEN": TOKEN})
    assert str(err.value).startswith(f"{flows / 'routes.yaml'}, route 'reviews': its flow '{flow}' ")
    assert "Fix: name another flow (metric_breach, the default)" in str(err.value)
    tested = cli(tmp_path, flows, "routes", "test", str(Path(__file__).parents[2] / "data/samples/event.json"))
    assert tested.exit_code == 1 and "route 'reviews': its flow" in tested.output


def test_a_check_naming_the_review_flow_is_refused_at_load(tmp_path: Path, flows: Path) -> None:
    (flows / "checks.yaml").write_text(
        "checks:\n  - {name: orders, sql: SELECT 1, threshold: 5, direction: below, schedule: 15m,"
        " database: x.db, flow: decision_review, channel: console}\n"
    )
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.exit_code == 1
    assert f"{flows / 'checks.yaml'}, check 'orders': its flow 'decision_review' reviews a recorded decision" in (
        out.output
    )
    assert "Evaluated" not in out.output


async def test_an_alert_labelled_with_the_review_flow_is_recorded_and_its_group_still_starts(
    tmp_path: Path, flows: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = sample("alertmanager_firing.json")
    labelled = copy.deepcopy(body["alerts"][0])
    labelled["fingerprint"] = "2b2b2b2b2b2b2b2b"
    labelled["labels"].update(instance="web-2", decision_flow="decision_review")
    body["alerts"].append(labelled)
    client = await serve(tmp_path, flows)
    try:
        with caplog.at_level(logging.WARNING):
            status, answer = await post(client, "alertmanager", body)
        assert (status, answer["started"]) == (200, [1])
        assert [u["problem"] for u in answer["unrouted"]] == [
            "the flow 'decision_review' reviews a recorded decision, which an alert does not name:"
            " it starts on that decision's review date"
        ]
        assert rows(client, "SELECT dedup_key, problem IS NOT NULL FROM events ORDER BY id") == [
            ("alertmanager:1a30ba71cca2921f", 0),
            ("alertmanager:2b2b2b2b2b2b2b2b", 1),
        ]
        assert "Fix: name another flow in the alert's decision_flow label" in caplog.text
    finally:
        await client.close()
