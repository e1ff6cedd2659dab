"""What a client sends cannot forge a line of ``decisionbot serve``'s log: a line break in text
the log repeats (a hook's field named in its 400, an alert's title, a person's id) continues the
record's line, indented, and other control characters are shown escaped."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

from bot.log_lines import contained
from tests.serve_process import served

FORGED = "2026-01-01 00:00:00,000 ERROR decisionbot: FORGED by the client"


def post(url: str, token: str, body: dict[str, object]) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_line_break_a_client_sent_does_not_start_a_line_of_the_log(tmp_path: Path) -> None:
    token = "hook-token-log-lines-7e1"
    with served(tmp_path / "l.db", {"DECISIONBOT_HOOK_TOKEN": token}) as server:
        body = {"title": "t", "labels": {f"a\r\n{FORGED}\x1b[2J": 5}}
        assert post(f"{server.base}/hooks/events", token, body) == 400
    lines = server.output.splitlines()
    refused = [i for i, line in enumerate(lines) if "/hooks/events refused a request: 400" in line]
    assert len(refused) == 1, lines
    assert not any(line.startswith(FORGED) for line in lines)
    assert lines[refused[0] + 1].startswith("    " + FORGED)  # the record's own line, continued
    assert "\x1b" not in "\n".join(lines) and "\\x1b[2J" in lines[refused[0] + 1]


def test_text_kept_on_its_record_s_lines() -> None:
    assert contained("one\ntwo\r\nthree\rfour") == "one\n    two\n    three\n    four"
    assert contained("tab\tstays, bell\x07 and del\x7f and nel\x85 do not") == (
        "tab\tstays, bell\\x07 and del\\x7f and nel\\x85 do not"
    )
    assert contained("line\u2028separator") == "line\\u2028separator"
    record = logging.LogRecord("decisionbot", logging.WARNING, __file__, 1, "said %s", ("x\ny",), None)
    from bot.log_lines import FORMAT, RecordLines

    assert RecordLines(FORMAT).format(record).endswith("said x\n    y")
