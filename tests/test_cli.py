"""The CLI as a user runs it: chat (interactive-style, piped and --jsonl), flows, runs, db."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot import config
from bot.cli import main
from bot.cli_chat import typist
from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey
from bot.store import open_db
from tests.dates import FEB1, JAN10

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


@pytest.fixture
def cli(tmp_path: Path):
    runner = CliRunner()
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(ROOT / "flows")]

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, [*base, *args], input=input, catch_exceptions=False)

    return run


def jsonl(*lines: tuple[str | None, str]) -> str:
    return "".join(json.dumps({"as": who, "text": text} if who else {"text": text}) + "\n" for who, text in lines)


POST_MEETING = [
    (None, "We ship in March"),
    (None, "Draft the plan"),
    (None, "@bob"),
    (None, JAN10),
    (None, "done"),
    ("bob", "yes"),
    ("alice", FEB1),
]


def test_chat_jsonl_runs_to_completion_and_prints_one_json_object_per_line(cli, tmp_path: Path) -> None:
    result = cli(
        "chat",
        "post_meeting",
        "-f",
        "alice",
        "-p",
        "bob",
        "--data",
        "title=Weekly sync",
        "--jsonl",
        input=jsonl(*POST_MEETING),
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    first = lines[0]
    assert first["step"] == "decision" and first["to"] == "console:alice"
    assert first["text"] == "What was decided in Weekly sync?"
    assert first["expects"] == {"type": "text", "optional": False}
    due = next(m for m in lines if m.get("step") == "actions" and m["expects"]["type"] == "date")
    assert due["expects"]["not_before"] is not None
    owner = next(m for m in lines if m.get("step") == "owner_accepts")
    assert owner["to"] == "console:bob" and owner["expects"]["type"] == "yes_no" and owner["private"] is True
    final = lines[-1]
    assert final["event"] == "completed" and final["run"] == first["run"]
    record = final["record"]
    assert record["decision"] == "We ship in March"
    assert record["actions"] == [
        {"what": "Draft the plan", "owner": "console:bob", "owner_name": "bob", "due": JAN10, "accepted": True}
    ]
    assert record["review_at"] == FEB1


def test_chat_jsonl_input_ending_early_exits_non_zero_and_keeps_answers(cli) -> None:
    result = cli("chat", "post_meeting", "-f", "alice", "--jsonl", input=jsonl((None, "We ship")))
    assert result.exit_code == 1
    assert (
        'Input ended before run #1 completed; it waits for alice to answer "Action 1: What is the action?"'
        in result.output
    )
    shown = cli("runs", "show", "1", "--json")
    detail = json.loads(shown.output)
    assert detail["run"]["status"] == "active"
    assert [a["value"] for a in detail["answers"]] == ["We ship"]


def test_chat_jsonl_quit_before_the_runs_end_exits_non_zero_as_the_inputs_end_does(cli) -> None:
    """A script's exit status says whether its run completed: '/quit' is its input's end (before,
    exit 0 with the run open, which a script read as completed). Nothing after it is read."""
    result = cli(
        "chat",
        "post_meeting",
        "-f",
        "alice",
        "--jsonl",
        input=jsonl((None, "We ship"), (None, "/quit"), (None, "Draft")),
    )
    assert result.exit_code == 1
    assert (
        'Input ended before run #1 completed; it waits for alice to answer "Action 1: What is the action?"'
        in result.output
    )
    answers = json.loads(cli("runs", "show", "1", "--json").output)["answers"]
    assert [a["value"] for a in answers] == ["We ship"]


def test_a_run_left_with_quit_is_continued_with_run_where_it_stopped(cli) -> None:
    left = cli("chat", "post_meeting", "-f", "alice", "-p", "bob", input="We ship in March\n/help\n/quit\n")
    assert left.exit_code == 0
    assert "no terminal command /help" in left.output
    assert "Left run #1; it stays open" in left.output
    hint = left.output.rsplit("Continue it with: decisionbot ", 1)[1].split()
    assert hint[0] == "--db" and hint[-3:] == ["chat", "--run", "1"]  # pasted, on this ledger
    answers = json.loads(cli("runs", "show", "1", "--json").output)["answers"]
    assert [a["value"] for a in answers] == ["We ship in March"]  # '/help' was not taken as an answer
    rest = f"Draft the plan\n@bob\n{JAN10}\ndone\n/as bob\nyes\n/as alice\n{FEB1}\n"
    resumed = cli("chat", "--run", "1", input=rest)
    assert resumed.exit_code == 0, resumed.output
    assert "(run #1, post_meeting; waiting for alice)" in resumed.output
    shown = [line for line in resumed.output.splitlines() if line.startswith("bot")]
    assert shown[0] == "bot -> alice: Action 1: What is the action?"
    assert "Decision recorded" in resumed.output
    assert json.loads(cli("runs", "show", "1", "--json").output)["run"]["status"] == "completed"
    again = cli("chat", "--run", "1", input="")
    assert again.exit_code != 0 and "Run #1 is completed; nothing to answer" in again.output


def test_a_resumed_run_is_answered_however_many_other_terminal_runs_wait(cli, tmp_path: Path) -> None:
    from bot import config
    from bot.control import run_command
    from bot.dispatch import Dispatcher
    from bot.flow_catalog import FlowCatalog
    from bot.model import Actor, ConversationKey
    from bot.store import open_db

    db = open_db(tmp_path / "cli.db")
    dispatcher = Dispatcher(db, FlowCatalog(ROOT / "flows", db), config.timezone())
    alice = Actor("console:alice", "alice")
    for i in range(501):  # runs routed to the terminal by a server, one queued question each
        run_command(dispatcher, alice, ConversationKey("console", f"t{i}"), "start post_meeting Old")
    run_command(dispatcher, alice, ConversationKey("console", "mine"), "start post_meeting Mine")
    db.conn.close()
    resumed = cli("chat", "--run", "502", input="We ship in March\n")
    assert "What was decided in Mine?" in resumed.output
    assert "Action 1: What is the action?" in resumed.output  # the reply to the answer, past the other 501


def test_chat_takes_a_flow_or_a_run_not_both(cli) -> None:
    refused = (
        ["chat", "post_meeting", "--run", "1"],
        ["chat", "--run", "1", "-f", "alice"],
        ["chat", "-p", "bob"],  # no FLOW: nobody to take part in
        ["chat", "post_meeting", "--as", "bob"],  # --as is for a session of commands only
    )
    for args in refused:
        result = cli(*args)
        assert result.exit_code == 2 and "Name a FLOW to start, --run N to continue an open run" in result.output
    assert "No run #7" in cli("chat", "--run", "7").output


def test_chat_jsonl_rejects_a_line_that_is_not_json(cli) -> None:
    result = cli("chat", "post_meeting", "--jsonl", input="not json\n")
    assert result.exit_code == 2
    assert "Input line 1: not JSON" in result.output


def test_chat_piped_plain_text_switches_speaker_with_as(cli) -> None:
    script = f"We ship\nPlan\n@bob\n{JAN10}\ndone\n/as bob\nyes\n/as alice\nok\n"
    result = cli("chat", "post_meeting", "-f", "alice", "-p", "bob", input=script)
    assert result.exit_code == 0, result.output
    assert "bot -> bob: alice assigned you an action" in result.output
    assert "Decided: We ship" in result.output
    assert "Stored in" in result.output and "as run #1" in result.output


def test_chat_unknown_flow_names_the_known_ones(cli) -> None:
    result = cli("chat", "nope")
    assert result.exit_code == 1
    assert "No flow 'nope'" in result.output and "post_meeting" in result.output


def test_chat_bad_data_option(cli) -> None:
    result = cli("chat", "post_meeting", "--data", "novalue")
    assert result.exit_code == 2 and "--data takes key=value" in result.output


def test_flows_list_validate_show_and_diagram(cli, tmp_path: Path) -> None:
    listed = json.loads(cli("flows", "list", "--json").output)
    assert {f["id"] for f in listed} >= {"post_meeting", "metric_breach", "decision_review"}
    assert cli("flows", "validate").output.strip().endswith("flow file(s) valid.")
    shown = cli("flows", "show", "post_meeting").output
    assert "owner_accepts [yes_no] to each actions.owner" in shown
    assert "review_at [date; from tomorrow; default in 4 weeks] to facilitator" in shown  # was "[date]" alone
    assert "- due [date; from today]: By when" in shown
    assert "actions [repeat; at least 1] to facilitator" in shown  # min_items: 1 was not shown
    breach = cli("flows", "show", "metric_breach").output
    assert "response [choice: Act now (act) | Watch it (watch) | Ignore it (ignore)] to facilitator" in breach
    mermaid = cli("flows", "diagram", "metric_breach").output
    assert "stateDiagram" in mermaid and "ignore_reason" in mermaid
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nsteps:\n  - {id: a, type: text}\n")
    result = cli("flows", "validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}, step 'a': the step has no prompt. Fix: add 'ask: <the question>'" in result.output


def test_flows_show_says_a_fan_out_that_the_first_answer_ends(tmp_path: Path) -> None:
    """complete_when: any was not shown: the approvers' step read like one that waits for all."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "vendor.yaml").write_text(
        "id: vendor\ntitle: Vendor approval\nroles: {facilitator: trigger.facilitator}\nsteps:\n"
        "  - id: approvers\n    type: repeat\n    fields: [{id: who, ask: 'Who approves?', type: person}]\n"
        "  - {id: approval, to: each approvers.who, ask: 'Approve?', type: yes_no, complete_when: any}\n"
        "  - {id: check, to: each approvers.who, ask: 'Checked?', type: yes_no}\n"
    )
    base = ["--db", str(tmp_path / "x.db"), "--flows", str(flows)]
    shown = CliRunner().invoke(main, [*base, "flows", "show", "vendor"]).output
    assert "approval [yes_no; the first answer ends it] to each approvers.who: Approve?" in shown
    assert "check [yes_no] to each approvers.who: Checked?" in shown


