"""The facilitator at the terminal: ``decisionbot start post_meeting ...`` (as ``/decision start``
is typed in Slack) said only "No such command 'start'", and a flow mistyped to ``chat`` or
``trigger`` listed the flows without a guess. Now ``start`` names the two commands that start a
flow (``chat`` here, ``trigger`` in a chat channel), exit status 2 as any usage error, and a
mistyped flow is guessed as in chat. Nothing is started or stored either way."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str) -> object:
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(ROOT / "flows")]
    return CliRunner().invoke(main, [*base, *args], catch_exceptions=False)


def test_start_names_the_commands_that_start_a_flow(tmp_path: Path) -> None:
    result = run(tmp_path, "start", "post_meeting", "-f", "alice", "-p", "bob", "Weekly sync")
    assert result.exit_code == 2, result.output
    assert "No such command 'start'. To start a flow in this terminal: " in result.output
    assert " chat FLOW -f NAME -p NAME,NAME [--data title=TITLE]; in a chat channel: " in result.output
    assert " trigger FLOW --channel slack:C123 -f ID -p ID,ID [--title TITLE]." in result.output
    assert not (tmp_path / "cli.db").exists()


def test_a_mistyped_flow_is_guessed_by_chat_and_trigger(tmp_path: Path) -> None:
    for command in (["chat", "post_meetng", "-f", "alice"], ["trigger", "Post-Meeting", "--channel", "console"]):
        result = run(tmp_path, *command)
        assert result.exit_code == 1, result.output
        assert f"No flow '{command[1]}' in " in result.output
        assert (
            "Did you mean 'post_meeting'? Known flows: decision_review, metric_breach, post_meeting." in result.output
        )


def test_a_flow_nothing_like_one_is_not_guessed(tmp_path: Path) -> None:
    result = run(tmp_path, "chat", "retro", "-f", "alice")
    assert result.exit_code == 1 and "Did you mean" not in result.output, result.output
