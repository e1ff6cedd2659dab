"""Grafana's webhook through the real server: what Grafana versions send, and its contact point's
"Test" button."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest

from tests.triggers.test_hooks import AUTH, ENV, counts, post, rows, sample, serve

#: The body Grafana's "Test" button posts (unified alerting, grafana/alerting's newTestAlert).
TEST_ALERT = {
    "receiver": "decisionbot",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "TestAlert", "instance": "Grafana"},
            "annotations": {"summary": "Notification test"},
            "startsAt": "2026-11-26T14:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": "57c6d9296de2ad39",
            "silenceURL": "https://grafana.example/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "",
            "panelURL": "",
            "values": None,
            "valueString": "[ metric='foo' labels={instance=bar} value=10 ]",
        }
    ],
    "groupLabels": {"alertname": "TestAlert", "instance": "Grafana"},
    "commonLabels": {"alertname": "TestAlert", "instance": "Grafana"},
    "commonAnnotations": {"summary": "Notification test"},
    "externalURL": "https://grafana.example/",
    "version": "1",
    "groupKey": "test-57c6d9296de2ad39-1764165600",
    "truncatedAlerts": 0,
    "title": "[FIRING:1] TestAlert Grafana ",
    "state": "alerting",
    "message": "**Firing**\n\nValue: [no value]\nLabels:\n - alertname = TestAlert\n - instance = Grafana\n",
}


async def test_grafana_9_value_string_is_the_value_prompts_show(tmp_path: Path, flows: Path) -> None:
    """Grafana 8.x-9.5 send ``valueString`` only (no ``values``): the prompt shows its first
    number (review-trigger-shapes: it said "is ?")."""
    client = await serve(tmp_path, flows)
    try:
        body = sample("grafana_firing.json")
        body["alerts"][0].pop("values")
        body["alerts"][0]["labels"]["team"] = "shop"  # not the shipped routes' team
        body["alerts"][0]["valueString"] = "[ metric='' labels={} value=1.9 ]"
        assert (await post(client, "grafana", body))[1]["started"] == [1]
        [(prompt,)] = rows(client, "SELECT text FROM messages")
        assert prompt.startswith("Checkout conversion fell below 2.5%: Checkout conversion is 1.9 "), prompt
        body["alerts"][0]["fingerprint"] = "nodata"  # a query with no data: no number to show
        body["alerts"][0]["valueString"] = "[ var='B' labels={} value=null ]"
        await post(client, "grafana", body)
        assert rows(client, "SELECT json_extract(payload, '$.value') FROM events WHERE id = 2") == [("",)]
    finally:
        await client.close()


async def test_a_grafana_value_is_shown_as_a_checks_is_and_kept_whole_in_values(tmp_path: Path, flows: Path) -> None:
    """A computed value (a ratio, a mean) reads with six significant digits in the prompt; every
    digit stays in ``trigger.values`` (review-rv-alerts: "Checkout conversion is 0.9523809523809523")."""
    client = await serve(tmp_path, flows)
    try:
        body = sample("grafana_firing.json")
        body["alerts"][0]["labels"]["team"] = "shop"
        body["alerts"][0]["values"] = {"B": 0.9523809523809523, "C": 1}
        assert (await post(client, "grafana", body))[1]["started"] == [1]
        [(prompt,)] = rows(client, "SELECT text FROM messages")
        assert prompt.startswith("Checkout conversion fell below 2.5%: Checkout conversion is 0.952381 "), prompt
        assert rows(client, "SELECT json_extract(payload, '$.values.B') FROM events") == [(0.9523809523809523,)]
    finally:
        await client.close()


async def test_grafanas_test_button_starts_no_run_and_says_where_alerts_go(tmp_path: Path, flows: Path, caplog) -> None:
    """The contact point's "Test" button posts a test alert; it started a real metric_breach run
    (reminders, escalation). Now nothing is stored and the answer (and an INFO line) says where
    the route's alerts start their decisions."""
    caplog.set_level(logging.INFO, logger="decisionbot.hooks")
    client = await serve(tmp_path, flows)
    try:
        before = counts(client)
        assert await post(client, "grafana", TEST_ALERT) == (
            200,
            {"test": True, "received": 1, "route": "default", "channel": "console:alerts", "flow": "metric_breach"},
        )
        assert counts(client) == before
        assert "Grafana contact-point test received (route default): its alerts start metric_breach in" in caplog.text
        real = sample("grafana_firing.json")  # a real alert still starts its run
        real["alerts"][0]["labels"]["team"] = "shop"
        assert (await post(client, "grafana", real))[1]["started"] == [1]
    finally:
        await client.close()


async def test_grafanas_test_button_with_nowhere_to_go_says_why(tmp_path: Path, flows: Path, caplog) -> None:
    client = await serve(tmp_path, flows, env={"DECISIONBOT_HOOK_TOKEN": ENV["DECISIONBOT_HOOK_TOKEN"]})
    try:
        status, answer = await post(client, "grafana", TEST_ALERT)
        assert (status, answer["test"]) == (200, True) and answer["problem"].startswith("no channel to post in")
        assert "but its alerts would start no run" in caplog.text
        assert counts(client)["events"] == 0
    finally:
        await client.close()


async def test_grafana_value_string_whose_label_holds_a_brace_still_gives_the_value(
    tmp_path: Path, flows: Path
) -> None:
    """Grafana 8.x-9.5 print labels unquoted: an HTTP route label such as handler=/items/{id}
    (FastAPI, Spring...) puts a '}' inside labels={...}; the value must still be read."""
    client = await serve(tmp_path, flows)
    try:
        body = sample("grafana_firing.json")
        body["alerts"][0].pop("values")
        body["alerts"][0]["labels"]["team"] = "shop"
        body["alerts"][0]["valueString"] = "[ var='B' labels={handler=/items/{item_id}} value=1.9 ]"
        assert (await post(client, "grafana", body))[1]["started"] == [1]
        [(prompt,)] = rows(client, "SELECT text FROM messages")
        assert prompt.startswith("Checkout conversion fell below 2.5%: Checkout conversion is 1.9 "), prompt
    finally:
        await client.close()


