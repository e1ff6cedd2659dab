"""Console runs a trigger started share one conversation (console:triggers): what another run of
it said while nobody was at the terminal is printed as the run continued opens, and named as that
run's. Before, ``chat --run 2`` opened with "Run cancelled by the bot's operator." alone, read as
run 2's own cancellation."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_another_runs_notice_is_named_as_that_runs(tmp_path: Path) -> None:
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows")]
    runner = CliRunner()
    for title in ("First", "Second"):
        args = [*base, "trigger", "post_meeting", "--channel", "console", "-f", "alice", "--title", title]
        assert runner.invoke(main, args).exit_code == 0
    assert runner.invoke(main, [*base, "runs", "cancel", "1"]).exit_code == 0
    out = runner.invoke(main, [*base, "chat", "--run", "2"], input="We ship\n").output
    cancelled = next(line for line in out.splitlines() if "cancelled" in line)
    assert cancelled.startswith("bot (run #1): "), out
    assert "bot -> alice: What was decided in Second?" in out  # its own question: no run named
