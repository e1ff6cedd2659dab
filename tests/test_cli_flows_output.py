"""What ``flows show``, ``flows validate`` and ``runs show`` print for a flow author or a facilitator,
run as the CLI is run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.engine.reader import flow_files, load_folder

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str, flows: Path = ROOT / "flows", input: str | None = None):
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(flows)]
    return CliRunner().invoke(main, [*base, *args], input=input, catch_exceptions=False)


def test_a_prompt_of_several_lines_is_indented_under_its_step(tmp_path):
    result = run(tmp_path, "flows", "show", "decision_review")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    at = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("  2. outcome [choice: Keep it (keep) | Change it (change) | Drop it (drop)]")
    )
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


def test_validate_counts_a_file_given_twice_once(tmp_path, monkeypatch):
    """A file named on its own and within its folder (or by another spelling of its path) is one
    file: before, ``flows validate flows/post_meeting.yaml flows`` said one more than the folder holds,
    and a bad file given so was named twice."""
    monkeypatch.chdir(ROOT)
    in_folder = len(flow_files(ROOT / "flows"))
    for args in (["flows/post_meeting.yaml", "flows"], ["flows", "./flows/post_meeting.yaml"], ["flows", "flows"]):
        result = run(tmp_path, "flows", "validate", *args)
        assert (result.exit_code, result.output) == (0, f"{in_folder} flow file(s) valid.\n"), args
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "good.yaml").write_text("id: good\ntitle: Good\nsteps:\n  - {id: what, ask: 'What?', type: text}\n")
    bad = folder / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nsteps:\n  - {id: what, ask: 'What?', type: choice}\n")
    result = run(tmp_path, "flows", "validate", str(bad), str(folder))
    assert result.exit_code == 1
    assert result.output.count("the step is a choice without options") == 1, result.output


def test_show_names_a_choice_by_the_label_people_pick_and_the_value_conditions_compare(tmp_path):
    result = run(tmp_path, "flows", "show", "metric_breach")
    # before: "[choice: act | watch | ignore]", while the chat offers "1) Act now  2) Watch it  3) Ignore it"
    assert (
        "  3. response [choice: Act now (act) | Watch it (watch) | Ignore it (ignore)] to facilitator" in result.output
    )
    assert "       -> ignore_reason when response == 'ignore'" in result.output


def test_runs_show_names_a_choice_answer_by_its_label_and_value(tmp_path):
    said = run(
        tmp_path, "chat", "metric_breach", "-f", "alice", "--data", "title=Conversion", input="me\n2\nWatch EU\nok\n"
    )
    assert said.exit_code == 0, said.output
    assert "2) Watch it" in said.output
    shown = run(tmp_path, "runs", "show", "1").output
    # before: "response r1 answer: watch", a value the chat never showed
    assert "  the answer to 'What do we do about it?', r1 answer: Watch it (watch)  (by alice, " in shown
    assert "  the plan, r1 answer: Watch EU  (by alice, " in shown
    as_json = run(tmp_path, "runs", "show", "1", "--json").output
    assert '"value": "watch"' in as_json  # the ledger's value, for analysts


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


def test_validate_refuses_a_pipe_named_as_a_flow_file_without_waiting_on_it(tmp_path):
    """A FIFO ``x.yaml`` in a flows folder: before, ``flows validate`` (and ``serve``'s load) opened
    it and waited for a writer for good; now it is refused at once, named, and the others load."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "good.yaml").write_text("id: good\ntitle: Good\nsteps:\n  - {id: what, ask: 'What?', type: text}\n")
    os.mkfifo(folder / "x.yaml")
    exe = Path(sys.executable).with_name("decisionbot")
    env = {**os.environ, "DECISIONBOT_DB": str(tmp_path / "x.db")}
    out = subprocess.run(
        [str(exe), "flows", "validate", str(folder)], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert out.stderr.startswith(f"Error: {folder / 'x.yaml'}: is not a regular file (a directory, pipe or device)")
    assert "Fix: put the flow in a regular file" in out.stderr
    flows, refused = load_folder(folder)
    assert (list(flows), list(refused)) == (["good"], ["x"])


def test_an_action_without_a_due_date_reads_no_due_date_in_the_summary_and_status(tmp_path):
    """Before: "Draft it - bob, due no due date" in the summary and in ``status N``."""
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "nodue.yaml").write_text(
        "id: nodue\ntitle: No due\nsteps:\n  - id: actions\n    ask: Actions?\n    type: repeat\n    fields:\n"
        "      - {id: what, ask: 'What?', type: text}\n      - {id: owner, ask: 'Who?', type: person}\n"
        "      - {id: due, ask: 'By when?', type: date, optional: true}\n"
        "record:\n  actions: actions\non_complete:\n  - post_summary: conversation\n"
    )
    result = run(tmp_path, "chat", "nodue", flows=folder, input="Draft it\n@bob\nskip\ndone\nstatus 1\n")
    assert "      1. Draft it - bob, no due date (not confirmed yet)\n" in result.output
    assert "  A1 Draft it - bob, no due date (open)\n" in result.output
    assert "due no due date" not in result.output


def test_a_link_to_no_file_in_the_flows_folder_is_called_so(tmp_path: Path) -> None:
    """Before, a dangling symbolic link was called "not a regular file (a directory, pipe or device)"."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "good.yaml").write_text("id: good\ntitle: Good\nsteps:\n  - {id: what, ask: 'What?', type: text}\n")
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    exe = Path(sys.executable).with_name("decisionbot")
    env = {**os.environ, "DECISIONBOT_DB": str(tmp_path / "x.db")}
    out = subprocess.run(
        [str(exe), "flows", "validate", str(folder)], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert out.stderr.startswith(
        f"Error: {folder / 'gone.yaml'}: is a symbolic link to {tmp_path / 'nowhere.yaml'}, which does not exist"
    ), out.stderr
    assert "Fix: point the link at a file that exists, or remove the link" in out.stderr
    flows, refused = load_folder(folder)
    assert (list(flows), list(refused)) == (["good"], ["gone"])
