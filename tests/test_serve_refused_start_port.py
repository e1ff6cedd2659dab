"""The port ``serve`` binds before it opens the ledger is let go on every refusal that follows:
a ledger that cannot be one, a channel whose platform cannot be reached as it starts. Before, the
bound sockets stayed open in the process (the refusal's traceback held them), so the port stayed
taken for whatever ran next in it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from tests.rasa_support import free_port

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")
NOBODY = "http://127.0.0.1:1/api/"


def serve(db: Path, port: int, **env: str) -> Result:
    clean = {k: None for k in os.environ if k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    args = ["--db", str(db), "--flows", FLOWS, "serve", "--port", str(port)]
    return CliRunner().invoke(main, args, env={**clean, **env})


def free(port: int) -> bool:
    """Nothing in this process or another holds ``127.0.0.1:port`` (no SO_REUSEADDR: any bind counts)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.filterwarnings("error::ResourceWarning")
@pytest.mark.parametrize("refusal", ["ledger", "channel"])
def test_a_start_refused_after_the_port_was_bound_lets_it_go(tmp_path: Path, refusal: str) -> None:
    port = free_port()
    if refusal == "ledger":
        db = tmp_path / "a-folder"
        db.mkdir()  # a folder where the ledger goes: refused as it is opened
        result = serve(db, port)
    else:
        db = tmp_path / "l.db"
        result = serve(db, port, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SLACK_API_URL=NOBODY)
    assert result.exit_code == 1, result.output
    assert free(port), result.output  # while the refusal (and its traceback) is still at hand
