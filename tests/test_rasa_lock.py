"""``decisionbot rasa-actions`` while another process holds the ledger's write lock for seconds:
the call waits for it with the action server's event loop serving the others (``/health``, other
calls), and is answered and stored once the lock is free. The real action server in a subprocess;
the other writer a process of its own."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.rasa_support import Server, running_actions, texts

HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_a_call_waits_for_another_processs_lock_without_stopping_the_action_server(server: Server) -> None:
    server.get("/health")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(server.db), "3"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        began = time.monotonic()
        answered: dict[str, Any] = {}

        def call() -> None:
            slots = {"decision_flow": "post_meeting", "decision_title": "Locked", "decision_participants": "bob"}
            answered["result"] = server.act("action_decision_start", "s_lock", "/decision_start", slots=slots)
            answered["took"] = time.monotonic() - began

        caller = threading.Thread(target=call)
        caller.start()
        time.sleep(0.3)
        health_began = time.monotonic()
        assert server.get("/health") == {"status": "ok"}
        assert time.monotonic() - health_began < 0.5  # the action server's loop serves meanwhile
        caller.join(timeout=20)
    finally:
        assert holder.wait(timeout=20) == 0
    status, body = answered["result"]
    assert status == 200 and texts(body)
    assert answered["took"] > 2.0  # it waited for the lock
    assert texts(body)[0].startswith("Started run")
    assert server.sql("SELECT count(*) FROM runs WHERE context LIKE '%Locked%'") == [(1,)]
