"""An alert group under ``dedup: group`` with the real Alertmanager: its event's title counts the
alerts of its first notification ("Disk full (+2 more)"), and kept that count when later
notifications of the group carried more (or fewer) alerts, while ``alert_count`` and the list
followed: the group's resolution then read "Resolved: Disk full (+2 more)" for five alerts. A
repeat of the group now takes the notification's title with its count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.server import SERVICES
from tests.triggers.test_alertmanager_e2e import TOKEN, alertmanager, inject, stamp, until


def disk(i: int, start: str, **extra: str) -> dict:
    return {"labels": {"alertname": "DiskFull", "instance": f"web-{i}"},
            "annotations": {"summary": "Disk full", "value": f"{90 + i}%"}, "startsAt": start, **extra}  # fmt: skip


async def test_a_group_repeat_retitles_its_event_with_the_alerts_it_carries(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n    dedup: group\n")
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "console:alerts"}
    async with alertmanager(tmp_path, flows, env, repeat="1h") as (client, api):
        db = client.server.app[SERVICES].db

        def one(sql: str):
            return db.execute(sql).fetchone()

        start = stamp(datetime.now(UTC))
        await inject(api, [disk(i, start) for i in range(3)])
        await until(lambda: one("SELECT count(*) FROM runs")[0] == 1, "the group's run")
        assert one("SELECT title, json_extract(payload, '$.alert_count') FROM events") == ("Disk full (+2 more)", 3)
        await inject(api, [disk(i, start) for i in range(5)])  # two more of the group fire
        await until(lambda: one("SELECT repeat_count FROM events")[0] >= 1, "the group's next notification")
        assert one("SELECT title, json_extract(payload, '$.alert_count') FROM events") == ("Disk full (+4 more)", 5)
        ended = stamp(datetime.now(UTC) - timedelta(seconds=1))
        await inject(api, [disk(i, start, endsAt=ended) for i in range(5)])
        await until(lambda: one("SELECT status FROM events")[0] == "resolved", "the group's resolution")
        assert one("SELECT text FROM messages WHERE kind = 'info'") == ("Resolved: Disk full (+4 more).",)
        assert one("SELECT count(*) FROM runs") == (1,)


def notification(status: str, count: int) -> dict:
    """An Alertmanager notification of the DiskFull group, as its webhook sends it (``count`` alerts)."""
    alerts = [
        {**disk(i, "2026-11-26T14:52:00.000Z"), "status": status, "fingerprint": f"f{i:015d}",
         "endsAt": "2026-11-26T15:01:00.000Z" if status == "resolved" else "0001-01-01T00:00:00Z"}
        for i in range(count)
    ]  # fmt: skip
    return {"receiver": "decisionbot", "status": status, "alerts": alerts, "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull"}, "commonAnnotations": {"summary": "Disk full"},
            "externalURL": "http://am.example:9093", "version": "4", "groupKey": '{}:{alertname="DiskFull"}',
            "truncatedAlerts": 0}  # fmt: skip


async def test_a_group_firing_again_is_told_with_the_alerts_it_carries_now(tmp_path: Path, flows: Path) -> None:
    from tests.triggers.test_hooks import post, rows, serve

    (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n    dedup: group\n")
    client = await serve(tmp_path, flows)
    try:
        assert (await post(client, "alertmanager", notification("firing", 3)))[1]["started"] == [1]
        assert (await post(client, "alertmanager", notification("resolved", 3)))[1]["resolved"] == 1
        assert (await post(client, "alertmanager", notification("firing", 2)))[1]["repeats"] == 1  # within cooldown
        assert rows(client, "SELECT text FROM messages WHERE kind = 'info' ORDER BY id") == [
            ("Resolved: Disk full (+2 more).",),
            ("Firing again: Disk full (+1 more) (DiskFull is 90%).",),
        ]
        assert rows(client, "SELECT title, status FROM events") == [("Disk full (+1 more)", "firing")]
    finally:
        await client.close()
