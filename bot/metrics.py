"""``GET /metrics``: the server's state in Prometheus' text format, so the Prometheus that watches
what decisionbot turns into decisions can watch decisionbot too.

Mounted when ``DECISIONBOT_METRICS_TOKEN`` is set; every scrape must send it as a bearer token
(Prometheus' ``authorization: {credentials: ...}``), else 401. What a scrape reads:

- from the ledger, at each scrape, through its indexes (the outbox's partial index, ``runs_status``,
  ``jobs_due``, the Slack inbox's event ids and ``slack_inbox_given_up``): the replies waiting in the
  outbox per channel and the age of the oldest, the runs open by status, the timers overdue, the
  Slack events kept waiting for their turn and those given up;
- from the server: each channel failing or not (as ``/healthz`` lists it), the flow files refused,
  the replies each channel's sender delivered and gave up since the start, and the requests
  answered, by route and status.

A ledger the scrape cannot read (another process holding it in a way that fails the read) still
answers, without the ledger's figures: ``decisionbot_ledger_readable`` says so.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot import texts
from bot.channels import Services
from bot.outbox_rows import READ_NOT_SENT, UNSENT
from bot.store import iso, slack_inbox
from bot.triggers.hooks import authorized

log = logging.getLogger("decisionbot.metrics")

TOKEN_ENV = "DECISIONBOT_METRICS_TOKEN"
disable_created_metrics()  # no *_created series beside each counter: Prometheus does not need them

#: The text format every Prometheus reads, 2.x and 3.x (the client's newest, 1.0.0, is for UTF-8
#: names, which these are not).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: A timer due longer ago than this and not run is overdue (the scheduler polls every second).
OVERDUE_AFTER = timedelta(minutes=1)


class Metrics:
    """The server's registry: its collector and the requests counter the middleware feeds."""

    def __init__(self, app: web.Application, services: Services, token: str):
        self.token = token
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ServerCollector(app, services))
        self.requests = Counter(
            "decisionbot_http_requests",
            "HTTP requests answered, by route (its path pattern) and status.",
            ["route", "status"],
            registry=self.registry,
        )


METRICS = web.AppKey("metrics", Metrics)


def mount(app: web.Application, services: Services) -> None:
    token = (services.env.get(TOKEN_ENV) or "").strip()
    if not token:
        return
    metrics = app[METRICS] = Metrics(app, services, token)
    app.middlewares.insert(0, _counted(metrics.requests))  # outermost: the status the client got
    app.router.add_get("/metrics", _scrape)
    log.info(texts.metrics_on())


async def _scrape(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    if not authorized(request.headers.get("Authorization", ""), metrics.token):
        return web.json_response({"error": texts.metrics_unauthorized()}, status=401)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _counted(requests: Counter) -> Callable[..., Any]:
    @web.middleware
    async def counted(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        route = request.match_info.route.resource
        pattern = route.canonical if route is not None else "unmatched"  # a bounded set of labels
        status = 500
        try:
            response: web.StreamResponse = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            requests.labels(pattern, str(status)).inc()

    return counted


class ServerCollector(Collector):
    def __init__(self, app: web.Application, services: Services):
        self.app = app
        self.services = services

    def collect(self) -> Iterator[Metric]:
        yield from self._server()
        now = self.services.dispatcher.clock()
        try:
            figures = self._ledger(self.services.db.conn, now)
        except sqlite3.Error as exc:
            log.warning(texts.metrics_ledger_unread(str(exc)))
            figures = []
        yield GaugeMetricFamily(
            "decisionbot_ledger_readable", "1 when this scrape read the ledger's figures, else 0.", int(bool(figures))
        )
        yield from figures

    def _server(self) -> Iterator[Metric]:
        from bot.server import CHANNELS, GROUP, SENDERS, channels_failing  # the server imports this module's mount

        channels, senders, down = self.app[CHANNELS], self.app[SENDERS], channels_failing(self.app)
        failing = GaugeMetricFamily(
            "decisionbot_channel_failing",
            "1 while a channel that is on does not work (as /healthz's channels_failing), else 0.",
            labels=["channel"],
        )
        delivered = CounterMetricFamily(
            "decisionbot_replies_delivered", "Replies this server delivered since it started.", labels=["channel"]
        )
        given_up = CounterMetricFamily(
            "decisionbot_replies_given_up",
            "Replies this server gave up since it started (refused for good, or retried for a day).",
            labels=["channel"],
        )
        for name in sorted(channels):
            failing.add_metric([name], int(name in down))
            if (sender := senders.get(name)) is not None:
                delivered.add_metric([name], sender.delivered)
                given_up.add_metric([name], sender.given_up)
        refused = self.services.dispatcher.catalog.refused_within()
        yield failing
        yield delivered
        yield given_up
        yield GaugeMetricFamily("decisionbot_flows_refused", "Flow files refused at their last load.", len(refused))
        yield GaugeMetricFamily(
            "decisionbot_ledger_failing",
            "1 while the ledger takes no commit (its disk full; another process's write lock, for a minute after a"
            " request gave up on it): every request is answered 503 (as /healthz), else 0.",
            int(bool(self.app[GROUP].health.failed) or self.app[GROUP].health.locked_out()),
        )

    @staticmethod
    def _ledger(conn: sqlite3.Connection, now: datetime) -> list[Metric]:
        waiting = GaugeMetricFamily(
            "decisionbot_outbox_waiting",
            "Replies stored and not yet delivered nor given up (not Rasa's nor the console's: read, not sent).",
            labels=["channel"],
        )
        oldest = GaugeMetricFamily(
            "decisionbot_outbox_oldest_age_seconds",
            "How long the oldest reply waiting in the outbox has waited.",
            labels=["channel"],
        )
        outbox = conn.execute(
            f"SELECT channel, count(*), min(created_at) FROM messages WHERE {UNSENT}"
            f" AND channel NOT IN {READ_NOT_SENT} GROUP BY channel"  # a Rasa sender's wait their next call
        ).fetchall()
        for channel, count, first in outbox:
            waiting.add_metric([channel], count)
            oldest.add_metric([channel], max(0.0, (now - datetime.fromisoformat(first)).total_seconds()))
        runs = GaugeMetricFamily("decisionbot_runs_open", "Runs not ended, by status.", labels=["status"])
        counts = dict(
            conn.execute(
                "SELECT status, count(*) FROM runs WHERE status IN ('active', 'stalled') GROUP BY status"
            ).fetchall()
        )
        for status in ("active", "stalled"):
            runs.add_metric([status], counts.get(status, 0))
        (overdue,) = conn.execute(
            "SELECT count(*) FROM jobs WHERE done_at IS NULL AND due_at <= ?", (iso(now - OVERDUE_AFTER),)
        ).fetchone()
        overdue_jobs = GaugeMetricFamily(
            "decisionbot_jobs_overdue",
            "Timers (reminders, escalations, expiries, reviews, checks, digests) due over a minute ago, not run.",
            overdue,
        )
        inbox = slack_inbox.counts(conn)  # (0 and 0 without Slack: the table is there, empty)
        given_up = GaugeMetricFamily(
            "decisionbot_slack_events_given_up",
            f"Slack events kept whose turn failed {slack_inbox.TRIES} times: no longer run until the operator"
            " runs them again (decisionbot slack retry).",
            inbox.given_up,
        )
        kept = GaugeMetricFamily(
            "decisionbot_slack_events_waiting",
            "Slack events acknowledged and kept whose turn has not run yet: to run, under way, or waiting"
            " for its next try (not given up).",
            inbox.waiting,
        )
        return [waiting, oldest, runs, overdue_jobs, given_up, kept]
