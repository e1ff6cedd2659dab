"""Every flow a chat may start gone (its file removed or refused on reload): what a person is told
lists the flows as none, not as 'nobody yet' (the words for people). The real server, requests
signed as Slack signs them, the fake Web API."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import harness


async def test_with_no_flow_to_start_the_flows_are_said_to_be_none(tmp_path: Path, fake: FakeSlack) -> None:
    slack = await harness(tmp_path, fake, flows=shipped_flows(tmp_path / "flows", ["decision_review"]))
    try:
        said = [(await slack.slash("UA", typed))["text"] for typed in ("start metric_breach Outage", "help")]
        assert said[0] == "There is no flow 'metric_breach'. Flows: none."
        assert "Flows: none. Ask whoever runs decisionbot to add one." in said[1]
        assert all("nobody" not in text for text in said)
    finally:
        await slack.client.close()
