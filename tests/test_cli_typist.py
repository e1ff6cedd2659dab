"""Who types at the terminal when no option names them: their login name. Before, the placeholder
"facilitator" typed: the analysts' report counted the run's lead as nobody (no participation, no
answer times of the decision's steps), and in a console run triggered naming no facilitator, the
first owner to accept their action took the run over, its typist refused ("This question is for
bob"): the typist now takes it by their first answer."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
MEETING = ["We ship", "Task", "bob", "tomorrow", "done", "/as bob", "yes", "/as dana", "ok"]


@pytest.fixture(autouse=True)
def login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "dana")


def run(db: Path, *args: str, said: list[str] | None = None, flows: Path = ROOT / "flows") -> str:
    base = ["--db", str(db), "--flows", str(flows)]
    result = CliRunner().invoke(main, [*base, *args], input="\n".join(said or []) + "\n")
    assert result.exit_code == 0, result.output
    return result.output


def test_chat_without_f_is_led_by_the_login_name_and_the_report_counts_them(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    out = run(db, "chat", "post_meeting", "-p", "bob", said=MEETING)
    assert out.startswith("bot -> dana: What was decided")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT facilitator_id, status FROM runs").fetchall() == [("console:dana", "completed")]
    report = json.loads(run(db, "report", "--format", "json"))
    assert "dana" in json.dumps(report["participation"])  # (before: only bob)


def test_a_triggered_console_run_is_taken_by_its_typist_not_by_the_owner_who_accepts(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    run(db, "trigger", "post_meeting", "--channel", "console", "-p", "bob")
    out = run(db, "chat", "--run", "1", said=MEETING)
    assert "This question is for" not in out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT facilitator_id, status FROM runs").fetchall() == [("console:dana", "completed")]


def test_a_session_of_commands_only_is_typed_by_the_login_name_too(tmp_path: Path) -> None:
    """A run led by the login name, then `chat` with no --as: 'done A1' was typed by "facilitator",
    who had no such action."""
    db = tmp_path / "t.db"
    run(db, "chat", "post_meeting", "-p", "bob", said=MEETING)
    out = run(db, "chat", said=["done A1"])
    assert "dana reported bob's action done" in out, out
