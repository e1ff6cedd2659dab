"""End to end with the real Prometheus Alertmanager (tests/setup/triggers.sh) and the fake Slack
Web API: an on-call route posts into a channel the bot was never invited to. The alert is kept and
the route's backup is told by direct message; the SRE invites the bot, and Alertmanager's next
notification (its repeat_interval) posts the alert's question in the channel, where the on-call
person takes it; the alert resolves mid-Q&A, said once in the thread, and the run goes on.
(From the acceptance review rv-alerts.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.server import SERVICES
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import SECRET, Harness, message, wait_for
from tests.triggers.test_alertmanager_e2e import TOKEN, alertmanager, inject, stamp

ROUTES = "routes:\n  - name: ops\n    match: {labels: {team: ops}}\n    channel: slack:C0OPS\n    backup: UB\n"


async def test_an_alert_into_a_channel_the_bot_is_not_in_reaches_it_once_invited(
    tmp_path: Path, fake: FakeSlack
) -> None:
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text(ROUTES)
    env = {
        "DECISIONBOT_HOOK_TOKEN": TOKEN,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.url,
    }
    fake.shut_out("C0OPS")
    async with alertmanager(tmp_path, flows, env, repeat="2s") as (client, api):
        slack = Harness(fake, client)
        alert = {
            "labels": {"alertname": "CheckoutErrors", "team": "ops"},
            "annotations": {"summary": "Checkout errors above 5%", "value": "7.3%", "threshold": "5%"},
            "startsAt": stamp(datetime.now(UTC)),
        }
        await inject(api, [alert])
        [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"], 30)
        assert "cannot post in its conversation, slack:C0OPS: the bot is not in the channel" in told["text"]
        fake.let_in("C0OPS")  # the SRE invites the bot
        [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "C0OPS"], 30)
        assert asked["text"].startswith("Checkout errors above 5%: CheckoutErrors is 7.3% (threshold 5%).")
        await slack.event(message("UA", "me", channel="C0OPS", thread_ts=asked["ts"]))
        await wait_for(lambda: [p for p in fake.posted() if "What do we do about it?" in p["text"]])
        await inject(api, [{**alert, "endsAt": stamp(datetime.now(UTC) - timedelta(seconds=1))}])
        await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Resolved:")], 30)
        await slack.event(message("UA", "act", channel="C0OPS", thread_ts=asked["ts"]))
        await wait_for(lambda: [p for p in fake.posted() if "What is the decision?" in p["text"]])
        db = client.server.app[SERVICES].db
        runs = db.execute("SELECT count(*), min(status), min(state) FROM runs").fetchone()
    in_channel = [p for p in fake.posted() if p["channel"] == "C0OPS"]
    assert [p["text"] for p in in_channel if p["text"].startswith("Resolved:")] == [
        "Resolved: Checkout errors above 5%."
    ]
    assert all(p.get("thread_ts") == asked["ts"] for p in in_channel[1:])  # one thread
    assert len([p for p in in_channel if p["text"].startswith("Checkout errors above 5%:")]) == 1  # asked once
    assert runs == (1, "active", "plan")
