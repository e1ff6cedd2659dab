"""What ``decisionbot rasa-actions`` says as it starts, in the folder a Rasa developer starts it
in: a ``.yml`` twin of a flow file named, as ``serve`` names it (edits made there never run), and
no error about an ``endpoints.yml`` the action server does not need."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from bot import texts
from tests.rasa_support import RASA_ACTIONS, ROOT, start_server, stop

TWIN_SAYS = texts.flow_file_twin("post_meeting.yaml", "post_meeting")
TWIN_FIX = texts.flow_file_twin_fix("post_meeting.yml", "post_meeting.yaml")


def _log_once_served(server) -> str:  # type: ignore[no-untyped-def]
    """The server's output once it has answered a call (every worker has started by then)."""
    assert server.act("action_decision_status", "ann")[0] == 200
    time.sleep(0.5)
    return str(server.log.read_text())


def test_rasa_actions_names_a_yml_twin_of_a_flow_file_at_start(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    shutil.copy(flows / "post_meeting.yaml", flows / "post_meeting.yml")
    server = start_server(tmp_path, RASA_ACTIONS, flows=flows)
    try:
        said = [line for line in _log_once_served(server).splitlines() if TWIN_SAYS in line]
        assert len(said) == 1, server.log.read_text()  # once, at start, with both files and the fix
        assert str(flows / "post_meeting.yml") in said[0] and TWIN_FIX in said[0], said
    finally:
        stop(server)


def test_rasa_actions_started_without_an_endpoints_yml_logs_no_error_about_it(tmp_path: Path) -> None:
    """rasa-sdk reads tracing from ``endpoints.yml`` in the folder it starts in: without one (the
    usual case outside a Rasa project) it logged "Failed to read endpoint configuration from
    .../endpoints.yml. No such file." in each worker, which reads as though the action server
    needed Rasa's endpoints.yml."""
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        logged = _log_once_served(server)
        assert "Registered function for 'action_decision_answer'" in logged  # rasa-sdk's own lines are there
        assert "endpoints.yml" not in logged and "Failed to read" not in logged, logged
    finally:
        stop(server)


def test_an_endpoints_yml_with_tracing_is_still_read_as_rasa_sdk_reads_it(tmp_path: Path) -> None:
    (tmp_path / "endpoints.yml").write_text("tracing:\n  type: nonesuch\n")
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        logged = _log_once_served(server)
        assert "Unknown tracing type nonesuch read from endpoints.yml, ignoring." in logged, logged
    finally:
        stop(server)


def test_python_m_rasa_sdk_names_a_yml_twin_at_its_first_call(tmp_path: Path) -> None:
    """Plain ``python -m rasa_sdk`` reads the flows folder at its first action call and logged its
    refused files only: a twin went unsaid for as long as it ran (it does not reload)."""
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    shutil.copy(flows / "post_meeting.yaml", flows / "post_meeting.yml")
    server = start_server(tmp_path, [sys.executable, "-m", "rasa_sdk", "--actions", "bot.channels.rasa"], flows=flows)
    try:
        said = [line for line in _log_once_served(server).splitlines() if TWIN_SAYS in line]
        assert len(said) == 1 and TWIN_FIX in said[0], server.log.read_text()
    finally:
        stop(server)
