"""A late resolution of an older incident of an alert (an Alertmanager HA peer's, after long 503
retries) changes nothing for the incident firing now: no "Resolved" is posted while the alert
still fires, the event stays firing; it is counted as stale in the answer and logged at INFO.
Bodies as Alertmanager and Grafana send them (data/samples)."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest

from bot.model import Actor
from bot.server import SERVICES
from tests.clock import Clock
from tests.triggers.conftest import NOW
from tests.triggers.test_hooks import post, rows, sample, serve

ROUTES = "routes:\n  - name: web\n    match: {source: HOOK}\n    channel: console:ops\n    cooldown: 30m\n"
SAMPLE = {"alertmanager": "alertmanager_firing.json", "grafana": "grafana_firing.json"}


def alert(hook: str, starts_at: str, status: str = "firing") -> dict:
    """The sample body of ``hook`` with one alert of that start, firing or resolved as its sender
    writes it (a resolved alert keeps its ``startsAt`` and gets its ``endsAt``)."""
    body = copy.deepcopy(sample(SAMPLE[hook]))
    body["status"] = body["alerts"][0]["status"] = status
    body["alerts"][0]["startsAt"] = starts_at
    if status == "resolved":
        body["alerts"][0]["endsAt"] = "2026-11-26T16:00:00Z"
    return body


def posted(client) -> list[tuple[int, str]]:
    return [
        (run, text.split(":")[0]) for run, text in rows(client, "SELECT run_id, text FROM messages WHERE kind = 'info'")
    ]


@pytest.fixture(params=["alertmanager", "grafana"])
def hook(request, flows: Path) -> str:
    (flows / "routes.yaml").write_text(ROUTES.replace("HOOK", request.param))
    return str(request.param)


async def test_a_late_resolution_of_the_incident_before_a_flap_leaves_the_flap_firing(
    tmp_path: Path, flows: Path, hook: str, caplog
) -> None:
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z")))[1]["started"] == [1]
        clock.at(minutes=10)
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z", "resolved")))[1]["resolved"] == 1
        clock.at(minutes=15)  # fires again within the cooldown: the same event, re-opened
        assert (await post(client, hook, alert(hook, "2026-11-26T15:14:00Z")))[1]["repeats"] == 1
        before = rows(client, "SELECT status, resolved_at, payload, last_seen_at, repeat_count FROM events")
        clock.at(minutes=20)  # a peer's copy of the first resolution, after its retries
        with caplog.at_level(logging.INFO, logger="decisionbot.hooks"):
            status, answer = await post(client, hook, alert(hook, "2026-11-26T14:52:00Z", "resolved"))
        assert (status, answer["resolved"], answer["stale"]) == (200, 0, 1)
        assert rows(client, "SELECT status, resolved_at, payload, last_seen_at, repeat_count FROM events") == before
        assert before[0][:2] == ("firing", None)
        assert posted(client) == [(1, "Resolved"), (1, "Firing again")]  # no second "Resolved"
        [line] = [r for r in caplog.records if "stale" in r.getMessage()]
        assert line.levelno == logging.INFO, line.getMessage()
        assert "event 1" in line.getMessage() and "run #1" in line.getMessage(), line.getMessage()
        clock.at(minutes=25)  # the flap's own resolution resolves it
        assert (await post(client, hook, alert(hook, "2026-11-26T15:14:00Z", "resolved")))[1]["resolved"] == 1
        assert posted(client) == [(1, "Resolved"), (1, "Firing again"), (1, "Resolved")]
        assert rows(client, "SELECT status FROM events") == [("resolved",)]
    finally:
        await client.close()


async def test_a_late_resolution_of_an_older_incident_does_not_resolve_the_new_incidents_run(
    tmp_path: Path, flows: Path, hook: str
) -> None:
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z")))[1]["started"] == [1]
        clock.at(minutes=10)
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z", "resolved")))[1]["resolved"] == 1
        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:facilitator", "facilitator"))
        clock.at(hours=2)  # after the cooldown: a new incident, a new run
        assert (await post(client, hook, alert(hook, "2026-11-26T16:50:00Z")))[1]["started"] == [2]
        clock.at(hours=2, minutes=5)
        answer = (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z", "resolved")))[1]
        assert (answer["resolved"], answer["stale"], answer["started"]) == (0, 1, [])
        assert rows(client, "SELECT id, status, resolved_at IS NULL FROM events ORDER BY id") == [
            (1, "resolved", 0),
            (2, "firing", 1),
        ]
        assert posted(client) == [(1, "Resolved")]  # nothing in run 2
        clock.at(hours=2, minutes=30)  # the new incident's resolution is told in its run
        assert (await post(client, hook, alert(hook, "2026-11-26T16:50:00Z", "resolved")))[1]["resolved"] == 1
        assert posted(client) == [(1, "Resolved"), (2, "Resolved")]
    finally:
        await client.close()


async def test_a_resolution_of_the_same_start_written_in_another_zone_resolves(
    tmp_path: Path, flows: Path, hook: str
) -> None:
    """Starts are compared as instants: the same moment with an offset, or with nanoseconds
    (Alertmanager's), is the incident's own start, and a newer start resolves too (its firing
    notification was lost)."""
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00.123456789Z")))[1]["started"] == [1]
        clock.at(minutes=10)
        same = alert(hook, "2026-11-26T15:52:00.123456789+01:00", "resolved")
        assert (await post(client, hook, same))[1]["resolved"] == 1
        assert rows(client, "SELECT status FROM events") == [("resolved",)]
        clock.at(minutes=15)
        assert (await post(client, hook, alert(hook, "2026-11-26T15:10:00Z")))[1]["repeats"] == 1  # a flap
        clock.at(minutes=20)
        newer = alert(hook, "2026-11-26T15:12:00Z", "resolved")
        assert (await post(client, hook, newer))[1]["resolved"] == 1
        assert posted(client) == [(1, "Resolved"), (1, "Firing again"), (1, "Resolved")]
    finally:
        await client.close()


async def test_a_stale_firing_with_the_resolved_start_written_in_another_zone_only_repeats(
    tmp_path: Path, flows: Path, hook: str
) -> None:
    """A late firing copy whose start is the resolved incident's start written with an offset (or
    with nanoseconds) is the same incident: counted, no new run after the cooldown."""
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z")))[1]["started"] == [1]
        clock.at(minutes=10)
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z", "resolved")))[1]["resolved"] == 1
        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:facilitator", "facilitator"))
        clock.at(hours=2)  # after the cooldown, the run closed: a peer's late copy of the first firing
        answer = (await post(client, hook, alert(hook, "2026-11-26T15:52:00.000000000+01:00")))[1]
        assert (answer["started"], answer["repeats"]) == ([], 1)
        assert rows(client, "SELECT count(*) FROM runs") == [(1,)]
        assert rows(client, "SELECT status FROM events") == [("resolved",)]
    finally:
        await client.close()


async def test_a_firing_of_the_same_start_in_another_zone_is_not_a_new_incident(
    tmp_path: Path, flows: Path, hook: str
) -> None:
    """Without resolutions (``send_resolved: false``) a new start is a new incident; the same
    start written with an offset is not a new start: it joins the closed run."""
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, hook, alert(hook, "2026-11-26T14:52:00Z")))[1]["started"] == [1]
        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:facilitator", "facilitator"))
        clock.at(hours=1)  # after the cooldown since it was last seen, still firing
        answer = (await post(client, hook, alert(hook, "2026-11-26T09:52:00-05:00")))[1]
        assert (answer["started"], answer["repeats"]) == ([], 1)
        assert rows(client, "SELECT count(*) FROM runs") == [(1,)]
    finally:
        await client.close()
