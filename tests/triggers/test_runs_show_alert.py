"""The SRE's view of a run an alert started: ``decisionbot runs show N`` names the alert behind it
(its source, dedup key, route, how many notifications, whether and when it resolved), and a run
nobody has taken yet is shown so, not as led by someone called "facilitator". Before, `runs show`
said `facilitator: console:facilitator` and `waiting for facilitator`, and nothing of the alert:
which alert started which run took `decisionbot export events` and a join by hand. (From the
acceptance review rv-alerts.)"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.clock import Clock
from tests.triggers.conftest import NOW
from tests.triggers.test_hooks import post, serve
from tests.triggers.test_incidents import alert

ROUTES = "routes:\n  - name: web\n    match: {source: alertmanager}\n    channel: console:ops\n"


async def test_runs_show_names_the_alert_behind_the_run_and_that_nobody_has_taken_it(
    tmp_path: Path, flows: Path
) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, "alertmanager", alert("2026-11-26T14:52:00Z")))[1]["started"] == [1]
        clock.at(minutes=5)
        await post(client, "alertmanager", alert("2026-11-26T14:52:00Z"))  # repeat_interval
        clock.at(minutes=10)
        await post(client, "alertmanager", alert("2026-11-26T14:52:00Z", "resolved"))
    finally:
        await client.close()
    db = str(tmp_path / "h.db")
    shown = CliRunner().invoke(main, ["--db", db, "--flows", str(flows), "runs", "show", "1"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].endswith(
        "active at step 'acknowledge', waiting for anyone in console:ops (nobody has taken the run yet)"
    )
    assert "facilitator: nobody yet" in lines[1], lines[1]
    [trigger] = [line for line in lines if line.startswith("  trigger:")]
    assert trigger == (
        "  trigger: alertmanager, key alertmanager:1a30ba71cca2921f (event 1), route web; first seen"
        " 2026-11-26T15:00:00.000Z, last seen 2026-11-26T15:10:00.000Z, fired 2 time(s); resolved"
        " 2026-11-26T15:10:00.000Z"
    )
    as_json = json.loads(CliRunner().invoke(main, ["--db", db, "runs", "show", "1", "--json"]).output)
    assert as_json["run"]["event"] == {
        "id": 1,
        "source": "alertmanager",
        "dedup_key": "alertmanager:1a30ba71cca2921f",
        "route": "web",
        "status": "resolved",
        "first_seen_at": "2026-11-26T15:00:00.000Z",
        "last_seen_at": "2026-11-26T15:10:00.000Z",
        "notifications": 2,
        "resolved_at": "2026-11-26T15:10:00.000Z",
    }
