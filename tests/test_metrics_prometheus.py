"""The real Prometheus (Debian's package) scrapes ``GET /metrics`` as the README configures it:
bearer token, text format. Its own ``up`` says the scrape works, and its query API returns the
figures; with a wrong token its ``up`` is 0 (the 401 seen as a failed scrape)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.server import create_app
from tests.binaries import require
from tests.rasa_support import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "scrape-token-9c1"
CONFIG = """\
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: decisionbot
    authorization: {{credentials: "{token}"}}
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""


@contextlib.asynccontextmanager
async def prometheus(tmp_path: Path, port: int, token: str) -> AsyncIterator[str]:
    """A real Prometheus scraping 127.0.0.1:``port`` every second with ``token``: its API's URL."""
    exe = require("prometheus", "metrics.sh")
    config = tmp_path / "prometheus.yml"
    config.write_text(CONFIG.format(token=token, port=port))
    api_port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [exe, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{api_port}"],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{api_port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


async def query(api: str, promql: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The first non-empty answer of Prometheus to ``promql`` (it needs a scrape or two first)."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.get(f"{api}/api/v1/query", params={"query": promql}) as resp:
                    if resp.status == 200 and (found := (await resp.json())["data"]["result"]):
                        return list(found)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"Prometheus never answered {promql!r}")
            await asyncio.sleep(0.2)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TestClient]:
    env = {"DECISIONBOT_METRICS_TOKEN": TOKEN, "DECISIONBOT_HOOK_TOKEN": "hook-token"}
    client = TestClient(TestServer(create_app(tmp_path / "p.db", ROOT / "flows", env=env), host="127.0.0.1"))
    await client.start_server()
    body = {"title": "Disk full", "dedup_key": "disk", "channel": "console", "facilitator": "alice"}
    started = await client.post("/hooks/events", json=body, headers={"Authorization": "Bearer hook-token"})
    assert started.status == 200
    yield client
    await client.close()


async def test_prometheus_scrapes_the_figures_with_the_token(tmp_path: Path, server: TestClient) -> None:
    async with prometheus(tmp_path, server.port, TOKEN) as api:
        (up,) = await query(api, 'up{job="decisionbot"} == 1')
        assert up["value"][1] == "1"
        (runs,) = await query(api, 'decisionbot_runs_open{status="active"}')
        assert runs["value"][1] == "1"
        (readable,) = await query(api, "decisionbot_ledger_readable")
        assert readable["value"][1] == "1"
        (hooks,) = await query(api, 'decisionbot_http_requests_total{route="/hooks/events",status="200"}')
        assert hooks["value"][1] == "1"


async def test_prometheus_with_a_wrong_token_sees_the_target_down(tmp_path: Path, server: TestClient) -> None:
    async with prometheus(tmp_path, server.port, "not-the-token") as api:
        (up,) = await query(api, 'up{job="decisionbot"} == 0')
        assert up["value"][1] == "0"
    ours = await server.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})  # what it refused, counted
    assert 'decisionbot_http_requests_total{route="/metrics",status="401"}' in await ours.text()
