"""What ``decisionbot rasa-actions`` says as it starts, in the folder a Rasa developer starts it
in: a ``.yml`` twin of a flow file named, as ``serve`` names it (edits made there never run), and
no error about an ``endpoints.yml`` the action server does not need."""

from __future__ import annotations

import shutil
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
