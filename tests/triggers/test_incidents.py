"""An alert's life as Alertmanager tells it, through the real server: it fires again after it
resolved (a flap: the run is told), or from a new start without its resolution ever sent
(``send_resolved: false``: a new incident, a new run once the cooldown has passed)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bot.model import Actor
from bot.server import SERVICES
from tests.clock import Clock
from tests.triggers.conftest import NOW
from tests.triggers.test_hooks import ENV, counts, post, rows, sample, serve


@pytest.fixture
async def hooks(tmp_path: Path, flows: Path):
    c = await serve(tmp_path, flows)
    yield c
    await c.close()


ROUTES = "routes:\n  - name: web\n    match: {source: alertmanager}\n    channel: console:ops\n    cooldown: 30m\n"


def alert(starts_at: str, status: str = "firing") -> dict:
    body = copy.deepcopy(sample("alertmanager_firing.json"))
    body["status"] = body["alerts"][0]["status"] = status
    body["alerts"][0]["startsAt"] = starts_at
    if status == "resolved":
        body["alerts"][0]["endsAt"] = "2026-11-26T16:00:00.000Z"
    return body


async def test_an_alert_firing_again_after_it_resolved_is_posted_into_its_run(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, "alertmanager", alert("2026-11-26T14:52:00Z")))[1]["started"] == [1]
        clock.at(minutes=10)
        assert (await post(client, "alertmanager", alert("2026-11-26T14:52:00Z", "resolved")))[1]["resolved"] == 1
        clock.at(minutes=15)  # within the cooldown: the same incident, flapping
        assert (await post(client, "alertmanager", alert("2026-11-26T15:14:00Z")))[1]["repeats"] == 1
        clock.at(minutes=16)
        assert (await post(client, "alertmanager", alert("2026-11-26T15:14:00Z")))[1]["repeats"] == 1
        assert rows(client, "SELECT run_id, conversation, kind, text FROM messages WHERE id > 1") == [
            (1, "console:ops", "info", "Resolved: Checkout error rate above 5%."),
            (1, "console:ops", "info", "Firing again: Checkout error rate above 5% (CheckoutErrorRate is 7.3%)."),
        ]  # once: the repeat that followed posted nothing
        assert rows(client, "SELECT status, resolved_at, repeat_count FROM events") == [("firing", None, 2)]
    finally:
        await client.close()


@pytest.mark.parametrize("hook", ["alertmanager", "grafana"])
async def test_a_stale_firing_with_the_resolved_start_only_repeats_the_resolved_incident(
    tmp_path: Path, flows: Path, hook: str
) -> None:
    """An Alertmanager peer that has not yet heard of the resolution, or a late retry of an older
    notification, sends the alert firing with the start of the incident that resolved: counted,
    not a flap (no "Firing again", the event stays resolved), and after the cooldown no new run."""
    (flows / "routes.yaml").write_text(ROUTES.replace("alertmanager", hook))
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    firing, resolved, again = (
        alert("2026-11-26T14:52:00Z"),
        alert("2026-11-26T14:52:00Z", "resolved"),
        alert("2026-11-26T17:59:00Z"),
    )
    for body in (firing, resolved, again):
        body["version"] = "1" if hook == "grafana" else "4"
    try:
        assert (await post(client, hook, firing))[1]["started"] == [1]
        clock.at(minutes=10)
        assert (await post(client, hook, resolved))[1]["resolved"] == 1
        clock.at(minutes=11)  # within the cooldown, the run still open
        assert (await post(client, hook, firing))[1]["repeats"] == 1
        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:facilitator", "facilitator"))
        clock.at(hours=2)  # after the cooldown, the run closed
        assert (await post(client, hook, firing))[1] == {
            "received": 1, "started": [], "repeats": 1, "resolved": 0, "stale": 0, "unrouted": [], "unseen": 0
        }  # fmt: skip
        [(posted,)] = rows(client, "SELECT text FROM messages WHERE kind = 'info'")
        assert posted.startswith("Resolved: Checkout error rate above 5%"), posted
        assert rows(client, "SELECT status, resolved_at, repeat_count FROM events") == [
            ("resolved", "2026-11-26T15:10:00.000Z", 2)
        ]
        assert counts(client)["runs"] == 1
        clock.at(hours=3)  # it really fires again: a new start, a new incident
        assert (await post(client, hook, again))[1]["started"] == [2]
    finally:
        await client.close()


async def test_without_send_resolved_a_new_start_after_the_cooldown_is_a_new_incident(
    tmp_path: Path, flows: Path
) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, "alertmanager", alert("2026-11-26T14:52:00Z")))[1]["started"] == [1]
        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:facilitator", "facilitator"))
        clock.at(minutes=20)  # the same incident, still firing: joins the closed run
        assert (await post(client, "alertmanager", alert("2026-11-26T14:52:00Z")))[1]["repeats"] == 1
        clock.at(minutes=40)  # it ended unseen and fired again 20 minutes after it was last seen
        assert (await post(client, "alertmanager", alert("2026-11-26T15:39:00Z")))[1]["repeats"] == 1
        clock.at(hours=3)  # it ended unseen and fired again hours later: a new incident
        body = (await post(client, "alertmanager", alert("2026-11-26T17:58:00Z")))[1]
        assert body["started"] == [2]
        assert rows(client, "SELECT id, status, resolved_at, repeat_count FROM events ORDER BY id") == [
            (1, "resolved", "2026-11-26T15:40:00.000Z", 2),  # ended when it was last seen
            (2, "firing", None, 0),
        ]
        assert counts(client)["runs"] == 2
    finally:
        await client.close()


async def test_alerts_of_one_group_with_their_own_starts_share_the_groups_run(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(ROUTES.replace("cooldown", "dedup: group\n    cooldown"))
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        group = alert("2026-11-26T14:52:00Z")
        second = copy.deepcopy(group["alerts"][0])
        second.update(fingerprint="2b41cc0000000000", startsAt="2026-11-26T14:55:00Z")
        group["alerts"].append(second)
        assert (await post(client, "alertmanager", group))[1]["started"] == [1]
        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:facilitator", "facilitator"))
        clock.at(hours=5)  # the group is still firing: the same incident
        assert (await post(client, "alertmanager", group))[1]["started"] == []
        assert counts(client)["runs"] == 1
    finally:
        await client.close()


async def test_without_a_channel_an_alert_is_kept_and_the_log_says_what_to_do(tmp_path: Path, flows: Path, caplog):
    client = await serve(tmp_path, flows, env={"DECISIONBOT_HOOK_TOKEN": ENV["DECISIONBOT_HOOK_TOKEN"]})
    try:
        body = alert("2026-11-26T14:52:00Z")
        body["alerts"][0]["annotations"]["summary"] = "Checkout errors\nabove 5%"
        status, answer = await post(client, "alertmanager", body)
        assert status == 200 and len(answer["unrouted"]) == 1
        [line] = [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks" and r.levelname == "WARNING"]
        assert line == (
            "Trigger 'Checkout errors above 5%' (alertmanager, event 1) started no run: no channel to post in:"
            f" no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set. Fix: add a route to {flows / 'routes.yaml'}"
            " or set DECISIONBOT_DEFAULT_CHANNEL (try it with: decisionbot routes test PAYLOAD_FILE); its next"
            " notification starts a run."
        )
        assert rows(client, "SELECT count(*) FROM events WHERE problem IS NOT NULL") == [(1,)]
    finally:
        await client.close()


async def test_a_notification_cut_by_max_alerts_is_logged_with_the_fix(hooks, caplog) -> None:
    body = alert("2026-11-26T14:52:00Z")
    body["truncatedAlerts"] = 40
    assert (await post(hooks, "alertmanager", body))[1]["started"] == [1]
    assert [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks"] == [
        'The alertmanager notification of group {}/{team="payments"}:{alertname="CheckoutErrorRate"} left 40'
        " alert(s) out (its max_alerts): they start no run of their own (a route with dedup: group counts them"
        " in its run). Fix: raise max_alerts in the webhook's configuration (up to 1000, all decisionbot takes of"
        " one notification), or add labels to the Alertmanager route's group_by so that each notification holds"
        " fewer alerts."
    ]


async def test_grafana_alerts_with_and_without_data_fire_and_resolve(hooks) -> None:
    body = sample("grafana_firing.json")
    body["alerts"][0]["labels"]["team"] = "shop"  # not the shipped routes' team
    nodata = copy.deepcopy(body["alerts"][0])
    nodata.update(fingerprint="0d0d0d0d0d0d0d0d", values={"B": None, "C": None}, valueString="")
    nodata["labels"] = {"alertname": "DatasourceNoData", "team": "shop"}
    nodata["annotations"] = {"summary": "No data for checkout conversion"}
    body["alerts"].append(nodata)
    assert (await post(hooks, "grafana", body))[1]["started"] == [1, 2]
    assert [t.splitlines()[0] for (t,) in rows(hooks, "SELECT text FROM messages ORDER BY id")] == [
        "Checkout conversion fell below 2.5%: Checkout conversion is 1.9 (threshold 2.5%).",
        "No data for checkout conversion.",  # no value: no reading (it said "DatasourceNoData is ? (threshold ?)")
    ]
    assert rows(hooks, "SELECT DISTINCT json_extract(payload, '$.org_id') FROM events") == [(1,)]
    body.update(status="resolved", state="ok", title="[RESOLVED] Checkout conversion Shop")
    for item in body["alerts"]:
        item.update(status="resolved", endsAt="2026-11-26T15:30:00Z")
    body["alerts"][0]["values"] = {"B": 3.1, "C": 0}
    assert (await post(hooks, "grafana", body))[1]["resolved"] == 2
    assert rows(hooks, "SELECT text FROM messages WHERE kind = 'info' ORDER BY id") == [
        ("Resolved: Checkout conversion fell below 2.5% (Checkout conversion is now 3.1).",),
        ("Resolved: No data for checkout conversion.",),
    ]


async def test_a_legacy_grafana_body_is_refused_saying_what_to_send(hooks) -> None:
    legacy = {"title": "[Alerting] Checkout", "ruleId": 1, "ruleName": "Checkout", "state": "alerting",
              "evalMatches": [{"value": 1.9, "metric": "conversion", "tags": {}}], "message": "low"}  # fmt: skip
    status, body = await post(hooks, "grafana", legacy)
    assert (status, body) == (400, {"error": (
        "this is legacy Grafana alerting's body (ruleName, evalMatches), which this hook does not take:"
        ' send Grafana-managed alerts through a webhook contact point (version "1")'
    )})  # fmt: skip
    assert counts(hooks)["events"] == 0


async def test_a_group_notification_is_one_event_of_the_group_titled_by_its_first_alert(
    tmp_path: Path, flows: Path
) -> None:
    (flows / "routes.yaml").write_text(ROUTES.replace("cooldown", "dedup: group\n    cooldown"))
    client = await serve(tmp_path, flows, clock=Clock(NOW))
    try:
        group = alert("2026-11-26T14:52:00Z")
        for n, instance in enumerate(["web-2", "web-3"]):
            more = copy.deepcopy(group["alerts"][0])
            more["labels"]["instance"] = instance
            more.update(fingerprint=f"2b41cc000000000{n}", annotations={"summary": f"{instance} errors"})
            group["alerts"].append(more)
        group["alerts"][1]["status"] = "resolved"  # the group still fires: two of its alerts do
        assert (await post(client, "alertmanager", group))[1] == {
            "received": 3, "started": [1], "repeats": 0, "resolved": 0, "stale": 0, "unrouted": [], "unseen": 0
        }  # fmt: skip
        assert rows(client, "SELECT title, repeat_count FROM events") == [("Checkout error rate above 5% (+1 more)", 0)]
        [(prompt,)] = rows(client, "SELECT text FROM messages")
        assert prompt.startswith("Checkout error rate above 5% (+1 more): CheckoutErrorRate is 7.3%")
        assert (await post(client, "alertmanager", group))[1]["repeats"] == 1
        for item in group["alerts"]:
            item["status"] = "resolved"
        group["status"] = "resolved"
        assert (await post(client, "alertmanager", group))[1]["resolved"] == 1
        assert rows(client, "SELECT status, repeat_count FROM events") == [("resolved", 1)]
        assert rows(client, "SELECT count(*) FROM messages WHERE text LIKE 'Resolved:%'") == [(1,)]
    finally:
        await client.close()


async def test_a_group_run_shows_the_alerts_of_the_group_bounded_with_what_tells_them_apart(
    tmp_path: Path, flows: Path
) -> None:
    (flows / "routes.yaml").write_text(ROUTES.replace("cooldown", "dedup: group\n    cooldown"))
    client = await serve(tmp_path, flows, clock=Clock(NOW))
    try:
        group = alert("2026-11-26T14:52:00Z")
        for n in range(2, 14):  # web-2 .. web-13: 13 alerts, web-2 resolved
            more = copy.deepcopy(group["alerts"][0])
            more["labels"]["instance"] = f"web-{n}"
            more["annotations"]["value"] = f"{n}.0%"
            more.update(fingerprint=f"2b41cc00000000{n:02d}")
            group["alerts"].append(more)
        group["alerts"][1]["status"] = "resolved"
        assert (await post(client, "alertmanager", group))[1]["started"] == [1]
        listed = [f"- Checkout error rate above 5% [instance=web-{n}]: CheckoutErrorRate {n}.0% (threshold 5%)"
                  for n in range(3, 12)]  # fmt: skip
        [(prompt,)] = rows(client, "SELECT text FROM messages")
        assert prompt.split("\n")[:14] == [
            "Checkout error rate above 5% (+11 more): CheckoutErrorRate is 7.3% (threshold 5%).",
            "The 12 alerts of this group:",
            "- Checkout error rate above 5% [instance=web-1]: CheckoutErrorRate 7.3% (threshold 5%)",
            *listed,  # the firing ones: web-2 resolved; ten at most
            "- and 2 more",
            "5xx ratio on /checkout has been above 5% for 10 minutes.",
        ]
        [(alerts, count)] = rows(
            client, "SELECT json_extract(context, '$.trigger.alerts'), json_extract(context, '$.trigger.alert_count')"
            " FROM runs"
        )  # fmt: skip
        assert count == 12 and len(json.loads(alerts)) == 10
        assert json.loads(alerts)[1] == {
            "title": "Checkout error rate above 5%", "metric": "CheckoutErrorRate", "value": "3.0%",
            "threshold": "5%", "link": "https://runbooks.example/checkout-errors", "labels": {"instance": "web-3"},
        }  # fmt: skip
        del group["alerts"][2:]  # the group now: web-1 firing, web-2 resolved: the event keeps the latest
        assert (await post(client, "alertmanager", group))[1]["repeats"] == 1
        assert rows(
            client, "SELECT json_array_length(payload, '$.alerts'), json_extract(payload, '$.alert_list') FROM events"
        ) == [(1, "")]
    finally:
        await client.close()


def _pod_alert(n: int) -> dict:
    """A crash-looping pod as Alertmanager sends it: many labels, long values."""
    alert = copy.deepcopy(sample("alertmanager_firing.json")["alerts"][0])
    pod = f"checkout-api-7d9f8c6b5{n:02d}-x2x9z"
    alert["labels"] = {
        "alertname": "KubePodCrashLooping", "team": "payments", "severity": "critical", "namespace": "checkout-prod",
        "pod": pod, "container": "server", "instance": f"10.42.{n}.17:8080",
        "uid": f"5b1f3c2e-9d4a-4e0b-8a61-{n:012d}", "node": f"ip-10-0-{n}-23.eu-west-1.compute.internal",
    }  # fmt: skip
    alert["annotations"] = {
        "summary": f"Pod checkout-prod/{pod} (server) is restarting 4.1 times / 10 minutes",
        "value": "4.1", "threshold": "0",
        "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
    }  # fmt: skip
    alert["fingerprint"] = f"2b41cc00000000{n:02d}"
    return alert


async def test_a_group_of_long_alerts_lists_whole_lines_that_fit_a_slack_question(tmp_path: Path, flows) -> None:
    from bot.channels import slack_blocks
    from bot.model import ConversationKey, Reply

    (flows / "routes.yaml").write_text(ROUTES.replace("cooldown", "dedup: group\n    cooldown"))
    client = await serve(tmp_path, flows, clock=Clock(NOW))
    try:
        body = copy.deepcopy(sample("alertmanager_firing.json"))
        body["alerts"] = [_pod_alert(n) for n in range(1, 11)]
        assert (await post(client, "alertmanager", body))[1]["started"] == [1]
        [(prompt,)] = rows(client, "SELECT text FROM messages")
        listed = [line for line in prompt.splitlines() if line.startswith("- Pod ")]
        more = [line for line in prompt.splitlines() if line.startswith("- and ")]
        assert 0 < len(listed) < 10, prompt  # some whole lines, the rest counted
        assert "The 10 alerts of this group:" in prompt and more == [f"- and {10 - len(listed)} more"]
        assert all("pod=" not in line for line in listed)  # the title names the pod already
        section = slack_blocks.message(
            Reply(1, ConversationKey("slack", "C0OPS"), prompt, expects={"type": "person"}), 7
        )
        shown = section["blocks"][0]["text"]["text"]
        assert [line for line in shown.split("\n") if line.startswith("- ")] == listed + more  # whole, none cut
    finally:
        await client.close()


async def test_an_alert_storm_is_taken_up_to_a_thousand_alerts_and_the_rest_counted(
    tmp_path: Path, flows: Path, caplog
) -> None:
    """A notification of 20,000 alerts held the server for ~5 s (Alertmanager's max_alerts is 0, all,
    by default): the first 1,000 are taken, the rest counted as max_alerts' left-out ones are."""
    (flows / "routes.yaml").write_text(ROUTES.replace("cooldown", "dedup: group\n    cooldown"))
    client = await serve(tmp_path, flows, clock=Clock(NOW))
    try:
        storm = alert("2026-11-26T14:52:00Z")
        first = storm["alerts"][0]
        storm["alerts"] = [{**first, "fingerprint": f"{n:016x}", "labels": {**first["labels"], "n": str(n)}}
                           for n in range(1200)]  # fmt: skip
        answer = (await post(client, "alertmanager", storm))[1]
        assert (answer["received"], answer["started"]) == (1000, [1])
        assert rows(client, "SELECT title FROM events") == [("Checkout error rate above 5% (+1199 more)",)]
        assert "held 1200 alerts: the first 1000 are taken, 200 left out" in caplog.text
    finally:
        await client.close()