async def test_a_real_grafana_alert_named_testalert_starts_its_run(tmp_path: Path, flows: Path) -> None:
    """A real Grafana-managed alert (Grafana 9-11 add grafana_folder and ruleUID to every one) whose
    rule is named TestAlert with a label instance=Grafana is not the contact point's test: its own
    summary, folder and rule. It must start a run, not be answered {"test": true} and dropped."""
    client = await serve(tmp_path, flows)
    try:
        real = copy.deepcopy(TEST_ALERT)
        alert = real["alerts"][0]
        alert["labels"] = {"alertname": "TestAlert", "grafana_folder": "Platform", "instance": "Grafana"}
        alert["annotations"] = {"summary": "Grafana is not answering"}
        alert["ruleUID"] = "c8f1b0a2"
        alert["values"] = {"B": 0}
        status, answer = await post(client, "grafana", real)
        assert (status, answer.get("test"), answer.get("started")) == (200, None, [1]), answer
        assert counts(client)["runs"] == 1
    finally:
        await client.close()


async def test_grafana_contact_point_set_to_put_is_served_as_post(tmp_path: Path, flows: Path) -> None:
    """Grafana's webhook contact point offers "HTTP Method: POST or PUT"; PUT was a 405 and the alert was lost."""
    client = await serve(tmp_path, flows)
    try:
        body = sample("grafana_firing.json")
        body["alerts"][0]["labels"]["team"] = "shop"
        resp = await client.put(
            "/hooks/grafana", data=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"}
        )
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["started"] == [1]
        assert counts(client)["runs"] == 1
        resp = await client.put("/hooks/alertmanager", data=json.dumps(body), headers=AUTH)
        assert resp.status == 405  # Alertmanager only ever POSTs
    finally:
        await client.close()


async def test_a_grafana_route_with_dedup_group_keeps_one_run_per_alert_group(tmp_path: Path, flows: Path) -> None:
    """``dedup: group`` keyed Alertmanager's groupKey only: a Grafana route with it started one run
    per alert, silently (Grafana's body has the same groupKey)."""
    (flows / "routes.yaml").write_text(
        "routes:\n  - name: shop\n    match: {source: grafana}\n    channel: console:ops\n    dedup: group\n"
    )
    client = await serve(tmp_path, flows)
    try:
        body = sample("grafana_firing.json")
        second = copy.deepcopy(body["alerts"][0])
        second["labels"]["instance"] = "web-2"
        second["fingerprint"] = "0000000000000002"
        body["alerts"].append(second)
        assert (await post(client, "grafana", body))[1]["started"] == [1]
        [(key, title)] = rows(client, "SELECT dedup_key, title FROM events")
        assert key == f"grafana:group:{body['groupKey']}" and title.endswith("(+1 more)")
        assert (await post(client, "grafana", body))[1]["repeats"] == 1
        for item in body["alerts"]:
            item["status"] = "resolved"
        body["status"] = "resolved"
        assert (await post(client, "grafana", body))[1]["resolved"] == 1
        assert counts(client)["runs"] == 1
    finally:
        await client.close()


async def test_a_body_posted_to_the_other_alerting_hook_is_refused_naming_the_right_one(
    tmp_path: Path, flows: Path
) -> None:
    """A Grafana contact point given Alertmanager's URL (or the other way round) gets a 400 that
    says which hook takes it (review-rv-alerts: "Alertmanager webhook version '1' is not
    supported" sent its reader after an Alertmanager upgrade that would change nothing)."""
    client = await serve(tmp_path, flows)
    try:
        assert await post(client, "alertmanager", sample("grafana_firing.json")) == (400, {"error": (
            "Alertmanager webhook version '1' is not supported: this hook takes version \"4\". Version \"1\" is"
            " Grafana's webhook: point its contact point at /hooks/grafana"
        )})  # fmt: skip
        assert await post(client, "grafana", sample("alertmanager_firing.json")) == (400, {"error": (
            "Grafana webhook version '4' is not supported: this hook takes version \"1\". Version \"4\" is"
            " Alertmanager's webhook: point its receiver at /hooks/alertmanager"
        )})  # fmt: skip
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("hook", "version", "error"),
    [
        ("alertmanager", 4, 'must be the string "4", as Alertmanager sends it ("version": "4"), not the number 4'),
        ("grafana", 1, 'must be the string "1", as Grafana sends it ("version": "1"), not the number 1'),
        (
            "grafana",
            4,
            'must be the string "1", as Grafana sends it ("version": "1"), not the number 4.'
            ' Version "4" is Alertmanager\'s webhook: point its receiver at /hooks/alertmanager',
        ),
        ("alertmanager", None, 'must be the string "4", as Alertmanager sends it ("version": "4"), not null'),
    ],
)
async def test_a_version_that_is_not_a_string_is_refused_saying_to_send_the_string(
    tmp_path: Path, flows: Path, hook: str, version: object, error: str
) -> None:
    """A hand-written sender's ``"version": 4`` (a number) was told "version 4 is not supported:
    this hook takes version "4"". Alertmanager and Grafana send a string: the 400 says so."""
    client = await serve(tmp_path, flows)
    try:
        body = sample("alertmanager_firing.json" if hook == "alertmanager" else "grafana_firing.json")
        status, answer = await post(client, hook, {**body, "version": version})
        assert (status, answer["error"]) == (400, "'version' " + error)
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()
