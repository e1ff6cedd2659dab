"""``decisionbot serve`` as a real process, for tests that read what it logs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.rasa_support import free_port

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("decisionbot")


def status_of(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=b"{}" if method == "POST" else None)) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    output: str = ""  # stdout and stderr, once the process has stopped


@contextmanager
def served(db: Path, settings: dict[str, str], *options: str) -> Iterator[Served]:
    """Start ``serve`` on ``db`` with only ``settings`` of decisionbot's, Slack's and Teams' variables,
    wait for its /healthz, and stop it with SIGTERM on the way out, keeping what it wrote."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    env.update(settings)
    command = [str(CLI), "--db", str(db), "--flows", str(ROOT / "flows"), "serve", "--port", str(port), *options]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    running = Served(f"http://127.0.0.1:{port}", server)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if status_of(f"{running.base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield running
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
        running.output = (out + err).decode()
