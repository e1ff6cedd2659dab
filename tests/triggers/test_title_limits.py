"""Titles and URLs a trigger brings. The generic hook and the CLI, whose senders are scripts and
people who can mend what they send, refuse one over its limit naming the field (400; exit 2),
nothing stored. Alertmanager and Grafana drop a notification answered 4xx, so theirs are kept:
a long summary is the run's title cut for display (the whole text stays in the event's
annotations), and a URL too long to be a link is not made the run's link."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.triggers.test_cli_triggers import cli
from tests.triggers.test_cli_triggers import rows as cli_rows
from tests.triggers.test_hooks import counts, post, rows, sample, serve

SAMPLE = {"alertmanager": "alertmanager_firing.json", "grafana": "grafana_firing.json"}


async def test_a_generic_link_past_its_limit_is_refused_naming_it(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        link = "https://example.com/" + "a" * 9_000
        status, answer = await post(client, "events", {"title": "Churn drift", "link": link})
        assert (status, answer) == (400, {"error": f"'link': is {len(link)} characters long, 8192 at most"})
        assert counts(client)["events"] == 0
        status, answer = await post(client, "events", {"title": "Churn drift", "link": link[:8192]})
        assert (status, answer["started"]) == (200, [1])
    finally:
        await client.close()


@pytest.mark.parametrize("hook", ["alertmanager", "grafana"])
async def test_an_alerts_long_summary_is_its_title_cut_and_kept_whole(tmp_path: Path, flows: Path, hook: str) -> None:
    body = copy.deepcopy(sample(SAMPLE[hook]))
    summary = "Checkout error rate above 5% " * 700
    body["alerts"][0]["annotations"]["summary"] = summary
    client = await serve(tmp_path, flows)
    try:
        status, answer = await post(client, hook, body)
        assert (status, answer["started"]) == (200, [1])
        [(title, payload)] = rows(client, "SELECT title, payload FROM events")
        assert len(title) == 500 and title.endswith("…") and summary.startswith(title[:-1])
        assert json.loads(payload)["annotations"]["summary"] == summary
    finally:
        await client.close()


@pytest.mark.parametrize("hook", ["alertmanager", "grafana"])
async def test_an_alerts_url_too_long_to_be_a_link_is_not_its_link(tmp_path: Path, flows: Path, hook: str) -> None:
    body = copy.deepcopy(sample(SAMPLE[hook]))
    alert = body["alerts"][0]
    alert["generatorURL"] = "https://prometheus/graph?g0.expr=" + "x" * 9_000
    alert["annotations"]["runbook_url"] = "https://runbooks/checkout"
    for name in ("dashboardURL", "panelURL"):
        alert.pop(name, None)
    client = await serve(tmp_path, flows)
    try:
        assert (await post(client, hook, body))[1]["started"] == [1]
        [(payload,)] = rows(client, "SELECT payload FROM events")
        data = json.loads(payload)
        assert data["link"] == "https://runbooks/checkout"
        assert "generatorURL" not in data
        alert["annotations"]["runbook_url"] = "https://runbooks/" + "r" * 9_000
        alert["fingerprint"] = "another"
        assert (await post(client, hook, body))[1]["started"] == [2]
        [(payload,)] = rows(client, "SELECT payload FROM events WHERE id = 2")
        assert json.loads(payload)["link"] == ""
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--title", "t" * 501, "--title"),
        ("--dedup-key", "k" * 501, "--dedup-key"),
        ("--data", "title=" + "t" * 501, "--data title"),
    ],
)
def test_the_cli_refuses_a_title_or_key_past_its_limit(tmp_path: Path, flows: Path, option, value, named) -> None:
    out = cli(tmp_path, flows, "trigger", "post_meeting", "--channel", "console", "-f", "alice", option, value)
    assert out.exit_code == 2, out.output
    assert f"{named}" in out.output and "501 characters" in out.output and "500 at most" in out.output, out.output
    assert not (tmp_path / "cli.db").exists() or cli_rows(tmp_path, "SELECT count(*) FROM runs") == [(0,)]
