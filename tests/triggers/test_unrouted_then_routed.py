"""An alert with nowhere to go is recorded as an unrouted event; once a route is added, its next
notification starts a run. That run took a new event: the unrouted one stayed ``firing`` forever
and the one alert counted as two events in ``trigger_quality`` (review-trigfix). The run now
starts on the unrouted event of the same dedup key, which takes the route and loses its problem."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.triggers.test_hooks import post, rows, sample, serve

ENV = {"DECISIONBOT_HOOK_TOKEN": "s3cret-hook-token"}  # no DECISIONBOT_DEFAULT_CHANNEL: nowhere to go


def quality(db: Path, flows: Path) -> dict[str, tuple[int, int, int]]:
    out = CliRunner().invoke(main, ["--db", str(db), "--flows", str(flows), "report", "--format", "json"])
    assert out.exit_code == 0, out.output
    return {r["source"]: (r["events"], r["with_run"], r["repeats"]) for r in json.loads(out.output)["trigger_quality"]}


async def test_an_unrouted_alert_routed_later_is_one_event_with_its_run(tmp_path: Path, flows: Path) -> None:
    firing = sample("alertmanager_firing.json")
    client = await serve(tmp_path, flows, env=ENV)
    try:
        status, answer = await post(client, "alertmanager", firing)
        assert (status, answer["started"], len(answer["unrouted"])) == (200, [], 1)
        (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n")
        status, answer = await post(client, "alertmanager", firing)
        assert (status, answer["started"], answer["unrouted"]) == (200, [1], [])
        assert rows(client, "SELECT id, status, route, problem, repeat_count FROM events") == [
            (1, "firing", "all", None, 1)
        ]
        assert rows(client, "SELECT id, event_id FROM runs") == [(1, 1)]
        status, answer = await post(client, "alertmanager", sample("alertmanager_resolved.json"))
        assert (status, answer["resolved"]) == (200, 1)
        assert rows(client, "SELECT status FROM events") == [("resolved",)]
        assert rows(client, "SELECT text FROM messages WHERE text LIKE 'Resolved:%'") != []
    finally:
        await client.close()
    assert quality(tmp_path / "h.db", flows)["alertmanager"] == (1, 1, 1)


async def test_an_unrouted_alert_that_fires_again_from_a_new_start_is_ended_not_taken_over(
    tmp_path: Path, flows: Path
) -> None:
    """Without resolutions, the alert ended unseen and fires again from a new ``startsAt`` once routed:
    a new incident, so the unrouted event is marked resolved when last seen and the run has its own."""
    firing = sample("alertmanager_firing.json")
    client = await serve(tmp_path, flows, env=ENV)
    try:
        assert (await post(client, "alertmanager", firing))[1]["started"] == []
        (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n")
        firing["alerts"][0]["startsAt"] = "2030-01-01T00:00:00Z"
        assert (await post(client, "alertmanager", firing))[1]["started"] == [1]
        assert rows(client, "SELECT id, status, resolved_at = last_seen_at, problem IS NULL FROM events") == [
            (1, "resolved", 1, 0),
            (2, "firing", None, 1),
        ]
        assert rows(client, "SELECT event_id FROM runs") == [(2,)]
    finally:
        await client.close()


async def test_unrouted_alerts_taken_by_a_group_route_end_when_its_run_starts(tmp_path: Path, flows: Path) -> None:
    """Under ``dedup: group`` the run has its group's event, so the alerts' own unrouted events stayed
    ``firing`` forever, after the group resolved too (review alerts2): they are resolved when last
    seen once their group's run starts, their ``problem`` kept (why they started no run)."""
    from tests.triggers.test_group_title import notification

    client = await serve(tmp_path, flows, env=ENV)
    try:
        assert len((await post(client, "alertmanager", notification("firing", 2)))[1]["unrouted"]) == 2
        (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n    dedup: group\n")
        assert (await post(client, "alertmanager", notification("firing", 2)))[1]["started"] == [1]
        assert rows(
            client, "SELECT dedup_key, status, resolved_at = last_seen_at, problem IS NOT NULL FROM events ORDER BY id"
        ) == [
            ("alertmanager:f000000000000000", "resolved", 1, 1),
            ("alertmanager:f000000000000001", "resolved", 1, 1),
            ('alertmanager:group:{}:{alertname="DiskFull"}', "firing", None, 0),
        ]
    finally:
        await client.close()
