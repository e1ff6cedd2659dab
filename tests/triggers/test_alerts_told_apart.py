"""Several alerts of one Grafana or Alertmanager notification, each starting a run of its own (no
``dedup: group``): every run had the same title, and its first prompt showed no label, so the people
on call could not tell the runs apart. Each run's title now names the labels that tell its alert
from the others of the notification ("... [instance=web-2]"). A group's resolution said the first
alert's value ("is now 1") under the count of its last firing; it now says what resolved."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.model import Trigger
from bot.server import SERVICES
from bot.triggers.alert_groups import telling_labels
from tests.triggers.test_hooks import post, rows, sample, serve


def grafana_body(instances: list[str]) -> dict:
    body = sample("grafana_firing.json")
    first = body["alerts"][0]
    body["alerts"] = []
    for instance in instances:
        alert = copy.deepcopy(first)
        alert["labels"]["instance"] = instance
        alert["fingerprint"] = f"{instance:0>16}"
        body["alerts"].append(alert)
    return body


def first_prompts(client) -> list[str]:
    return [t for (t,) in rows(client, "SELECT text FROM messages WHERE kind = 'prompt' ORDER BY run_id, id")]


async def test_grafana_alerts_of_one_body_start_runs_titled_apart(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        assert (await post(client, "grafana", grafana_body(["web-1", "web-2"])))[1]["started"] == [1, 2]
        assert rows(client, "SELECT title FROM events ORDER BY id") == [
            ("Checkout conversion fell below 2.5% [instance=web-1]",),
            ("Checkout conversion fell below 2.5% [instance=web-2]",),
        ]
        prompts = first_prompts(client)
        assert prompts[0].startswith("Checkout conversion fell below 2.5% [instance=web-1]: ")
        assert prompts[1].startswith("Checkout conversion fell below 2.5% [instance=web-2]: ")
    finally:
        await client.close()


async def test_alertmanager_alerts_of_one_body_start_runs_titled_apart(tmp_path: Path, flows: Path) -> None:
    body = sample("alertmanager_firing.json")
    second = copy.deepcopy(body["alerts"][0])
    second["labels"] = {**second["labels"], "instance": "db-2", "pod": "api-7"}
    second["fingerprint"] = "ffff000000000002"
    body["alerts"].append(second)
    client = await serve(tmp_path, flows)
    try:
        assert len((await post(client, "alertmanager", body))[1]["started"]) == 2
        first, other = (t for (t,) in rows(client, "SELECT title FROM events ORDER BY id"))
        assert first != other and "db-2" in other and "pod=api-7" in other
    finally:
        await client.close()


async def test_a_lone_alert_and_alerts_of_different_titles_keep_their_titles(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        await post(client, "grafana", grafana_body(["web-1"]))
        body = grafana_body(["web-2", "web-3"])
        body["alerts"][1]["annotations"]["summary"] = "Checkout latency above 2 s"
        await post(client, "grafana", body)
        assert rows(client, "SELECT title FROM events ORDER BY id") == [
            ("Checkout conversion fell below 2.5%",),
            ("Checkout conversion fell below 2.5%",),
            ("Checkout latency above 2 s",),
        ]
    finally:
        await client.close()


async def test_a_groups_resolution_says_what_resolved(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text("routes:\n  - name: shop\n    channel: console:ops\n    dedup: group\n")
    client = await serve(tmp_path, flows)
    try:
        body = grafana_body(["web-1", "web-2", "web-3"])
        assert (await post(client, "grafana", body))[1]["started"] == [1]
        body["alerts"][2]["status"] = "resolved"  # web-3 is over first: the group fires with two
        assert (await post(client, "grafana", body))[1]["repeats"] == 1
        body["status"] = "resolved"
        for alert in body["alerts"]:
            alert["status"] = "resolved"
            alert["values"] = {"B": 3.2, "C": 0}
        assert (await post(client, "grafana", body))[1]["resolved"] == 1
        assert rows(client, "SELECT text FROM messages WHERE kind = 'info'") == [
            ("Resolved: Checkout conversion fell below 2.5% (+2 more).",)
        ]
    finally:
        await client.close()


async def test_a_real_alertmanagers_alerts_of_one_notification_start_runs_titled_apart(
    tmp_path: Path, flows: Path
) -> None:
    from datetime import UTC, datetime

    from tests.triggers.test_alertmanager_e2e import TOKEN, alertmanager, inject, stamp, until
    from tests.triggers.test_group_title import disk

    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "console:alerts"}
    async with alertmanager(tmp_path, flows, env, repeat="1h") as (client, api):
        db = client.server.app[SERVICES].db
        await inject(api, [disk(i, stamp(datetime.now(UTC))) for i in (1, 2)])
        await until(lambda: db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2, "the two runs")
        titles = sorted(t for (t,) in db.execute("SELECT title FROM events"))
        assert titles == ["Disk full [instance=web-1]", "Disk full [instance=web-2]"]


async def test_a_label_whose_value_is_inside_a_word_of_the_title_still_tells_its_alert_apart(
    tmp_path: Path, flows: Path
) -> None:
    """``country=be`` beside ``country=nl``, both titled "Checkout conversion fell below ...": before,
    the first run's title left its label out, since "be" is inside "below"; a value that is a word of the
    title of its own ("web-1" in "... on web-1") is still not said twice."""
    body = grafana_body(["be", "nl"])
    for alert in body["alerts"]:
        alert["labels"]["country"] = alert["labels"].pop("instance")
    client = await serve(tmp_path, flows)
    try:
        assert (await post(client, "grafana", body))[1]["started"] == [1, 2]
        assert rows(client, "SELECT title FROM events ORDER BY id") == [
            ("Checkout conversion fell below 2.5% [country=be]",),
            ("Checkout conversion fell below 2.5% [country=nl]",),
        ]
    finally:
        await client.close()
    named = [Trigger(flow="f", title=f"Disk full on {h}", data={"labels": {"host": h}}) for h in ("web-1", "web-2")]
    assert telling_labels(named, 3) == [{}, {}]
