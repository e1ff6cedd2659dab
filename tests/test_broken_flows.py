"""Broken flow files as people write them: each is refused at load with its file, step and fix,
by `flows validate`, `chat`, `serve` and the triggers; the other flows of the folder run."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from bot.admission import Admission
from bot.cli import main
from bot.control import run_command
from bot.model import Actor, ConversationKey, Trigger
from bot.server import create_app
from tests.clock import Clock
from tests.dates import FEB1, JAN10
from tests.triggers.conftest import ALICE, BOB, CONV, NOW, Process

ROOT = Path(__file__).resolve().parents[1]

ONE_STEP = "  - id: decision\n    ask: What was decided?\n    type: text\n"

#: name: (text, step named, what the problem says, what the fix says)
BROKEN: dict[str, tuple[str, str | None, str, str]] = {
    "yaml_syntax": (
        'title: T\nsteps:\n  - id: decision\n    ask: "What was decided?\n    type: text\n',
        None,
        "YAML syntax error at line 7, column 1: found unexpected end of stream",
        "correct the indentation or quoting there",
    ),
    "unknown_type": (
        "title: T\nsteps:\n  - id: decision\n    ask: What?\n    type: txt\n",
        "decision",
        "'type' is invalid: 'txt' is not one of",
        "use one of 'text', 'choice'",
    ),
    "missing_target": (
        "title: T\nsteps:\n" + ONE_STEP + "    next: reveiw\n  - {id: review, ask: 'When?', type: date}\n",
        "decision",
        "branches to unknown step 'reveiw'",
        "name a step of this flow, or completed",
    ),
    "unreachable": (
        "title: T\nsteps:\n" + ONE_STEP + "    next: completed\n  - {id: orphan, ask: 'Never?', type: text}\n",
        "orphan",
        "this step is never reached",
        "branch to it or remove it",
    ),
    "duplicate_ids": (
        "title: T\nsteps:\n" + ONE_STEP + ONE_STEP,
        "decision",
        "the step id 'decision' is used twice",
        "give every step its own id",
    ),
    "unknown_answer": (
        "title: T\nsteps:\n" + ONE_STEP + '  - {id: confirm, ask: "You said {{ decison }}. Right?", type: yes_no}\n',
        "confirm",
        "the prompt of the step refers to unknown name(s) 'decison'",
        "use trigger.<field>, a step id, or item.<field>",
    ),
    "impossible_date": (  # YAML's own date reading raised ValueError: a traceback, and no flow of the folder loaded
        "title: T\nsteps:\n  - {id: review_at, ask: 'When?', type: date, not_before: 2027-02-30}\n",
        "review_at",
        "the date bound '2027-02-30' is not understood",
        "write a day as an answer would name it: today, tomorrow, in 2 weeks, end of month or an ISO date",
    ),
    "bad_date_bound": (
        "title: T\nsteps:\n  - {id: review_at, ask: 'When?', type: date, not_before: next tuesdy}\n",
        "review_at",
        "the date bound 'next tuesdy' is not understood",
        "write a day as an answer would name it: today, tomorrow, in 2 weeks, end of month or an ISO date",
    ),
    "no_title": (
        "steps:\n" + ONE_STEP,
        None,
        "the flow is missing a required key: 'title'",
        "add it",
    ),
    "no_options": (
        "title: T\nsteps:\n  - {id: response, ask: 'What now?', type: choice}\n",
        "response",
        "the step is a choice without options",
        "add 'options: [a, b, c]'",
    ),
    "reserved_step_id": (  # valid to the schema, and crashed the turn that moved to it
        "title: T\nsteps:\n" + ONE_STEP + "  - {id: next, ask: 'What happens next?', type: text}\n",
        "next",
        "the step id 'next' is a reserved name: the engine moves every run on with an event of that name",
        "rename it, e.g. 'next_step', wherever the flow names it",
    ),
    "tabs": (
        "title: T\nsteps:\n\t- id: decision\n\t  ask: What?\n\t  type: text\n",
        None,
        "YAML syntax error at line 4, column 1: found character '\\t' that cannot start any token",
        "indent with spaces, not tabs",
    ),
    "empty": ("", None, "the file is empty", "write the flow: 'id:', 'title:', 'steps:'"),
    "help_a_template": (  # shown as written: people read 'The amount for {{ vendor }}'
        "title: T\nsteps:\n  - {id: vendor, ask: 'Which vendor?', type: text}\n"
        "  - {id: amount, ask: 'How much?', type: number, help: 'The amount for {{ vendor }}'}\n",
        "amount",
        "'help' of the step holds a template ({{ ... }}), but it is shown as written, not filled in",
        "write 'help' as plain text; only the prompt ('ask') fills in names",
    ),
    "option_numbered_elsewhere": (  # the menu shows '1) 3 2) 2 3) 1': typing 1 stored '1', the third
        "title: T\nsteps:\n  - {id: prio, ask: 'Priority?', type: choice, options: ['3', '2', '1']}\n",
        "prio",
        "the option '3' of the step is option 1 of the menu, where '3' typed names another",
        "list numbered options in their own order (1, 2, 3), or give each a label in words",
    ),
    "option_a_chat_word": (  # typing 'back' went back, 'cancel' asked to cancel: chosen by number only
        "title: T\nsteps:\n  - {id: nxt, ask: 'Next?', type: choice, options: [ship, back, hold]}\n",
        "nxt",
        "the option 'back' of the step is a word people type to go back: typed, it would go back, not answer",
        "name option 2 in other words, its value and label alike (e.g. 'Go back to the plan')",
    ),
    "invite_time_unpadded": (  # its fix was the one for ids: 'use lowercase letters, digits and underscores'
        "title: T\nsteps:\n  - {id: d, ask: 'D?', type: date}\n"
        "on_complete:\n  - calendar_invite: {at: d, time: '9:30', duration: 30m}\n",
        None,
        "'on_complete.calendar_invite.time' is invalid: '9:30' does not match",
        "write the time of day as HH:MM on a 24-hour clock, two digits each: 09:30, 14:00",
    ),
    "label_twice_budget": (  # its fix offered 'label: budget', the label refused
        "title: T\nsteps:\n  - {id: amount, ask: 'How much?', type: number, label: budget}\n"
        "  - {id: cap, ask: 'Cap?', type: number, label: budget}\n",
        "cap",
        "the label 'budget' of the step is also the label of step 'amount'",
        "make it a short name of this answer alone, as messages say it after 'the', e.g. 'label: budget cap'"
        " ('Changed the budget cap: ...'), or remove it",
    ),
    "billion_laughs": (  # 1 KB of aliases: 30 s and 1.2 GB to read before, more a level deeper
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True))
        + "title: T\nsteps:\n  - {id: s, ask: 'A?', type: text}\n",
        None,
        "the file holds over 200,000 values once its YAML aliases (*name) are written out",
        "write the steps out, without aliases nested in aliases",
    ),
    "branch_never_taken": (  # an option's value misspelt in a condition: the branch was silently never taken
        "title: T\nsteps:\n  - {id: response, ask: 'What now?', type: choice, options: [act, ignore],"
        " next: [{when: \"response == 'ignor'\", goto: reason}, {goto: completed}]}\n"
        "  - {id: reason, ask: 'Why?', type: text}\n",
        "response",
        "the condition \"response == 'ignor'\" compares 'response' with 'ignor', which a choice answer never is",
        "compare 'response' with one of 'act', 'ignore'",
    ),
    "key_twice": (  # YAML kept the second 'next:' silently
        "title: T\nsteps:\n"
        + ONE_STEP
        + "    next: completed\n    next: review\n  - {id: review, ask: 'When?', type: date}\n",
        None,
        "the key 'next' is written twice in one mapping, at lines 7 and 8: YAML keeps only the last",
        "keep one of them",
    ),
    "blank_prompt": (  # loaded, and its question refused by Slack in a DM: no text
        "title: T\nsteps:\n  - {id: decision, ask: '{% if false %}What was decided?{% endif %}', type: text}\n",
        "decision",
        "the prompt of the step is blank in every run: chat platforms refuse an empty message",
        "write the question as text, outside any {% if %} that is never true",
    ),
    "blank_field_prompt": (
        "title: T\nsteps:\n  - id: actions\n    type: repeat\n    fields:\n      - {id: what, ask: '  ', type: text}\n",
        "actions",
        "the prompt of field 'what' is blank in every run: chat platforms refuse an empty message",
        "write the question as text, outside any {% if %} that is never true",
    ),
    "schedules_a_typo": (
        "title: T\nsteps:\n  - {id: review_at, ask: 'When?', type: date}\n"
        "on_complete:\n  - schedule_flow: {flow: decision_reveiw, at: review_at}\n",
        None,
        "schedule_flow names the flow 'decision_reveiw', which is not in the flows folder",
        "use one of ",
    ),
}


def write_broken(folder: Path, name: str) -> Path:
    text = BROKEN[name][0]
    path = folder / f"{name}.yaml"
    path.write_text(f"id: {name}\n{text}" if text else "", encoding="utf-8")
    return path


def said(path: Path, name: str) -> str:
    """The one line that refuses ``name``: file, step, problem, fix."""
    _, step, problem, fix = BROKEN[name]
    where = f"{path}, step '{step}'" if step else str(path)
    return f"{where}: " + problem, f"Fix: {fix}"


def cli(tmp_path: Path, flows: Path, *args: str, input: str | None = None):
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(flows)]
    return CliRunner().invoke(main, [*base, *args], input=input, catch_exceptions=False)


POST_MEETING = [
    {"text": "We ship in March"},
    {"text": "Draft the plan"},
    {"text": "@bob"},
    {"text": JAN10},
    {"text": "done"},
    {"as": "bob", "text": "yes"},
    {"as": "alice", "text": FEB1},
]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_is_refused_with_its_file_step_and_fix(name: str, folder: Path, tmp_path: Path) -> None:
    path = write_broken(folder, name)
    problem, fix = said(path, name)
    alone = cli(tmp_path, folder, "flows", "validate", str(path))
    assert alone.exit_code == 1 and alone.stdout == ""
    assert problem in alone.stderr and fix in alone.stderr, alone.stderr
    whole = cli(tmp_path, folder, "flows", "validate")  # the folder: the good ones pass, this one is named
    assert whole.exit_code == 1 and problem in whole.stderr and fix in whole.stderr
    own = cli(tmp_path, folder, "chat", name, "-f", "alice", "--jsonl", input="")
    assert own.exit_code == 1 and problem in own.stderr and fix in own.stderr
    assert own.stderr.startswith("Error: ") and own.stderr.count(problem) == 1  # said once, as the error
    assert "No flow" not in own.stderr  # refused, not unknown: the operator is told what to fix
    triggered = cli(tmp_path, folder, "trigger", name, "--channel", "console", "-f", "alice")
    assert triggered.exit_code == 1 and triggered.stderr.startswith("Error: ") and problem in triggered.stderr


@pytest.mark.parametrize("name", ["tabs", "unknown_type", "empty", "impossible_date"])
def test_a_broken_flow_does_not_stop_chat_with_the_others_and_is_named(name: str, folder: Path, tmp_path: Path) -> None:
    path = write_broken(folder, name)
    problem, fix = said(path, name)
    script = "".join(json.dumps(line) + "\n" for line in POST_MEETING)
    result = cli(tmp_path, folder, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=script)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["event"] == "completed"  # standard output stays JSON lines
    assert result.stderr.startswith("Warning: Flow refused, the other flows run without it: ")
    assert problem in result.stderr and fix in result.stderr
    listed = cli(tmp_path, folder, "flows", "list", "--json")
    assert listed.exit_code == 0 and {f["id"] for f in json.loads(listed.stdout)} == {
        "post_meeting",
        "metric_breach",
        "decision_review",
    }
    assert problem in listed.stderr


def test_flows_validate_names_every_broken_file_not_only_the_first(folder: Path, tmp_path: Path) -> None:
    paths = [write_broken(folder, name) for name in ("tabs", "no_title", "unreachable")]
    result = cli(tmp_path, folder, "flows", "validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 3 of 6 flow files refused; the other 3 valid:"
    for path, name in zip(paths, ("tabs", "no_title", "unreachable"), strict=True):
        problem, fix = said(path, name)
        assert any(line.startswith(f"  {problem}") and line.endswith(BROKEN[name][3]) for line in lines), name
    given = cli(tmp_path, folder, "flows", "validate", *map(str, paths))
    assert given.exit_code == 1 and given.stderr.startswith("Error: 3 of 3 flow files refused:")


def test_a_folder_where_no_flow_loads_refuses_everything(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    paths = [write_broken(folder, name) for name in ("tabs", "no_title")]
    result = cli(tmp_path, folder, "chat", "tabs", "--jsonl", input="")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "Error: No flow file loads; nothing to run:"
    assert all(str(p) in result.stderr for p in paths)


def test_a_bom_at_the_start_of_a_flow_file_is_read_as_the_editor_meant(folder: Path, tmp_path: Path) -> None:
    text = (folder / "post_meeting.yaml").read_text(encoding="utf-8")
    (folder / "post_meeting.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = cli(tmp_path, folder, "flows", "validate")
    assert result.exit_code == 0 and result.stdout == "3 flow file(s) valid.\n"


@pytest.mark.parametrize("name", ["missing_target", "reserved_step_id"])
def test_serve_runs_the_good_flows_and_names_the_broken_one_in_its_log_and_healthz(
    name: str, folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_broken(folder, name)
    problem, fix = said(path, name)

    async def check() -> None:
        with caplog.at_level(logging.ERROR, logger="decisionbot"):
            app = create_app(tmp_path / "s.db", folder, env={})
        assert any(problem in r.getMessage() and fix in r.getMessage() for r in caplog.records)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            health = await (await client.get("/healthz")).json()
        finally:
            await client.close()
        assert health["status"] == "ok"
        assert problem.replace(str(path), path.name) in health["flows_refused"][name]
        # anyone who reaches the server reads /healthz: the file within the flows folder, not its path there
        assert health["flows_refused"][name].startswith(f"{name}.yaml")
        assert str(tmp_path) not in json.dumps(health)

    asyncio.run(check())


def test_starting_a_refused_flow_in_chat_says_it_is_refused_not_unknown(folder: Path, tmp_path: Path) -> None:
    write_broken(folder, "no_options")
    proc = Process(tmp_path / "t.db", folder, Clock(NOW))
    try:
        result = run_command(
            proc.bot, Actor("console:alice", "alice"), ConversationKey("console", "r"), "start no_options"
        )
        assert not result.ok
        assert result.text.startswith("The flow 'no_options' cannot start: its file has an error.")
        started = run_command(
            proc.bot, Actor("console:alice", "alice"), ConversationKey("console", "r"), "start post_meeting"
        )
        assert started.ok
    finally:
        proc.db.conn.close()


def test_a_trigger_routed_to_a_refused_flow_is_kept_with_the_reason(folder: Path, tmp_path: Path) -> None:
    path = write_broken(folder, "unknown_answer")
    problem, _ = said(path, "unknown_answer")
    payload = tmp_path / "event.json"
    payload.write_text(
        json.dumps({"title": "Drift", "flow": "unknown_answer", "channel": "console", "facilitator": "alice"})
    )
    result = cli(tmp_path, folder, "routes", "test", str(payload), "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["problem"].startswith(f"the flow 'unknown_answer' is refused until its file is fixed ({problem}")


def test_a_review_whose_flow_is_refused_waits_for_the_fix(folder: Path, tmp_path: Path) -> None:
    clock = Clock(NOW)
    proc = Process(tmp_path / "t.db", folder, clock)

    trigger = Trigger(flow="post_meeting", source="console", title="Sync", facilitator=ALICE, participants=[BOB],
                      conversation=CONV)  # fmt: skip
    proc.bot.admit([Admission(trigger)])
    for who, text in (
        (ALICE, "We ship"), (ALICE, "Plan"), (ALICE, "bob"), (ALICE, "2026-11-30"), (ALICE, "done"),
        (BOB, "yes"), (ALICE, "2026-12-10"),
    ):  # fmt: skip
        proc.say(who, text)
    good = (folder / "decision_review.yaml").read_text()
    (folder / "decision_review.yaml").write_text(good.replace("type: yes_no", "type: yesno", 1))
    proc = proc.restart()
    clock.at(days=14)
    ran = [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]
    assert ran == [("start_flow", "retry")]  # not marked failed: the review is not lost
    assert proc.rows("SELECT done_at FROM jobs WHERE kind = 'start_flow'") == [(None,)]
    (folder / "decision_review.yaml").write_text(good)
    proc = proc.restart()
    clock.at(days=14, minutes=10)  # the claim has lapsed
    ran = [(j.kind, outcome) for j, outcome in asyncio.run(proc.scheduler.run_due())]
    assert ("start_flow", "done: run 2") in ran
    proc.db.conn.close()


def test_a_flow_file_not_in_utf8_is_refused_alone_and_a_running_server_still_reloads(
    folder: Path, tmp_path: Path
) -> None:
    """A file saved as Latin-1 escaped as a UnicodeDecodeError: a traceback from the CLI, and a
    running server's every reload failed without naming it (edits to good files never picked up)."""
    import asyncio
    import os

    from bot.flow_catalog import FlowCatalog, reload_flows
    from bot.store import open_db

    latin = folder / "latin.yaml"
    latin.write_bytes("id: latin\ntitle: Caf\xe9 review\nsteps: []\n".encode("latin-1"))
    problem = f"{latin}: is not UTF-8 text (byte 0xe9 at offset 20)"
    checked = cli(tmp_path, folder, "flows", "validate")
    assert checked.exit_code == 1 and problem in checked.stderr and "save the file as UTF-8" in checked.stderr
    listed = cli(tmp_path, folder, "flows", "list", "--json")
    assert listed.exit_code == 0 and "latin" not in {f["id"] for f in json.loads(listed.stdout)}
    assert problem in listed.stderr

    latin.unlink()
    catalog = FlowCatalog(folder, open_db(tmp_path / "reload.db"))
    latin.write_bytes("id: latin\ntitle: Caf\xe9 review\nsteps: []\n".encode("latin-1"))
    post = folder / "post_meeting.yaml"
    post.write_text(post.read_text().replace("title: ", "title: Renamed ", 1))
    stamp = post.stat()
    os.utime(post, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 5_000_000_000))
    failed = None
    for _ in range(3):  # a change is taken once it looked the same twice
        failed = asyncio.run(reload_flows(catalog, failed))
    assert catalog.current["post_meeting"].title.startswith("Renamed ")
    assert "latin" in catalog.refused and "not UTF-8" in str(catalog.refused["latin"])
