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
    assert lines[0].endswith("active, waiting for anyone in console:ops (nobody has taken the run yet)")
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


def test_runs_show_of_a_run_started_in_chat_names_no_alert(tmp_path: Path, flows: Path) -> None:
    """A run started in chat (here ``decisionbot chat``) has no alert behind it: ``runs show`` says
    nothing of one. Before, it printed ``trigger: console, key None (event 1); ... fired 1 time(s);
    firing``, a dedup key of Python's None and a meeting "firing"."""
    db = str(tmp_path / "c.db")
    answers = "We ship\nDraft the plan\n@bob\nnext friday\ndone\n"
    base = ["--db", db, "--flows", str(flows)]
    CliRunner().invoke(main, [*base, "chat", "post_meeting", "-f", "alice", "-p", "bob"], input=answers)
    shown = CliRunner().invoke(main, [*base, "runs", "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("Run #1: post_meeting"), shown.output
    assert "trigger:" not in shown.output, shown.output


def test_runs_show_of_a_generic_event_without_a_dedup_key_names_no_key() -> None:
    """The generic hook takes an event without ``dedup_key``: its line names no key (before: ``key None``)."""
    from bot import texts

    event = {"id": 4, "source": "generic", "dedup_key": None, "route": None, "status": "firing"}
    event |= {"first_seen_at": "2026-11-26T15:00:00.000Z", "last_seen_at": "2026-11-26T15:00:00.000Z"}
    assert texts.run_show_trigger(event | {"notifications": 1, "resolved_at": None}) == (
        "trigger: generic (event 4); first seen 2026-11-26T15:00:00.000Z, last seen"
        " 2026-11-26T15:00:00.000Z, fired 1 time(s); firing"
    )
