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


def test_validate_takes_a_folder_as_serve_loads_it(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "good.yaml").write_text("id: good\ntitle: Good\nsteps:\n  - {id: what, ask: 'What?', type: text}\n")
    result = run(tmp_path, "flows", "validate", str(folder), str(ROOT / "flows"))
    assert (result.exit_code, result.output) == (
        0,
        "5 flow file(s) valid.\n",
    )  # before: "cannot be read (Is a directory)"
    (folder / "bad.yaml").write_text("id: bad\ntitle: Bad\nsteps:\n  - {id: what, ask: 'What?', type: choice}\n")
    result = run(tmp_path, "flows", "validate", str(folder))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {folder / 'bad.yaml'}, step 'what': the step is a choice without options")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(tmp_path, "flows", "validate", str(empty))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {empty}: the folder holds no flow file (*.yaml). Fix: name a flows folder or flow files\n",
    )


def test_a_mermaid_diagram_marks_where_runs_end(tmp_path):
    lines = run(tmp_path, "flows", "diagram", "metric_breach").output.splitlines()
    # before: "[*] --> acknowledge" alone, completed and cancelled drawn as plain steps
    assert "    [*] --> acknowledge" in lines
    assert "    completed --> [*]" in lines and "    cancelled --> [*]" in lines
    assert "    ignore_reason --> completed : Next" in lines
    dot = run(tmp_path, "flows", "diagram", "metric_breach", "--format", "dot").output
    assert (
        "completed [label=completed" in dot
        and "peripheries=2" in dot.split("completed [label=completed")[1].split("\n")[0]
    )
    assert dot == run(tmp_path, "flows", "diagram", "metric_breach", "--format", "dot").output
