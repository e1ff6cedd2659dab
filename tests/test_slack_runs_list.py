"""``decisionbot runs list`` says what started each run of a Slack workspace: ``/decision start``,
``@decisionbot start`` in a channel, ``start`` typed to the bot directly, an Alertmanager alert
and the route it took. The real server, signed requests, the fake Web API; the CLI on its ledger."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import harness, message, wait_for
from tests.test_slack_trigger_people import TOKEN, alert, hook


async def test_runs_list_names_what_started_each_run(tmp_path: Path, fake: FakeSlack) -> None:
    """Before, the listing had no word of it: four runs of post_meeting and metric_breach in two
    channels, and nothing to tell a slash command from an alert without ``runs show`` of each."""
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text("routes:\n  - name: ops\n    channel: slack:C0OPS\n    facilitator: UA\n")
    slack = await harness(tmp_path, fake, env={"DECISIONBOT_HOOK_TOKEN": TOKEN}, flows=flows)
    try:
        await slack.started()  # /decision start post_meeting Weekly sync
        await slack.event(message("UA", f"<@{BOT_USER}> start post_meeting Planning", type="app_mention"))
        await wait_for(lambda: slack.rows("SELECT count(*) FROM runs") == [(2,)])
        await slack.event(message("UA", "start post_meeting Retro", channel="DUA"))
        await wait_for(lambda: slack.rows("SELECT count(*) FROM runs") == [(3,)])
        assert (await hook(slack, alert()))["started"] == [4]
    finally:
        await slack.client.close()
    args = ["--db", str(tmp_path / "slack.db"), "--flows", str(flows), "runs", "list"]
    listed = await asyncio.to_thread(CliRunner().invoke, main, [*args, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(r["id"], r["trigger"]) for r in json.loads(listed.output)] == [
        (4, "alertmanager hook > ops"),
        (3, "slack dm"),
        (2, "slack mention"),
        (1, "slack slash"),
    ]
    table = (await asyncio.to_thread(CliRunner().invoke, main, args)).output.splitlines()
    assert table[0].split()[:6] == ["id", "flow", "status", "waiting", "channel", "trigger"]
    assert "alertmanager hook > ops" in table[1] and "slack slash" in table[4]
