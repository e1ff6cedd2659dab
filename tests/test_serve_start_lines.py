"""What ``decisionbot --help``, ``serve --help`` and ``serve``'s start-up lines tell an operator with a
fresh clone. Before: "channels: none (set SLACK_BOT_TOKEN, ...)" though SLACK_BOT_TOKEN alone is refused;
a channel whose library is missing was "A channel is not available: bot.channels.teams (...). Install
its extra to use it." (which extra?); a new ledger said "point --db at it", which ``serve --db`` refuses
(--db goes before the command), and neither help said so."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


def started(tmp_path: Path, before: str = "") -> tuple[str, str]:
    """``serve``'s banner (its first line on standard output) and its log, started with no channel
    set and stopped with SIGTERM; ``before``: Python run ahead of the command line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = f"{before or 'pass'}; from bot.cli import main; main(prog_name='decisionbot')"
    args = [sys.executable, "-c", code, "--db", str(tmp_path / "l.db"), "--flows", FLOWS]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DECISIONBOT_", "Microsoft"))}
    proc = subprocess.Popen(
        [*args, "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    _, logs = proc.communicate(timeout=30)
    return banner, logs


def test_no_channel_on_names_what_turns_each_on(tmp_path: Path) -> None:
    banner, logs = started(tmp_path)
    assert "serving on http://127.0.0.1:" in banner and "channels: none" in banner, banner + logs
    for variable in (
        "SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "MicrosoftAppId with MicrosoftAppPassword",
    ):
        assert variable in banner, banner
    assert "serve --help" in banner
    assert "new, created now" in logs and "--db PATH placed before the command" in logs, logs


def test_a_channel_whose_library_is_missing_names_the_extra_to_install(tmp_path: Path) -> None:
    banner, logs = started(tmp_path, before="import sys; sys.modules['botbuilder'] = None")
    assert "channels: none" in banner, banner + logs
    assert "The teams channel is not available here (botbuilder" in logs, logs
    assert "pip install 'decisionbot[teams]' to serve it." in logs


def test_both_helps_say_where_db_goes() -> None:
    top = CliRunner().invoke(main, ["--help"]).output
    assert "--db and --flows go before the command" in top
    serve = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "both given before 'serve'" in " ".join(serve.split())
    assert "DECISIONBOT_HOOK_TOKEN" in serve and "DECISIONBOT_METRICS_TOKEN" in serve
