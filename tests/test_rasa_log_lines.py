"""What a caller sends cannot forge a line of ``decisionbot rasa-actions``' log, which is written
through rasa-sdk's own formatter (coloredlogs), not serve's: a line break in text the log repeats
(an action name rasa-sdk does not know, named in its error) continues the record's line, indented,
and other control characters are shown escaped, as in ``serve``'s log (bot/log_lines.py)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.rasa_support import RASA_ACTIONS, request, start_server, stop

FORGED = "2026-01-01 00:00:00 ERROR    decisionbot.rasa  - FORGED by the caller"


def test_a_line_break_a_caller_sent_does_not_start_a_line_of_the_log(tmp_path: Path) -> None:
    running = start_server(tmp_path, RASA_ACTIONS)
    try:
        call = request(f"action_x\r\n{FORGED}\x1b[2J", "tia", "/x", slots={})
        assert running.post(call)[0] == 404  # rasa-sdk's answer: no such action, named in its log
        deadline = time.monotonic() + 10
        while "No registered action found" not in running.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = running.log.read_text().splitlines()
    finally:
        stop(running)
    named = [i for i, line in enumerate(lines) if "No registered action found for name 'action_x" in line]
    assert len(named) == 1, lines
    assert not any(line.startswith(FORGED) for line in lines)
    assert lines[named[0] + 1].startswith("    " + FORGED)  # the record's own line, continued
    assert "\x1b[2J" not in "\n".join(lines) and "\\x1b[2J" in lines[named[0] + 1]
