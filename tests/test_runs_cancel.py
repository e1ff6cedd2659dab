"""`decisionbot runs cancel`: the operator stops an open run from the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.dispatch import Dispatcher
from bot.model import Actor

ROOT = Path(__file__).resolve().parents[1]


def cli(tmp_path: Path, *args: str, input: str | None = None):
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(ROOT / "flows")]
    return CliRunner().invoke(main, [*base, *args], input=input, catch_exceptions=False)


def rows(tmp_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(tmp_path / "cli.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_runs_cancel_stops_an_open_run_tells_its_conversation_and_stops_its_reminders(tmp_path: Path) -> None:
    started = cli(tmp_path, "trigger", "post_meeting", "--channel", "slack:C0123", "-f", "U0ALICE", "--title", "Sync")
    assert started.output.startswith("Started run #1 ")
    assert rows(tmp_path, "SELECT kind FROM jobs WHERE run_id = 1 AND done_at IS NULL") == [("remind",)]
    result = cli(tmp_path, "runs", "cancel", "1")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Cancelled run #1 (post_meeting) 'Sync', which waited for U0ALICE to answer \"What was decided in Sync?\";"
        " the transcript is kept."
        " The conversation (slack:C0123) is told when its channel delivers.\n"
    )
    assert rows(tmp_path, "SELECT status, state FROM runs WHERE id = 1") == [("cancelled", "cancelled")]
    assert rows(tmp_path, "SELECT kind FROM jobs WHERE run_id = 1 AND done_at IS NULL") == []
    assert rows(tmp_path, "SELECT text, delivered_at FROM messages WHERE run_id = 1 ORDER BY id DESC LIMIT 1") == [
        ("Run cancelled by the bot's operator. The transcript is kept.", None)  # in the outbox, for serve
    ]
    assert rows(tmp_path, "SELECT event, actor_id FROM transitions WHERE run_id = 1 ORDER BY id DESC LIMIT 1") == [
        ("cancel", "cli:operator")
    ]


def test_runs_cancel_refuses_a_finished_run_and_an_unknown_one_and_changes_nothing(tmp_path: Path) -> None:
    cli(tmp_path, "trigger", "post_meeting", "--channel", "console", "-f", "alice", "--title", "Sync")
    assert cli(tmp_path, "runs", "cancel", "1").exit_code == 0
    before = rows(tmp_path, "SELECT count(*) FROM messages")
    again = cli(tmp_path, "runs", "cancel", "1")
    assert again.exit_code == 1
    typed = f"--db {tmp_path / 'cli.db'} --flows {ROOT / 'flows'}"  # pasted, on this ledger
    assert again.output == (
        f"Error: Run #1 is already cancelled; nothing to cancel. See it with: decisionbot {typed} runs show 1\n"
    )
    assert rows(tmp_path, "SELECT count(*) FROM messages") == before  # no reply to anyone about it
    missing = cli(tmp_path, "runs", "cancel", "7")
    assert missing.exit_code == 1 and missing.output == f"Error: No run #7. Try: decisionbot {typed} runs list\n"
    typo = CliRunner().invoke(main, ["--db", str(tmp_path / "typo.db"), "runs", "cancel", "1"])
    assert typo.exit_code == 1 and typo.output.startswith(f"Error: No ledger at {tmp_path / 'typo.db'}.")
    assert not (tmp_path / "typo.db").exists()


def test_a_cancel_that_loses_a_race_says_the_run_is_already_cancelled_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ``runs cancel 1`` at once (or the facilitator's cancel in chat between the command's read
    and its turn): both printed "Cancelled run #1 ..." and exited 0, one cancel recorded. The one
    that did not cancel it now says it was cancelled already, exit 1."""
    cli(tmp_path, "trigger", "post_meeting", "--channel", "slack:C0123", "-f", "U0ALICE", "--title", "Sync")
    first = Dispatcher.cancel

    def other_first(self: Dispatcher, run_id: int, actor: Actor, operator: bool = False):  # noqa: ANN202
        first(self, run_id, Actor("slack:U0ALICE", "U0ALICE"))  # the facilitator, a moment before
        return first(self, run_id, actor, operator=operator)

    monkeypatch.setattr(Dispatcher, "cancel", other_first)
    result = cli(tmp_path, "runs", "cancel", "1")
    assert result.exit_code == 1
    assert "Run #1 is already cancelled; nothing to cancel." in result.output
    assert rows(tmp_path, "SELECT actor_id FROM transitions WHERE event = 'cancel'") == [("slack:U0ALICE",)]
