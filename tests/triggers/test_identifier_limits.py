"""The identifiers the hooks take (a dedup key or fingerprint, a groupKey, a receiver, the route,
flow, channel or kind a trigger names) are refused past a limit far above what Alertmanager and
Grafana send: 400 naming the field and its limit, nothing written. A fingerprint of 100,000
characters used to become the event's dedup key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.triggers.test_hooks import counts, post, rows, sample, serve

SAMPLE = {"alertmanager": "alertmanager_firing.json", "grafana": "grafana_firing.json"}


def body(hook: str, field: str, value: str) -> dict:
    """The sample body of ``hook`` with ``field`` (a path: ``alerts.0.fingerprint``) set to ``value``."""
    out = copy.deepcopy(sample(SAMPLE[hook]))
    *parents, last = field.split(".")
    where = out
    for part in parents:
        where = where[int(part)] if part.isdigit() else where.setdefault(part, {})
    where[last] = value
    return out


ALERTING_LIMITS = [  # (field in the body, as the 400 names it, limit)
    ("alerts.0.fingerprint", "alerts[0].fingerprint", 500),
    ("groupKey", "groupKey", 10_000),
    ("receiver", "receiver", 500),
    ("alerts.0.labels.decision_route", "alerts[0].labels.decision_route", 200),
    ("alerts.0.annotations.decision_flow", "alerts[0].annotations.decision_flow", 200),
    ("alerts.0.labels.decision_channel", "alerts[0].labels.decision_channel", 1000),
]


@pytest.mark.parametrize("hook", ["alertmanager", "grafana"])
@pytest.mark.parametrize(("field", "named", "limit"), ALERTING_LIMITS)
async def test_an_alerting_identifier_past_its_limit_is_refused_naming_it(
    tmp_path: Path, flows: Path, hook: str, field: str, named: str, limit: int
) -> None:
    client = await serve(tmp_path, flows)
    try:
        status, answer = await post(client, hook, body(hook, field, "f" * 100_000))
        assert (status, answer) == (400, {"error": f"'{named}': is 100000 characters long, {limit} at most"})
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": counts(client)["jobs"]}
    finally:
        await client.close()


@pytest.mark.parametrize("hook", ["alertmanager", "grafana"])
async def test_a_fingerprint_at_the_limit_is_the_dedup_key(tmp_path: Path, flows: Path, hook: str) -> None:
    client = await serve(tmp_path, flows)
    try:
        fingerprint = "a" * 500
        status, answer = await post(client, hook, body(hook, "alerts.0.fingerprint", fingerprint))
        assert (status, answer["started"]) == (200, [1]), answer
        assert rows(client, "SELECT dedup_key FROM events") == [(f"{hook}:{fingerprint}",)]
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("dedup_key", "k" * 100_000, 500),
        ("route", "r" * 100_000, 200),
        ("flow", "f" * 100_000, 200),
        ("channel", "slack:C" + "0" * 99_993, 1000),
        ("kind", "k" * 100_000, 100),
    ],
)
async def test_a_generic_identifier_past_its_limit_is_refused_naming_it(
    tmp_path: Path, flows: Path, field: str, value: str, limit: int
) -> None:
    client = await serve(tmp_path, flows)
    try:
        status, answer = await post(client, "events", {"title": "Churn drift", field: value})
        assert (status, answer) == (400, {"error": f"'{field}': is 100000 characters long, {limit} at most"})
        assert counts(client)["events"] == 0
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("org_id", "error"),
    [
        ("1" * 100_000, "'orgId': is 100000 characters long, 100 at most"),
        ({"id": "x" * 100_000}, "'orgId' must be a number"),
    ],
)
async def test_a_grafana_org_id_that_is_no_id_is_refused(tmp_path: Path, flows: Path, org_id, error: str) -> None:
    """Grafana's ``orgId`` (a number) was kept in the event whatever it was: a megabyte, an object."""
    client = await serve(tmp_path, flows)
    try:
        assert await post(client, "grafana", {**sample("grafana_firing.json"), "orgId": org_id}) == (
            400,
            {"error": error},
        )
        assert counts(client)["events"] == 0
    finally:
        await client.close()
