"""End to end with the real Prometheus Alertmanager (Debian's prometheus-alertmanager 0.25):
started here on 127.0.0.1 with clustering off and a group_wait of one second, its webhook
pointed at our /hooks/alertmanager with the bearer token; alerts injected through its API.

An alert fires: one run starts and its first prompt is delivered (to a recorder channel
registered like any channel). Alertmanager repeats it: still one run. It resolves: an update
is delivered into the run's conversation. Needs tests/setup/triggers.sh.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.server import CHANNELS, SERVICES, create_app
from tests.binaries import require

BINARY = "prometheus-alertmanager"
TOKEN = "am-e2e-token"


def binary() -> str:
    return require(BINARY, "triggers.sh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIG = """\
route:
  receiver: decisionbot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: {repeat}
receivers:
  - name: decisionbot
    webhook_configs:
      - url: http://127.0.0.1:{port}/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization: {{credentials: {token}}}
{extra}"""


@contextlib.asynccontextmanager
async def alertmanager(
    tmp_path: Path,
    flows: Path,
    env: dict[str, str],
    extra: str = "",
    repeat: str = "2s",
    config: Callable[[int], str] | None = None,
) -> AsyncIterator[tuple[TestClient, str]]:
    """The bot's server (``env``, with the hook token) and a real Alertmanager whose webhook posts
    to it (``extra``: more lines of its webhook_configs entry; ``config``: its whole configuration
    instead, given the server's port): (the bot's client, the API's URL)."""
    exe = binary()
    client = TestClient(TestServer(create_app(tmp_path / "am.db", flows, env=env), host="127.0.0.1"))
    await client.start_server()
    am_port = free_port()
    text = CONFIG.format(port=client.server.port, token=TOKEN, repeat=repeat, extra=extra)
    config_file = tmp_path / "alertmanager.yml"
    config_file.write_text(config(client.server.port) if config else text)
    log = (tmp_path / "am.log").open("wb")
    proc = subprocess.Popen(
        [exe, f"--config.file={config_file}", f"--storage.path={tmp_path / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    api = f"http://127.0.0.1:{am_port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(f"{api}/-/ready") as resp:
                        if resp.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError((tmp_path / "am.log").read_text())
        yield client, api
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        await client.close()


async def inject(api: str, alerts: list[dict]) -> None:
    """Alerts posted to Alertmanager's API, as Prometheus posts them."""
    async with aiohttp.ClientSession() as http, http.post(f"{api}/api/v2/alerts", json=alerts) as resp:
        assert resp.status == 200, await resp.text()


async def until(predicate, what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def test_real_alertmanager_fires_repeats_and_resolves_into_one_run(tmp_path: Path, flows: Path, recorder) -> None:
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "recorder:alerts", "RECORDER": "on"}
    async with alertmanager(tmp_path, flows, env) as (client, api):
        db = client.server.app[SERVICES].db
        channel = client.server.app[CHANNELS]["recorder"]

        def one(sql: str):
            return db.execute(sql).fetchone()

        alert = {
            "labels": {"alertname": "CheckoutErrors", "severity": "critical", "decision_facilitator": "alice"},
            "annotations": {"summary": "Checkout errors above 5%", "value": "7.3%", "threshold": "5%"},
            "startsAt": stamp(datetime.now(UTC)),
            "generatorURL": "http://prometheus.test/graph?g0.expr=checkout_errors",
        }
        await inject(api, [alert])
        await until(lambda: len(channel.sent) >= 1, "the first prompt")
        assert channel.sent[0] == (
            "recorder:alerts",
            "alice",
            "Checkout errors above 5%: CheckoutErrors is 7.3% (threshold 5%).\n"
            "Details: http://prometheus.test/graph?g0.expr=checkout_errors\nWho takes this one?",
        )
        assert one("SELECT count(*), min(facilitator_id) FROM runs") == (1, "recorder:alice")

        await inject(api, [alert])  # the same alert again
        await until(lambda: one("SELECT repeat_count FROM events")[0] >= 1, "a repeat notification")
        assert one("SELECT count(*) FROM runs") == (1,)
        assert one("SELECT count(*) FROM events") == (1,)

        await inject(api, [{**alert, "endsAt": stamp(datetime.now(UTC) - timedelta(seconds=1))}])
        await until(lambda: any(t.startswith("Resolved:") for *_, t in channel.sent), "the resolution")
        resolved = [s for s in channel.sent if s[2].startswith("Resolved:")]
        assert resolved == [
            ("recorder:alerts", None, "Resolved: Checkout errors above 5%.")  # not "is now 7.3%"
        ]
        assert one("SELECT status, resolved_at IS NOT NULL, source FROM events") == ("resolved", 1, "alertmanager")
        assert one("SELECT count(*), min(status) FROM runs") == (1, "active")


async def test_a_group_cut_by_max_alerts_counts_the_alerts_left_out(tmp_path: Path, flows: Path) -> None:
    """Five alerts of one group fire; the webhook's ``max_alerts: 2`` sends two and
    ``truncatedAlerts: 3``. The group's run (``dedup: group``) counts all five: its title says
    "(+4 more)", its list "The 5 alerts of this group" and the three left out, ``alert_count`` is
    5 (review-trigger-shapes: it said "(+1 more)" and "The 2 alerts")."""
    (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n    dedup: group\n")
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "console:alerts"}
    async with alertmanager(tmp_path, flows, env, extra="        max_alerts: 2\n", repeat="1h") as (client, api):
        now = stamp(datetime.now(UTC))
        await inject(api, [
            {"labels": {"alertname": "DiskFull", "instance": f"web-{i}"},
             "annotations": {"summary": "Disk full", "value": f"{90 + i}%"}, "startsAt": now}
            for i in range(5)
        ])  # fmt: skip
        db = client.server.app[SERVICES].db
        await until(lambda: db.execute("SELECT count(*) FROM messages").fetchone()[0], "the first prompt")
        [(title, count, left_out, prompt)] = db.execute(
            "SELECT e.title, json_extract(r.context, '$.trigger.alert_count'),"
            " json_extract(e.payload, '$.truncated_alerts'), m.text FROM events e, runs r, messages m"
        ).fetchall()
    assert (title, count, left_out) == ("Disk full (+4 more)", 5, 3)
    shown = [line for line in prompt.splitlines() if line.startswith("- ")]
    assert "The 5 alerts of this group:" in prompt and len(shown) == 3, prompt
    assert shown[-1] == "- and 3 more left out by max_alerts", prompt


def documented_config(port: int, group_wait: str = "1s") -> str:
    """docs/triggers.md's Alertmanager configuration, pointed at the test server (and grouping
    within ``group_wait``, a second, rather than Alertmanager's default 30 s)."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "triggers.md").read_text()
    snippet = docs.split("### Alertmanager", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    config = yaml.safe_load(snippet)
    config["route"].update(group_wait=group_wait, group_interval="1s", repeat_interval="1h")
    [hook] = config["receivers"][0]["webhook_configs"]
    hook["url"] = hook["url"].replace(":3978/", f":{port}/")
    hook["http_config"]["authorization"]["credentials"] = TOKEN
    return yaml.safe_dump(config)


async def test_an_alert_storm_of_ten_thousand_alerts_starts_runs_with_the_documented_config(
    tmp_path: Path, flows: Path, caplog
) -> None:
    """10,000 alerts of one group: Alertmanager's notification of them all is ~9.3 MiB, over the
    hook's 8 MiB, and the 413 is dropped (review-trigfix: nothing stored, no run, though the
    docs said a storm is taken up to its first 1,000). The docs' configuration sets max_alerts:
    1000, so the notification holds 1,000 alerts and counts the other 9,000."""
    (flows / "routes.yaml").write_text("routes:\n  - name: all\n    channel: console:alerts\n    dedup: group\n")
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN}
    # Alertmanager takes the 10,000 alerts of one post in over a second on a loaded machine (12 of
    # them had reached the group when a 1 s group_wait ended): 10 s lets the whole storm in first
    config = functools.partial(documented_config, group_wait="10s")
    async with alertmanager(tmp_path, flows, env, config=config) as (client, api):
        now = stamp(datetime.now(UTC))
        await inject(api, [
            {"labels": {"alertname": "HostDown", "instance": f"web-{i:05d}.prod.example.com:9100",
                        "job": "node", "severity": "critical", "team": "platform"},
             "annotations": {"summary": "Host down", "description": "The node exporter has not answered"
                             " a scrape for five minutes: the host or its network is down. " * 6},
             "startsAt": now, "generatorURL": "http://prometheus.test/graph?g0.expr=up%3D%3D0"}
            for i in range(10_000)
        ])  # fmt: skip
        db = client.server.app[SERVICES].db
        await until(lambda: db.execute("SELECT count(*) FROM runs").fetchone()[0], "the storm's run", timeout=60)
        [(title, count, left_out)] = db.execute(
            "SELECT title, json_extract(payload, '$.alert_count'), json_extract(payload, '$.truncated_alerts')"
            " FROM events"
        ).fetchall()
    assert (title, left_out) == ("Host down (+9999 more)", 9000), (title, count, left_out)
