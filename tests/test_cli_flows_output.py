"""What ``flows show`` and ``flows validate`` print for a flow author, run as the CLI is run."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str, flows: Path = ROOT / "flows"):
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(flows)]
    return CliRunner().invoke(main, [*base, *args], catch_exceptions=False)


def test_a_prompt_of_several_lines_is_indented_under_its_step(tmp_path):
    result = run(tmp_path, "flows", "show", "decision_review")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  2. outcome [choice: keep | change | drop]"))
    assert lines[at + 1 : at + 4] == [  # before: these two lines began at the margin
        "         {% if trigger.latest %}Latest value: {{ trigger.latest }}",
        "         {% endif %}Did it hold?",
        "       -> new_decision when outcome == 'change'",
    ]
    assert all(line.startswith("  ") for line in lines[1:])  # every line after the title belongs to a step
