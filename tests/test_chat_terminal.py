"""`decisionbot chat` in a real terminal (a pseudo-terminal): what a newcomer is told, and Ctrl-C
in the middle of a flow, which loses no answer the bot replied to and says how to go on."""

from __future__ import annotations

import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


class Terminal:
    """`decisionbot ARGS` with a pseudo-terminal as its standard input, output and error."""

    def __init__(self, tmp_path: Path, *args: str):
        self.master, slave = pty.openpty()
        self.exe = exe = Path(sys.executable).with_name("decisionbot")
        env = {
            **os.environ,
            "DECISIONBOT_DB": str(tmp_path / "t.db"),
            "DECISIONBOT_FLOWS": str(ROOT / "flows"),
            "PATH": "/usr/bin:/bin",  # as after the README's install: the venv's bin/ is not on PATH
        }
        self.proc = subprocess.Popen([str(exe), *args], stdin=slave, stdout=slave, stderr=slave, env=env)
        os.close(slave)
        self.seen = ""

    def until(self, text: str | None, timeout: float = 30.0) -> str:
        """What the terminal showed, once ``text`` is in it (None: once the process closed it)."""
        deadline = time.monotonic() + timeout
        while text is None or text not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never came; the terminal shows:\n{self.seen}")
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the process has ended and closed its side
                    chunk = b""
                if not chunk:
                    break
                self.seen += chunk.decode(errors="replace")
        if text is not None and text not in self.seen:
            raise AssertionError(f"{text!r} never came; the terminal shows:\n{self.seen}")
        return self.seen

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def ctrl_c(self, after: str) -> None:
        """What Ctrl-C sends (SIGINT), once the program shows its prompt after ``after``; sent again
        if it is still running a moment later, as a person would press again: a signal landing in
        the instant between the prompt's printing and readline's wait for a key is only seen at the
        next key (CPython with readline)."""
        self.until(after)
        start = self.seen.rindex(after)
        deadline = time.monotonic() + 30
        while "> " not in self.seen[start:]:
            assert time.monotonic() < deadline, f"no prompt after {after!r}:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                self.seen += os.read(self.master, 4096).decode(errors="replace")
        for _ in range(5):
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=2)
                return
            except subprocess.TimeoutExpired:
                continue

    def close(self) -> int:
        code = self.proc.wait(timeout=30)
        self.until(None)  # what is left
        os.close(self.master)
        return code


def test_ctrl_c_mid_flow_keeps_the_answers_and_says_how_to_continue(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "chat", "post_meeting", "-f", "alice", "-p", "bob")
    intro = term.until("alice> ")
    assert "'/as NAME' answers as someone else when the bot asks them" in intro  # told before the first question
    assert intro.index("'/quit' or Ctrl-C leaves") < intro.index("What was decided")
    term.type("We ship in March")
    term.until("Action 1: What is the action?")
    term.type("Draft the plan")
    term.ctrl_c(after="Who owns 'Draft the plan'?")
    assert term.close() == 130
    # the command to paste is the one this terminal ran (decisionbot is not on its PATH)
    assert f"Left run 1; it stays open with the answers so far. Continue it with: {term.exe} chat --run 1" in term.seen
    assert "Aborted!" not in term.seen and "Traceback" not in term.seen
    conn = sqlite3.connect(tmp_path / "t.db")
    try:
        answers = conn.execute("SELECT step, field, raw FROM answers ORDER BY id").fetchall()
        status = conn.execute("SELECT status, state FROM runs WHERE id = 1").fetchone()
    finally:
        conn.close()
    assert answers == [("decision", None, "We ship in March"), ("actions", "what", "Draft the plan")]
    assert status == ("active", "actions")
    again = Terminal(tmp_path, "chat", "--run", "1")
    shown = again.until("alice> ")
    assert "Who owns 'Draft the plan'?" in shown  # the open question, asked again, after the run is named
    assert shown.index("(run 1, post_meeting; waiting for alice)") < shown.index("Who owns 'Draft the plan'?")
    again.type("/quit")
    assert again.close() == 0
