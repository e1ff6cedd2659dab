"""``GET /metrics`` as Prometheus scrapes it, on the real server with the Slack channel against the
fake Web API: off without DECISIONBOT_METRICS_TOKEN, 401 without it, and figures that follow what
happens: replies delivered, one refused for good (given up), Slack refusing the token (the channel
failing, replies waiting and ageing), a scheduler that stops running (timers overdue), forged
requests (counted by route and status)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.triggers.hooks import SCHEDULER
from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, sign, wait_for

TOKEN = "metrics-token-1"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    server = await harness(tmp_path, fake, env={"DECISIONBOT_METRICS_TOKEN": f" {TOKEN}\n"})
    yield server
    await server.client.close()


async def scrape(slack: Harness) -> Figures:
    resp = await slack.client.get("/metrics", headers=SCRAPE)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found: Figures = {}
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def figure(found: Figures, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


async def test_a_scrape_needs_the_token(slack: Harness) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        resp = await slack.client.get("/metrics", headers=headers)
        assert resp.status == 401
        assert "DECISIONBOT_METRICS_TOKEN" in (await resp.json())["error"]
        assert "decisionbot_" not in await resp.text()
    found = await scrape(slack)
    assert figure(found, "decisionbot_http_requests_total", route="/metrics", status="401") == 3


async def test_off_without_its_token(tmp_path: Path, fake: FakeSlack) -> None:
    server = await harness(tmp_path, fake, env={"DECISIONBOT_METRICS_TOKEN": "  "})
    try:
        assert (await server.client.get("/metrics", headers=SCRAPE)).status == 404
    finally:
        await server.client.close()


async def test_the_figures_follow_replies_delivered_given_up_and_waiting_on_a_refused_token(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]  # the run's root (the command's answer) and its question
    delivered = "SELECT count(*) FROM messages WHERE direction = 'out' AND kind != 'root' AND delivered_at IS NOT NULL"
    await wait_for(lambda: slack.rows(delivered) == [(1,)])  # the question, from the outbox
    found = await scrape(slack)
    assert figure(found, "decisionbot_replies_delivered_total", channel="slack") == 1
    assert figure(found, "decisionbot_replies_given_up_total", channel="slack") == 0
    assert figure(found, "decisionbot_channel_failing", channel="slack") == 0
    assert figure(found, "decisionbot_runs_open", status="active") == 1
    assert figure(found, "decisionbot_outbox_waiting", channel="slack") is None  # nothing waits
    assert figure(found, "decisionbot_ledger_readable") == 1
    assert figure(found, "decisionbot_flows_refused") == 0
    assert figure(found, "decisionbot_http_requests_total", route="/slack/events", status="200") == 1

    fake.refuse("chat.postMessage", error="msg_too_long")  # refused for good: given up, not retried
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(1,)])
    fake.refuse("chat.postMessage", times=1000, error="token_revoked")  # the app uninstalled
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    await wait_for(lambda: fake.of("chat.postMessage")[-1].result.get("error") == "token_revoked")
    found = await scrape(slack)
    assert figure(found, "decisionbot_replies_given_up_total", channel="slack") == 1
    assert figure(found, "decisionbot_channel_failing", channel="slack") == 1
    waiting = slack.rows(
        "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"
    )[0][0]
    assert waiting >= 1  # the owner question (and the facilitator's notice of the reply given up)
    assert figure(found, "decisionbot_outbox_waiting", channel="slack") == waiting
    age = figure(found, "decisionbot_outbox_oldest_age_seconds", channel="slack")
    assert age is not None and 0 <= age < 60

    forged = await slack.post(b'{"type": "event_callback"}', headers=sign(b"other body"))
    assert forged.status == 401
    found = await scrape(slack)
    assert figure(found, "decisionbot_http_requests_total", route="/slack/events", status="401") == 1


async def test_timers_a_stopped_scheduler_leaves_are_overdue(tmp_path: Path, fake: FakeSlack) -> None:
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    slack = await harness(tmp_path, fake, env={"DECISIONBOT_METRICS_TOKEN": TOKEN}, clock=clock)
    try:
        await slack.slash("UA", "start post_meeting Weekly sync")
        await slack.posts(2)
        assert figure(await scrape(slack), "decisionbot_jobs_overdue") == 0
        await slack.client.server.app[SCHEDULER].stop()  # wedged, say: its timers stay due
        clock.now += timedelta(days=2)  # past the run's first reminder
        due = slack.rows("SELECT count(*) FROM jobs WHERE done_at IS NULL AND due_at <= ?", "2026-12-02T08:59:00.000Z")
        assert due[0][0] >= 1
        assert figure(await scrape(slack), "decisionbot_jobs_overdue") == due[0][0]
    finally:
        await slack.client.close()


async def test_a_ledger_that_takes_no_commit_is_failing_in_healthz_and_in_metrics(slack: Harness) -> None:
    """The ledger's disk full: every request was answered 503 while /healthz said "ok" (200) and
    no figure showed it; an uptime check saw a healthy server that stored nothing."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    conn = slack.services.db.conn
    # every commit fails for real, as on a full disk: a deferred foreign key, checked at COMMIT,
    # broken by whatever the server writes (a turn, the outbox lease's renewal, the index's upkeep)
    conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    for table, event in (("messages", "INSERT"), ("leases", "UPDATE"), ("messages_fts_progress", "UPDATE")):
        conn.execute(
            f"CREATE TRIGGER doom_{table} AFTER {event} ON {table} BEGIN INSERT INTO doomed VALUES (4242); END"
        )
    for table in ("messages", "leases", "messages_fts_progress", "slack_inbox"):  # (the event kept first)
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS doom_{table} AFTER INSERT ON {table} BEGIN INSERT INTO doomed VALUES (4242); END"
        )
    assert (await slack.event(message("UA", "We ship in March", thread_ts=thread))).status == 503
    health = await slack.client.get("/healthz")
    body = await health.json()
    assert health.status == 503 and body["status"] == "failing", body
    assert "commit(s) to the ledger failed" in body["ledger_failing"] and "disk" in body["ledger_failing"]
    assert figure(await scrape(slack), "decisionbot_ledger_failing") == 1
    for table in ("messages", "leases", "messages_fts_progress", "slack_inbox"):  # room on the disk again
        conn.execute(f"DROP TRIGGER doom_{table}")
    assert (await slack.event(message("UA", "We ship in April", thread_ts=thread))).status == 200
    health = await slack.client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    assert figure(await scrape(slack), "decisionbot_ledger_failing") == 0
