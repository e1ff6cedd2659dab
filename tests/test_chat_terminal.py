"""`decisionbot chat` in a real terminal (a pseudo-terminal) and piped, as the README runs it: what
a newcomer is told; Ctrl-C in the middle of a flow, which loses no answer the bot replied to and
says how to go on; and the chat commands of Slack, Teams and Rasa (``actions``, ``done A1``,
``due A1 DATE``, ``give A1 NAME``, ``status N`` ...), taken during the run where no question takes
the line as its answer, and after the run's end until /quit or the input ends."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from tests.dates import APR1, FEB15, JAN10, MAR1

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DECISIONBOT_DB": str(tmp_path / "t.db"),
        "DECISIONBOT_FLOWS": str(ROOT / "flows"),
        "PATH": "/usr/bin:/bin",  # as after the README's install: the venv's bin/ is not on PATH
    }


def _as_a_shell_runs_it() -> None:
    """In the child, before the program starts: the pseudo-terminal is its controlling terminal
    (Ctrl-C typed there sends it SIGINT), and SIGINT is not ignored, as for a shell's foreground
    job, even when the tests run in a background job (where a shell ignores SIGINT, and that is
    inherited)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """`decisionbot ARGS` with a pseudo-terminal as its standard input, output and error."""

    def __init__(self, tmp_path: Path, *args: str):
        self.master, slave = pty.openpty()
        self.exe = exe = Path(sys.executable).with_name("decisionbot")
        self.proc = subprocess.Popen(
            [str(exe), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=_env(tmp_path),
            start_new_session=True,
            preexec_fn=_as_a_shell_runs_it,
        )
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

    def prompt_after(self, after: str) -> None:
        """Once the program shows its prompt again after ``after``: it reads the next line."""
        self.until(after)
        start = self.seen.rindex(after)
        deadline = time.monotonic() + 30
        while "> " not in self.seen[start:]:
            assert time.monotonic() < deadline, f"no prompt after {after!r}:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                self.seen += os.read(self.master, 4096).decode(errors="replace")

    def ctrl_c(self, after: str) -> None:
        """Ctrl-C typed (the terminal sends SIGINT to the program), once the program shows its
        prompt after ``after``; typed again if it is still running a moment later, as a person
        would press again: a signal landing in the instant between the prompt's printing and
        input()'s wait for a key is only seen at the next key (CPython)."""
        self.prompt_after(after)
        for _ in range(5):
            os.write(self.master, b"\x03")
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
    assert f"Left run #1; it stays open with the answers so far. Continue it with: {term.exe} chat --run 1" in term.seen
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
    assert shown.index("(run #1, post_meeting; waiting for alice)") < shown.index("Who owns 'Draft the plan'?")
    again.type("/quit")
    assert again.close() == 0


def test_arrow_keys_edit_the_answer_being_typed_and_up_recalls_an_earlier_line(tmp_path: Path) -> None:
    left, up = "\x1b[D", "\x1b[A"
    term = Terminal(tmp_path, "chat", "post_meeting", "-f", "alice", "-p", "bob")
    term.until("alice> ")
    term.type(f"We ship in Mrch{left * 3}a")  # a typo mended before Enter
    term.until("Action 1: What is the action?")
    term.type(f"{up}")  # the last line again, Enter: taken as the action's text
    term.until("Who owns 'We ship in March'?")
    term.type("/quit")
    assert term.close() == 0
    assert ledger(tmp_path, "SELECT raw FROM answers ORDER BY id") == [("We ship in March",), ("We ship in March",)]


# --- the chat commands in the terminal --------------------------------------------------------

#: The README's session, with ISO dates: the decision, one action owned by bob, the review date.
MEETING = ["We ship in March", "Draft the plan", "@bob", JAN10, "done", "/as bob", "yes", "/as alice", "ok"]


def piped(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`decisionbot chat post_meeting -f alice -p bob,carol` with ``lines`` piped in, then EOF."""
    command = [str(Path(sys.executable).with_name("decisionbot")), "chat", *(args or CHAT)]
    text = "".join(line + "\n" for line in lines)
    return subprocess.run(command, input=text, capture_output=True, text=True, env=_env(tmp_path), timeout=60)


CHAT = ("post_meeting", "-f", "alice", "-p", "bob,carol")


def ledger(tmp_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(tmp_path / "t.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_after_the_run_the_terminal_takes_the_commands_it_names_and_exits_0_at_eof(tmp_path: Path) -> None:
    after = ["actions", f"due A1 {FEB15}", "hello", "/as bob", "actions", "done A1", "status 1"]
    out = piped(tmp_path, [*MEETING, *after])
    assert out.returncode == 0, out.stderr
    said = out.stdout
    # the run's end is said once, with what can be typed now
    assert out.stderr.count("(run #1 completed; you can still type commands: actions, done A1,") == 1
    assert said.index("Stored in") < said.index("alice> actions")
    assert "bot -> alice: Open actions of decisions you lead (1):\n      A1 Draft the plan - bob" in said
    # typed in the decision's own conversation, the notice to it is the one answer (as in its Slack thread)
    moved = "bot: alice moved the due date of bob's action 'Draft the plan' (from 'Post-meeting decision check')"
    assert f"alice> due A1 {FEB15}\n{moved} to {FEB15} (was {JAN10})." in said
    assert "alice> hello\nbot -> alice: Nothing waits for your answer here: run #1 is completed." in said
    assert "bob> actions\nbot -> bob: bob, your open actions (1):\n      A1 Draft the plan" in said
    assert "bob> done A1\nbot: bob reported their action done: 'Draft the plan'" in said
    assert "bob> status 1\nbot -> bob: Run #1 post_meeting 'Post-meeting decision check': completed" in said
    assert ledger(tmp_path, "SELECT status, due, done_confirmed_by FROM actions WHERE id = 1") == [
        ("done", FEB15, None)
    ]
    changes = ledger(tmp_path, "SELECT field, old, new, actor_id FROM action_changes ORDER BY id")
    assert changes[0] == ("due", JAN10, FEB15, "console:alice")
    typed = ledger(tmp_path, "SELECT actor_id, text FROM messages WHERE direction = 'in' AND text LIKE '%A1%'")
    assert typed == [("console:alice", f"due A1 {FEB15}"), ("console:bob", "done A1")]  # in the transcript


def test_give_in_the_terminal_asks_the_new_owner_who_answers_after_as(tmp_path: Path) -> None:
    after = ["give A1 carol she runs the vendor now", "/as carol", "yes", "done A1", "/quit", "actions"]
    out = piped(tmp_path, [*MEETING, *after])
    assert out.returncode == 0, out.stderr
    said = out.stdout
    assert "bot -> alice: Asked carol to take over 'Draft the plan'." in said  # named as -p names her
    asked = f"bot -> carol: alice asks you to take over action 'Draft the plan' (due {JAN10})"
    assert said.index(asked) < said.index("carol> yes")
    assert "bot: carol took over bob's action 'Draft the plan'" in said
    assert "bot -> bob: carol took over your action 'Draft the plan'" in said
    assert "carol> done A1\nbot: carol reported their action done" in said
    assert "alice> actions" not in said and "carol> actions" not in said  # /quit left: nothing read after it
    assert "Left run" not in out.stderr  # the run had ended: nothing stays open
    assert ledger(tmp_path, "SELECT owner_id, status FROM actions WHERE id = 1") == [("console:carol", "done")]
    changes = ledger(tmp_path, "SELECT field, old, new, reason, actor_id FROM action_changes ORDER BY id")
    assert changes[0] == ("owner", "console:bob", "console:carol", "she runs the vendor now", "console:alice")
    handover = ledger(tmp_path, "SELECT flow_id, status, conversation FROM runs WHERE id = 2")
    decision = ledger(tmp_path, "SELECT conversation FROM runs WHERE id = 1")
    assert handover == [("action_handover", "completed", decision[0][0])]  # asked in this terminal


def test_a_command_typed_instead_of_an_answer_is_carried_out_and_done_stays_an_answer(tmp_path: Path) -> None:
    first = piped(tmp_path, MEETING)
    assert first.returncode == 0, first.stderr
    # the next meeting: a command where a question waits, as a Slack or Teams direct message takes it
    lines = ["status 1", "list", "We drop the beta", "actions", "Tell the team", "@carol", MAR1, "done"]
    out = piped(tmp_path, [*lines, "/as carol", "yes", "/as alice", "done A1", "ok"])
    assert out.returncode == 0, out.stderr
    said = out.stdout
    assert "alice> status 1\nbot -> alice: Run #1 post_meeting 'Post-meeting decision check': completed" in said
    assert "alice> list\nbot -> alice: Open decision runs in the terminal:\n      #2 post_meeting" in said
    assert "alice> actions\nbot -> alice: Open actions of decisions you lead (1):" in said
    # 'done' ends the list of actions, as before; 'done A1' reports action A1 (of run 1) done
    assert "alice> done\nbot -> carol: alice assigned you an action" in said
    # run 1's conversation (the first session's) is told, here, as nobody reads that session now
    assert "alice> done A1\nbot (run #1): alice reported bob's action done: 'Draft the plan'" in said  # run 2 goes on
    answers = ledger(tmp_path, "SELECT step, field, raw FROM answers WHERE run_id = 2 ORDER BY id")
    assert [a[2] for a in answers] == ["We drop the beta", "Tell the team", "@carol", MAR1, "yes", "ok"]
    assert ledger(tmp_path, "SELECT id, status FROM actions ORDER BY id") == [(1, "done"), (2, "open")]
    assert ledger(tmp_path, "SELECT status FROM runs WHERE id = 2") == [("completed",)]


def test_after_the_run_the_interactive_terminal_says_so_and_waits_for_commands(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "chat", *CHAT)
    term.until("alice> ")
    for line in MEETING:  # typed ahead, as the terminal buffers them
        term.type(line)
    shown = term.until("(run #1 completed; you can still type commands: actions, done A1")
    term.until("alice> ")  # still reading
    term.type("done A1")
    term.prompt_after("alice reported bob's action done")
    os.write(term.master, b"\x04")  # Ctrl-D at the prompt (typed ahead, line editing takes it as no key)
    assert term.close() == 0
    assert "Stored in" in shown and "Traceback" not in term.seen and "Left run" not in term.seen
    assert ledger(tmp_path, "SELECT status, done_confirmed_by FROM actions") == [("done", "console:alice")]


def test_jsonl_commands_are_answered_as_json_and_the_runs_end_stays_the_last_line(tmp_path: Path) -> None:
    first = piped(tmp_path, MEETING)
    assert first.returncode == 0, first.stderr
    script = [
        {"text": "status 1"},
        {"text": "We drop the beta"},
        {"text": "Tell the team"},
        {"text": "me"},
        {"text": MAR1},
        {"text": "done"},
        {"text": "yes"},
        {"text": APR1},
        {"text": "done A1"},  # after the run's end: not read (its completed line is the last)
    ]
    out = piped(tmp_path, [json.dumps(line) for line in script], "post_meeting", "-f", "alice", "--jsonl")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    status = lines[1]
    assert status["event"] == "command" and status["to"] == "console:alice" and status["ok"] is True
    assert status["text"].startswith("Run #1 post_meeting")
    assert lines[-1]["event"] == "completed" and lines[-1]["record"]["decision"] == "We drop the beta"
    assert ledger(tmp_path, "SELECT status FROM actions WHERE id = 1") == [("open",)]


def test_cancel_n_typed_instead_of_an_answer_cancels_the_run_and_says_so_once(tmp_path: Path) -> None:
    out = piped(tmp_path, ["We ship", "cancel 1", "list"])
    assert out.returncode == 0, out.stderr  # the run ended: nothing stays open
    said = out.stdout
    assert "alice> cancel 1\nbot: Run cancelled by alice. The transcript is kept.\nStored in" in said
    assert said.count("Run cancelled by alice") == 1  # the run's own word in this terminal is the answer
    assert "alice> list\nbot -> alice: No open decision runs in the terminal. Start one with:" in said
    assert "(run #1 cancelled by alice; you can still type commands" in out.stderr
    assert ledger(tmp_path, "SELECT status FROM runs WHERE id = 1") == [("cancelled",)]
    assert [r[0] for r in ledger(tmp_path, "SELECT raw FROM answers")] == ["We ship"]


# --- a session of commands only: `decisionbot chat --as NAME` ------------------------------------


def test_a_week_later_chat_as_bob_takes_his_commands_with_no_run(tmp_path: Path) -> None:
    first = piped(tmp_path, MEETING)
    assert first.returncode == 0, first.stderr
    out = piped(tmp_path, ["actions", "hello", "done A1", "list"], "--as", "bob")
    assert out.returncode == 0, out.stderr
    said = out.stdout
    assert "(no run in this session: type commands as bob: actions, done A1," in out.stderr
    assert "bob> actions\nbot -> bob: bob, your open actions (1):\n      A1 Draft the plan" in said
    assert "bob> hello\nbot -> bob: Nothing waits for your answer here: this session has no run." in said
    # the decision's conversation (the first session's) is told, here, once: nobody reads that session now
    assert "bob> done A1\nbot: bob reported their action done: 'Draft the plan'" in said
    assert said.count("reported their action done") == 1
    assert "bob> list\nbot -> bob: No open decision runs in the terminal." in said
    assert ledger(tmp_path, "SELECT status FROM actions WHERE id = 1") == [("done",)]
    assert ledger(tmp_path, "SELECT count(*) FROM runs") == [(1,)]  # no run started for the session
    notice = ledger(tmp_path, "SELECT delivered_at IS NOT NULL FROM messages WHERE text LIKE 'bob reported%'")
    assert notice == [(1,)]  # printed, so marked sent: `chat --run` would not show it again


def test_give_in_a_session_of_commands_asks_carol_there_and_her_yes_is_taken(tmp_path: Path) -> None:
    assert piped(tmp_path, MEETING).returncode == 0
    left = piped(tmp_path, ["We drop the beta", "/quit"])  # run 2 stays open, waiting on alice
    assert left.returncode == 0, left.stderr
    out = piped(tmp_path, ["list", "give A1 carol she runs the vendor now", "/as carol", "yes"], "--as", "bob")
    assert out.returncode == 0, out.stderr
    said = out.stdout
    assert "Open decision runs in the terminal:\n      #2 post_meeting" in said
    assert "Continue one with:" in said and "chat --run N" in said
    asked = f"bot -> carol: bob asks you to take over action 'Draft the plan' (due {JAN10})"
    assert said.index(asked) < said.index("carol> yes")  # the question, queued in run 1's conversation
    assert "carol> yes\nbot: carol took over bob's action 'Draft the plan'" in said
    assert ledger(tmp_path, "SELECT owner_id FROM actions WHERE id = 1") == [("console:carol",)]
    assert ledger(tmp_path, "SELECT flow_id, status FROM runs WHERE id = 3") == [("action_handover", "completed")]


def test_a_session_of_commands_shows_the_questions_waiting_first_and_status_is_anyones_at_the_terminal(
    tmp_path: Path,
) -> None:
    """A line answers the question of a terminal run that waits on its speaker, as in a direct
    message: that question is now shown as the session opens (before, 'looks good' answered a
    question nobody had seen, and the session said it had no run). 'status 1' tells anyone at the
    terminal what 'list' already showed them (before: 'No run #1 here.' right after 'list')."""
    left = piped(tmp_path, ["We launch in March", "/quit"])
    assert left.returncode == 0, left.stderr
    out = piped(tmp_path, ["list", "status 1"], "--as", "zed")
    assert "bot -> zed: Run #1 post_meeting 'Post-meeting decision check': active; waiting for alice" in out.stdout
    assert "bot -> zed: Action 1" not in out.stdout  # nothing waits on zed: nothing shown
    out = piped(tmp_path, ["Draft the plan"], "--as", "alice")
    said = out.stdout
    assert said.index("bot -> alice: Action 1: What is the action?") < said.index("alice> Draft the plan")
    assert "bot -> alice: Action 1: Who owns 'Draft the plan'?" in said


def test_with_two_questions_waiting_a_bare_answer_lists_them_and_hash_n_answers_one(tmp_path: Path) -> None:
    assert piped(tmp_path, MEETING).returncode == 0
    second = ["We drop the beta", "Tell the team", "@bob", MAR1, "done", "/as bob", "yes", "/as alice", "ok"]
    assert piped(tmp_path, second).returncode == 0
    offers = ["give A1 carol", "give A2 carol"]
    out = piped(tmp_path, [*offers, "/as carol", "yes", "#4 no", "#3 yes"], "--as", "bob")
    assert out.returncode == 0, out.stderr
    said = out.stdout
    assert "carol> yes\nbot -> carol: " in said and "#3 " in said and "#4 " in said  # which one? both listed
    assert ledger(tmp_path, "SELECT id, owner_id FROM actions ORDER BY id") == [
        (1, "console:carol"),
        (2, "console:bob"),
    ]
    assert ledger(tmp_path, "SELECT id, status FROM runs WHERE id IN (3, 4) ORDER BY id") == [
        (3, "completed"),
        (4, "completed"),
    ]


def test_jsonl_session_of_commands_answers_each_line_as_json(tmp_path: Path) -> None:
    assert piped(tmp_path, MEETING).returncode == 0
    script = [{"as": "bob", "text": "actions"}, {"as": "bob", "text": "done A1"}]
    out = piped(tmp_path, [json.dumps(line) for line in script], "--jsonl")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert (
        lines[0]["event"] == "command" and lines[0]["to"] == "console:bob" and "A1 Draft the plan" in lines[0]["text"]
    )
    assert lines[-1]["kind"] == "info" and "bob reported their action done" in lines[-1]["text"]
    assert ledger(tmp_path, "SELECT status FROM actions WHERE id = 1") == [("done",)]


def test_a1_done_with_the_code_first_reports_it_done_as_done_a1_does(tmp_path: Path) -> None:
    """People also say it code first ("A1 done"): it was 'Nothing waits for your answer here'."""
    assert piped(tmp_path, MEETING).returncode == 0
    out = piped(tmp_path, ["A1 done."], "--as", "bob")
    assert out.returncode == 0, out.stderr
    assert "bob> A1 done.\nbot: bob reported their action done: 'Draft the plan'" in out.stdout
    assert ledger(tmp_path, "SELECT status FROM actions WHERE id = 1") == [("done",)]