def test_runs_list_and_show(cli) -> None:
    cli("chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=jsonl(*POST_MEETING))
    listed = json.loads(cli("runs", "list", "--status", "completed", "--json").output)
    assert [(r["id"], r["flow"], r["status"]) for r in listed] == [(1, "post_meeting", "completed")]
    text = cli("runs", "show", "1").output
    assert "Transcript:" in text and "bob > yes" in text
    assert "Decision 1 (open): We ship in March" in text
    assert f"action 1 (A1): Draft the plan - bob, due {JAN10}, open, accepted" in text
    missing = cli("runs", "show", "99")
    assert missing.exit_code == 1 and "No run #99" in missing.output


def test_runs_show_indents_an_answer_of_several_lines_under_its_line(cli) -> None:
    """Before: the answers' second lines began at the margin, read as lines of their own."""
    said = [(None, "We ship in March\nand keep the EU price"), *POST_MEETING[1:]]
    cli("chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=jsonl(*said))
    lines = cli("runs", "show", "1").output.splitlines()
    at = next(i for i, line in enumerate(lines) if "r1 answer: We ship in March" in line)
    assert lines[at + 1].startswith("      and keep the EU price  (by alice, "), lines[at + 1]
    heads = ("Transcript:", "Answers (every revision):", "Decision 1 (open): We ship in March")
    assert [line for line in lines[1:] if line and not line.startswith("  ")] == list(heads)


def test_runs_show_says_how_a_run_ended_and_where_an_open_one_is(cli, tmp_path: Path) -> None:
    cli("chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=jsonl(*POST_MEETING))
    db = open_db(tmp_path / "cli.db")
    dispatcher = Dispatcher(db, FlowCatalog(ROOT / "flows", db), config.timezone())
    alice = Actor("console:alice", "alice")
    run_command(dispatcher, alice, ConversationKey("console", "one"), "start post_meeting Sync")
    run_command(dispatcher, alice, ConversationKey("console", "two"), "start post_meeting Retro")
    assert run_command(dispatcher, alice, ConversationKey("console", "two"), "cancel 3").ok
    db.conn.close()
    completed, active, cancelled = (cli("runs", "show", n).output.splitlines()[:3] for n in ("1", "2", "3"))
    assert completed[0].endswith(", completed") and ", completed 20" in completed[2]
    assert (
        active[0].endswith(', active, waiting for alice to answer "What was decided in Sync?"')
        and "completed" not in active[2]
    )
    assert cancelled[0].endswith(", cancelled") and ", cancelled 20" in cancelled[2]
    assert "completed" not in cancelled[2]


@pytest.mark.parametrize(
    "command", [["runs", "list"], ["runs", "show", "1"], ["runs", "invite", "1"], ["jobs", "list"]], ids=" ".join
)
def test_commands_that_only_read_refuse_a_ledger_that_does_not_exist(command: list[str], tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "decisons.db"
    result = CliRunner().invoke(main, ["--db", str(typo), "--flows", str(ROOT / "flows"), *command])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: No ledger at {typo}. ") and len(result.output.splitlines()) == 1
    # an operator's command points at the server's ledger, not at the analysts' synthetic history
    assert "DECISIONBOT_DB" in result.output and "demo-data" not in result.output
    hinted = result.output.rsplit("(", 1)[1].split(")")[0].split()  # '<decisionbot> --db PATH serve'
    assert hinted[1:] == ["--db", "PATH", "serve"]  # --db comes before the command: pasted, it parses
    assert CliRunner().invoke(main, [*hinted[1:], "--help"]).exit_code == 0
    assert not typo.parent.exists()


def test_runs_list_says_an_untaken_run_waits_for_anyone_as_runs_show_does(cli) -> None:
    """An alert's run that named nobody: before, ``runs list`` showed its placeholder as a person
    (``facilitator to answer "Who takes this one?"``; ``--json``: ``"facilitator": "slack:facilitator"``)."""
    cli("trigger", "metric_breach", "-c", "slack:C0DEF", "-t", "Disk full")
    [listed] = json.loads(cli("runs", "list", "--json").output)
    untaken = "anyone in slack:C0DEF (nobody has taken the run yet)"
    assert (listed["facilitator"], listed["waiting"], listed["waiting_for"]) == (None, [untaken], ["anyone"])
    assert untaken in cli("runs", "show", "1").output.splitlines()[0]
    assert "Who takes this one" not in cli("runs", "list").output
    cli("chat", "post_meeting", "--jsonl", input=jsonl((None, "We ship")))  # a terminal's run without -f: not "anyone"
    listed = json.loads(cli("runs", "list", "--json").output)[0]
    typing = typist()  # the login name: who types at the terminal leads its run
    assert listed["facilitator"] == f"console:{typing.lower()}" and listed["waiting_for"] == [typing]
    assert "anyone" not in cli("runs", "show", "2").output


def test_runs_list_of_an_untaken_run_waiting_on_its_participants_names_them(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "poll.yaml").write_text(
        "id: poll\ntitle: Poll\nroles:\n  facilitator: trigger.facilitator\n  participants: trigger.participants\n"
        "steps:\n  - {id: vote, to: participants, ask: 'Ship it?', type: yes_no}\n"
    )
    base = ["--db", str(tmp_path / "x.db"), "--flows", str(flows)]
    CliRunner().invoke(main, [*base, "trigger", "poll", "-c", "slack:C0DEF", "-p", "U0BOB,U0CAROL"])
    [listed] = json.loads(CliRunner().invoke(main, [*base, "runs", "list", "--json"]).output)
    assert listed["waiting_for"] == ["U0BOB", "U0CAROL"] and listed["waiting"][0].startswith("U0BOB")


def test_runs_list_names_the_known_flows_for_an_unknown_one(cli) -> None:
    cli("chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=jsonl(*POST_MEETING))
    assert json.loads(cli("runs", "list", "--flow", "metric_breach", "--json").output) == []  # known, no runs yet
    result = cli("runs", "list", "--flow", "nope")
    assert result.exit_code == 1
    assert "No flow 'nope' in " in result.output and "decision_review, metric_breach, post_meeting" in result.output


def test_flows_validate_refuses_an_id_that_differs_from_the_file_name(cli, tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "y.yaml").write_text(
        (ROOT / "flows" / "post_meeting.yaml").read_text().replace("id: post_meeting", "id: z")
    )
    for args in (["--flows", str(folder), "flows", "validate"], ["flows", "validate", str(folder / "y.yaml")]):
        result = cli(*args)
        assert result.exit_code == 1
        assert f"{folder / 'y.yaml'}: the id 'z' differs from the file name. Fix: use id: y" in result.output


def test_db_migrate_is_safe_to_repeat(cli, tmp_path: Path) -> None:
    first = cli("db", "migrate")
    assert "applied, by set of migrations: core m001_initial" in first.output
    assert "schema up to date" in cli("db", "migrate").output


def test_console_script_is_installed_and_runs(tmp_path: Path) -> None:
    env = {**os.environ, "DECISIONBOT_DB": str(tmp_path / "x.db"), "DECISIONBOT_FLOWS": str(ROOT / "flows")}
    exe = Path(sys.executable).with_name("decisionbot")
    out = subprocess.run(
        [str(exe), "chat", "post_meeting", "--jsonl"],
        input=jsonl((None, "x")),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "Input ended" in out.stderr
    assert json.loads(out.stdout.splitlines()[0])["step"] == "decision"


# --- the docs stay honest ----------------------------------------------------------------------


def _commands(group: click.Group, prefix: str = "decisionbot") -> list[tuple[str, click.Command]]:
    found = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, cmd))
        if isinstance(cmd, click.Group):
            found.extend(_commands(cmd, path))
    return found


@pytest.mark.parametrize("path,command", _commands(main), ids=[p for p, _ in _commands(main)])
def test_every_command_has_help_with_an_example_and_is_in_the_readme(path: str, command: click.Command) -> None:
    assert command.help and command.epilog and "Example:" in command.epilog, f"{path} needs help ending in an example"
    assert re.search(rf"`{re.escape(path)}[ `]", README), f"{path} is not documented in README.md"
    shown = CliRunner().invoke(main, [*path.split()[1:], "--help"]).output
    assert "Example:" not in shown.split("Options:")[0], f"{path} --help shows its example before the options"
    assert shown.rstrip().endswith(command.epilog.splitlines()[-1].strip()), (
        f"{path} --help does not end with its example"
    )


@pytest.mark.parametrize("setting", config.SETTINGS, ids=[s.env for s in config.SETTINGS])
def test_every_setting_is_in_the_readme(setting: config.Setting) -> None:
    assert f"`{setting.env}`" in README


def test_readme_architecture_lists_every_module() -> None:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" and path.stat().st_size < 200:
            continue
        assert f"`{rel}`" in README, f"{rel} is missing from the README's architecture list"


def test_diagram_dot_is_text_and_an_image_without_graphviz_is_refused(cli, monkeypatch, tmp_path: Path) -> None:
    dot = cli("flows", "diagram", "post_meeting", "--format", "dot")
    assert dot.exit_code == 0 and dot.output.startswith("digraph ") and "owner_accepts" in dot.output
    written = cli("flows", "diagram", "post_meeting", "-o", str(tmp_path / "new" / "folder" / "d.mmd"))
    assert written.exit_code == 0 and "stateDiagram" in (tmp_path / "new" / "folder" / "d.mmd").read_text()
    monkeypatch.setenv("PATH", str(tmp_path))  # no 'dot' here
    image = tmp_path / "d.svg"
    result = cli("flows", "diagram", "post_meeting", "--format", "svg", "-o", str(image))
    assert result.exit_code == 1 and not image.exists()
    assert result.output == (
        "Error: Graphviz ('dot') is not installed, so there is no svg image; nothing was written."
        " Install graphviz, or use --format mermaid (or dot) for text.\n"
    )


def test_an_output_file_that_cannot_be_written_is_a_one_line_error(cli, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    result = cli("flows", "diagram", "post_meeting", "-o", str(tmp_path / "plain" / "d.mmd"))
    assert result.exit_code == 1 and result.output.startswith(f"Error: Cannot write {tmp_path / 'plain' / 'd.mmd'}: ")
    assert len(result.output.splitlines()) == 1


def test_python_dash_m_bot_is_the_same_command_line(tmp_path):
    """For a venv whose bin/ is not on PATH: ``python -m bot`` runs the CLI under its own name."""
    db = tmp_path / "m.db"
    out = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), "flows", "list"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "post_meeting" in out.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert usage.stdout.startswith("Usage: decisionbot ")


def test_hints_name_the_command_as_this_terminal_runs_it(tmp_path, monkeypatch):
    """After the README's install the venv's bin/ is not on PATH: 'See it again with: decisionbot
    ...' did not work when pasted. A hint names decisionbot as it was run."""
    from bot.texts._common import command

    exe = Path(sys.executable).with_name("decisionbot")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(sys, "argv", [".venv/bin/decisionbot", "chat"])
    assert command() == ".venv/bin/decisionbot"
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bot" / "__main__.py"), "runs"])
    assert command() == f"{sys.executable} -m bot"
    monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")
    monkeypatch.setattr(sys, "argv", [str(exe), "chat"])
    assert command() == "decisionbot"  # on PATH: the short name works
    out = subprocess.run(
        [str(exe), "--db", str(tmp_path / "h.db"), "runs", "cancel", "7"],
        capture_output=True, text=True, env={**os.environ, "PATH": "/usr/bin:/bin"}, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and f"({exe} --db PATH serve)" in out.stderr  # pasted, it works here


def test_a_dot_diagram_is_the_same_text_at_every_run(cli) -> None:
    first = cli("flows", "diagram", "metric_breach", "--format", "dot").output
    second = cli("flows", "diagram", "metric_breach", "--format", "dot").output
    assert first == second
    assert re.search(r"_\d{6,}", first) is None  # no Python object ids, which differ between processes
    assert "__initial_1 -> acknowledge" in first
