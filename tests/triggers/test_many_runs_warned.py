"""One notification of many alerts (a rack down: 50 InstanceDown alerts in Alertmanager's group)
under the default dedup (one run per alert) starts a run, and a thread, for each: in Slack 50
top-level messages in the route's channel, about 47 s of posting, each run reminding and escalating
on its own. That is documented, and `dedup: group` is the remedy, but nothing told the SRE: the
hook answered 200 and logged nothing. Now one warning names the route, the channel and the fix.
(From the acceptance review rv-alerts.)"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest

from tests.triggers.test_hooks import post, sample, serve

ROUTES = "routes:\n  - name: web\n    match: {source: alertmanager}\n    channel: console:ops\n"


def notification(alerts: int) -> dict:
    body = copy.deepcopy(sample("alertmanager_firing.json"))
    base = body["alerts"][0]
    body["alerts"] = [
        {**base, "labels": {**base["labels"], "instance": f"web-{i}"}, "fingerprint": f"fp{i:04d}"}
        for i in range(alerts)
    ]
    return body


@pytest.mark.parametrize(("alerts", "warned"), [(10, False), (11, True)])
async def test_a_notification_that_starts_many_runs_in_one_channel_is_a_warning_with_the_fix(
    tmp_path: Path, flows: Path, caplog: pytest.LogCaptureFixture, alerts: int, warned: bool
) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    client = await serve(tmp_path, flows)
    try:
        with caplog.at_level(logging.WARNING, logger="decisionbot.hooks"):
            status, answer = await post(client, "alertmanager", notification(alerts))
            assert (status, len(answer["started"])) == (200, alerts)
            status, answer = await post(client, "alertmanager", notification(alerts))  # repeat_interval
            assert answer["repeats"] == alerts
    finally:
        await client.close()
    said = [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks" and r.levelno == logging.WARNING]
    if not warned:
        assert said == []
        return
    assert said == [  # once: the repeat started nothing
        "/hooks/alertmanager: one notification started 11 runs in console:ops (route web), one per alert, each"
        " with its own thread, reminders and escalations. For one run per alert group, set 'dedup: group' on"
        f" route web in {flows / 'routes.yaml'} (docs/triggers.md, Deduplication)."
    ]
