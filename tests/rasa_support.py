"""The Rasa action server in a subprocess on a free port, and the requests Rasa sends
(protocols.md §4): shared by the Rasa tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = [
    "action_decision_answer",
    "action_decision_start",
    "action_decision_status",
    "action_my_actions",
    "validate_decision_form",
]
DOMAIN = {
    "slots": {
        "decision_flow": {"type": "text", "mappings": [{"type": "custom"}]},
        "decision_due": {"type": "text", "mappings": [{"type": "from_text"}]},
        "decision_owner": {"type": "text", "mappings": [{"type": "from_text"}]},
    },
    "forms": {"decision_form": {"required_slots": ["decision_due", "decision_owner"]}},
    "responses": {},
    "actions": ACTIONS,
}


class Server:
    def __init__(self, port: int, proc: subprocess.Popen[bytes], db: Path, log: Path):
        self.port, self.proc, self.db, self.log = port, proc, db, log

    def post(
        self, body: Any, raw: bytes | None = None, headers: dict[str, str] | None = None, query: str = ""
    ) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhook{query}",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as resp:
            return json.loads(resp.read())

    def act(self, action: str, sender: str, text: str | None = None, **kw: Any) -> tuple[int, Any]:
        return self.post(request(action, sender, text, **kw))

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(query, args).fetchall()


def request(
    action: str,
    sender: str,
    text: str | None = None,
    slots: dict[str, Any] | None = None,
    message_id: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An action call as Rasa 3.x sends it."""
    latest = {"intent": {"name": "inform", "confidence": 0.97}, "entities": [], "text": text}
    latest["message_id"] = message_id or f"{sender}-{time.monotonic_ns()}"
    history = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.21.1",
        "tracker": {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": latest,
            "events": history + (events or []),
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": DOMAIN,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path, command: list[str], flows: Path = ROOT / "flows", **extra_env: str) -> Server:
    port = free_port()
    db, log = tmp / "r.db", tmp / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "DECISIONBOT_RASA_TOKEN"}
    env.update(extra_env)
    env.update(
        DECISIONBOT_DB=str(db),
        DECISIONBOT_FLOWS=str(flows),
        DECISIONBOT_TIMEZONE="UTC",
        SANIC_HOST="127.0.0.1",
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(  # a session of its own: stop() ends Sanic's worker processes too
            [*command, "-p", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True
        )
    server = Server(port, proc, db, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the action server exited: {log.read_text()}")
        try:
            if server.get("/health") == {"status": "ok"}:
                return server
        except OSError:
            time.sleep(0.1)
    stop(server)
    raise AssertionError(f"the action server did not answer /health: {log.read_text()}")


def stop(server: Server) -> None:
    """End the server and every process it started (Sanic's workers outlived a terminated parent
    and some spun a CPU for the rest of the test run)."""
    group = server.proc.pid  # its own session: the process group has its id
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the workers end on their own after the SIGTERM
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def texts(body: dict[str, Any]) -> list[str]:
    return [r["text"] for r in body["responses"]]


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def yes_no(run_id: int) -> list[dict[str, str]]:
    """A yes/no question's buttons: their payloads name the question's run."""
    return [{"title": "Yes", "payload": f"#{run_id} yes"}, {"title": "No", "payload": f"#{run_id} no"}]


#: ``decisionbot rasa-actions`` as a user runs it, in a subprocess.
RASA_ACTIONS = [sys.executable, "-c", "from bot.cli import main; main()", "rasa-actions"]


def running_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """For a module's ``server`` fixture: ``rasa-actions`` on a ledger of its own, stopped after."""
    running = start_server(tmp_path_factory.mktemp("rasa"), RASA_ACTIONS)
    yield running
    stop(running)
