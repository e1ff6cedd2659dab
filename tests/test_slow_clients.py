"""Clients that open connections and trickle their headers (slowloris) against ``decisionbot
serve`` itself, started as a service would be with the open-files limit systemd gives a service
by default (a soft limit of 1024; lowered here to make it quick): each such connection holds a
file descriptor until aiohttp's keep-alive timeout (75 s) closes it, and a server at its limit
cannot accept anyone, Slack and Teams included."""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.rasa_support import free_port
from tests.test_deploy import wait_healthy

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("decisionbot")
SOFT, HARD = 256, 4096  # a service's 1024:524288, scaled down


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, HARD))


async def trickling(port: int, count: int) -> list[asyncio.StreamWriter]:
    """``count`` connections, each with a request line and one header sent, never the rest."""
    writers = []
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n")
        writers.append(writer)
    await asyncio.gather(*(w.drain() for w in writers))
    return writers


async def served_meanwhile(port: int, count: int) -> bytes:
    writers = await trickling(port, count)
    await asyncio.sleep(0.5)  # the server has taken them
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n")
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        return status
    finally:
        for w in writers:
            w.close()


def test_a_server_holding_more_trickling_clients_than_its_soft_limit_still_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "DECISIONBOT_PORT": str(port), "DECISIONBOT_FLOWS": str(ROOT / "flows")}
    env["DECISIONBOT_DB"] = str(tmp_path / "d.db")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CLI), "serve"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, preexec_fn=limited
        )
        try:
            wait_healthy(port, proc)
            assert asyncio.run(served_meanwhile(port, SOFT + 50)).startswith(b"HTTP/1.1 200")
            limits = Path(f"/proc/{proc.pid}/limits").read_text()
            assert f"Max open files            {HARD}                 {HARD}" in limits
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert "Too many open files" not in log.read_text()
