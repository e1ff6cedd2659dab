"""Secrets come only from the environment and never reach a log line, even at DEBUG."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.server import create_app
from tests.fakes.slack_api import FakeSlack
from tests.serve_process import ROOT, served, status_of
from tests.slack_support import SECRET, SlackPeople, harness, message


@pytest.fixture
def slack_people() -> SlackPeople:
    return {}


async def test_slack_token_and_signing_secret_are_never_logged(tmp_path: Path, fake: FakeSlack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    slack = await harness(tmp_path, fake)
    try:
        answer = await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
        assert answer["text"] == "Started run #1 (post_meeting): 'Weekly sync', with ub."  # whom the fake does not know
        root, _ = await slack.posts(2)
        await slack.event(message("UA", "We ship in March", thread_ts=root["ts"]))
        await slack.posts(3)
    finally:
        await slack.client.close()
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    assert "xoxb-test" not in caplog.text
    assert SECRET not in caplog.text


async def test_the_hook_token_is_never_logged(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    token = "hook-token-4f1c9a"
    app = create_app(tmp_path / "h.db", ROOT / "flows", env={"DECISIONBOT_HOOK_TOKEN": token})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        body = {"title": "Churn drift", "dedup_key": "d1", "channel": "console", "facilitator": "alice"}
        ok = await client.post("/hooks/events", json=body, headers={"Authorization": f"Bearer {token}"})
        assert ok.status == 200
        bad = await client.post("/hooks/events", json=body, headers={"Authorization": f"Bearer {token}x"})
        assert bad.status == 401
    finally:
        await client.close()
    assert caplog.records
    assert token not in caplog.text


async def test_the_metrics_token_is_never_logged_nor_served(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    token = "metrics-token-77ab"
    app = create_app(tmp_path / "m.db", ROOT / "flows", env={"DECISIONBOT_METRICS_TOKEN": token})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status == 200 and token not in await ok.text()
        bad = await client.get("/metrics", headers={"Authorization": f"Bearer {token}x"})
        assert bad.status == 401 and token not in await bad.text()
    finally:
        await client.close()
    assert caplog.records
    assert token not in caplog.text


def test_a_token_sent_in_a_query_string_is_refused_and_not_in_the_access_log(tmp_path: Path) -> None:
    """A hook or scrape configured with ?token=... instead of the bearer header: 401, and the
    access log of ``decisionbot serve`` (INFO, DEBUG here) has the request without its query."""
    hook, scrape = "hook-token-in-url-51c", "metrics-token-in-url-9d2"
    settings = {"DECISIONBOT_HOOK_TOKEN": hook, "DECISIONBOT_METRICS_TOKEN": scrape}
    with served(tmp_path / "q.db", settings, "--log-level", "debug") as server:
        assert status_of(f"{server.base}/metrics?token={scrape}") == 401
        assert status_of(f"{server.base}/hooks/alertmanager?token={hook}&x=1", "POST") == 401
    logged = server.output
    assert '"GET /metrics?(query string not logged) HTTP/1.1" 401' in logged
    assert '"POST /hooks/alertmanager?(query string not logged) HTTP/1.1" 401' in logged
    assert '"GET /healthz HTTP/1.1" 200' in logged
    assert scrape not in logged and hook not in logged
