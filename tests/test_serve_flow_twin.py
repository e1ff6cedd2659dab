"""A ``.yml`` twin of a flow file (``post_meeting.yml`` beside ``post_meeting.yaml``) under a real
``decisionbot serve``. Before: the server skipped it unseen, so edits made there never ran and
nothing said so (only ``flows validate`` named it). Now serve names it, with both files and the fix
(``flows validate``'s words), at start and at each reload of the flows folder, and ``/healthz``
shows it in ``flows_refused`` by its file name."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from bot import texts
from tests.rasa_support import free_port
from tests.serve_process import CLI, ROOT

TWIN_SAYS = texts.flow_file_twin("post_meeting.yaml", "post_meeting")
TWIN_FIX = texts.flow_file_twin_fix("post_meeting.yml", "post_meeting.yaml")


def healthz(base: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
            return dict(json.load(resp))
    except OSError:
        return None


def healthz_until(base: str, ok: Any, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = healthz(base)
        if body is not None and ok(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"/healthz never showed it: {healthz(base)}")


def test_serve_names_a_yml_twin_at_start_at_each_reload_and_in_healthz(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    text = (flows / "post_meeting.yaml").read_text()
    (flows / "post_meeting.yml").write_text(text.replace("title:", "title: edited", 1))  # never runs
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    command = [str(CLI), "--db", str(tmp_path / "l.db"), "--flows", str(flows), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        body = healthz_until(base, lambda h: True)
        shown = body["flows_refused"]["post_meeting.yml"]  # named within the folder, by its own file name
        assert shown.startswith("post_meeting.yml") and TWIN_SAYS in shown and TWIN_FIX in shown, body
        assert body["status"] == "ok" and "post_meeting" not in body["flows_refused"], body  # the flow runs
        (flows / "decision_review.yml").write_text("a second twin, to see the folder reloaded\n")
        healthz_until(base, lambda h: "decision_review.yml" in h.get("flows_refused", {}))
    finally:
        server.send_signal(signal.SIGTERM)
        _, logs = server.communicate(timeout=30)
    twin_lines = [line for line in logs.splitlines() if TWIN_SAYS in line]
    assert len(twin_lines) == 2, logs  # at start, and at the reload the second twin made
    for line in twin_lines:  # one line each: both files, and the fix
        assert " WARNING " in line and str(flows / "post_meeting.yml") in line and TWIN_FIX in line, line
    assert sum("decision_review.yml" in line and "WARNING" in line for line in logs.splitlines()) == 1, logs


def test_a_folder_without_twins_says_nothing_of_them(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    command = [str(CLI), "--db", str(tmp_path / "l.db"), "--flows", str(flows), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = healthz_until(f"http://127.0.0.1:{port}", lambda h: True)
    finally:
        server.send_signal(signal.SIGTERM)
        _, logs = server.communicate(timeout=30)
    assert "flows_refused" not in body and "flows end in .yaml" not in logs, body
