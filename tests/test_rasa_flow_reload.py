"""A flow file added, edited or broken while `decisionbot rasa-actions` runs is picked up as
`decisionbot serve` picks it up (tests/test_flow_reload.py): the real rasa-sdk action server in a
subprocess on a folder of its own, sent Rasa's requests; what it logged read from its output."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rasa_support import RASA_ACTIONS, ROOT, Server, start_server, stop, texts

CLI = RASA_ACTIONS
PICKED_UP = 15.0  # seconds a change may take to be seen (looked for once a second, loaded once settled)
SHIPPED = ("post_meeting", "metric_breach", "decision_review")
IN_FLIGHT = " Runs in flight go on with the version they started on."
TWO_STEPS = """id: steady
title: Steady
steps:
  - id: decision
    ask: What was decided?
    type: text
  - id: follow_up
    ask: What happens next?
    type: text
"""


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("flows")
    for name in SHIPPED:
        shutil.copy(ROOT / "flows" / f"{name}.yaml", folder)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, flows: Path) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("rasa"), CLI, flows=flows)
    yield running
    stop(running)


def mark(server: Server) -> int:
    """Where the server's output ends now: what it logs from here on is read after this."""
    return len(server.log.read_text())


def logged(server: Server, since: int, part: str) -> list[str]:
    return [line for line in server.log.read_text()[since:].splitlines() if part in line]


def wait_logged(server: Server, since: int, part: str) -> str:
    """The first line with ``part`` logged after ``since``; fails after PICKED_UP seconds."""
    deadline = time.monotonic() + PICKED_UP
    while not (found := logged(server, since, part)):
        assert time.monotonic() < deadline, f"not logged: {part!r}\n{server.log.read_text()[since:]}"
        time.sleep(0.1)
    return found[0]


def start(server: Server, sender: str, flow: str, title: str = "Weekly sync") -> tuple[int | None, list[str]]:
    slots = {"decision_flow": flow, "decision_title": title}
    status, body = server.act("action_decision_start", sender, "/decision_start", slots=slots)
    assert status == 200, body
    events: list[dict[str, Any]] = body["events"]
    return (events[0]["value"] if events else None), texts(body)


def answer(server: Server, sender: str, text: str) -> list[str]:
    status, body = server.act("action_decision_answer", sender, text)
    assert status == 200, body
    return texts(body)


def test_a_flow_file_added_while_running_starts_without_a_restart(server: Server, flows: Path) -> None:
    _, unknown = start(server, "ann", "quick")
    assert unknown[0].startswith("There is no flow 'quick'.")
    since = mark(server)
    (flows / "quick.yaml").write_text(TWO_STEPS.replace("steady", "quick").replace("Steady", "Quick"))
    line = wait_logged(server, since, "Flows reloaded from ")
    assert line.endswith(f"INFO     decisionbot  - Flows reloaded from {flows}: added quick.{IN_FLIGHT}")

    run_id, said = start(server, "ann", "quick", title="")
    assert said == [f"Started run #{run_id} (quick).", "What was decided?"]
    assert answer(server, "ann", "We ship") == ["What happens next?"]
    assert server.sql("SELECT flow_id, status FROM runs WHERE id = ?", run_id) == [("quick", "active")]


def test_an_edited_question_is_asked_by_new_runs_while_a_run_started_before_keeps_its_version(
    server: Server, flows: Path
) -> None:
    before, said = start(server, "olga", "post_meeting")
    assert said[1] == "What was decided in Weekly sync?"
    path = flows / "post_meeting.yaml"
    text = path.read_text()
    edited = text.replace("What was decided in", "What did we decide in").replace(
        '"What is the action?"', '"What needs doing?"'
    )
    assert edited.count("What did we decide in") == 1 and edited.count("What needs doing?") == 1
    since = mark(server)
    path.write_text(edited)
    line = wait_logged(server, since, "Flows reloaded from ")
    assert line.endswith(f"Flows reloaded from {flows}: updated post_meeting.{IN_FLIGHT}")

    after, said = start(server, "nick", "post_meeting")
    assert said == [f"Started run #{after} (post_meeting).", "What did we decide in Weekly sync?"]
    assert answer(server, "nick", "We ship in March") == ["Action 1: What needs doing?"]
    assert answer(server, "olga", "We ship in March") == ["Action 1: What is the action?"]  # its own version
    versions = server.sql("SELECT flow_version FROM runs WHERE id IN (?, ?) ORDER BY id", before, after)
    assert len({v for (v,) in versions}) == 2


def test_a_flow_file_broken_while_running_is_one_error_naming_file_step_and_fix_and_the_last_good_version_answers(
    server: Server, flows: Path
) -> None:
    path = flows / "steady.yaml"
    since = mark(server)
    path.write_text(TWO_STEPS)
    wait_logged(server, since, "added steady")
    run_id, said = start(server, "pat", "steady")
    assert said == [f"Started run #{run_id} (steady).", "What was decided?"]

    since = mark(server)
    path.write_text(TWO_STEPS[: TWO_STEPS.rindex("type: text")] + "type: txt\n")  # step 'follow_up' broken
    error = wait_logged(server, since, "Flow refused on reload")
    assert " ERROR    decisionbot  - " in error
    assert f"{path}, step 'follow_up': 'type' is invalid: 'txt' is not one of" in error and "Fix: use one of" in error
    line = wait_logged(server, since, "Flows reloaded from ")
    assert line.endswith(f"Flows reloaded from {flows}: refused steady.{IN_FLIGHT}")

    assert answer(server, "pat", "We ship") == ["What happens next?"]  # the run in flight, on its version
    ended = answer(server, "pat", "Ask finance")  # a flow of no summary: where the run stands, not silence
    assert len(ended) == 1 and ended[0].startswith(f"Run #{run_id} steady 'Weekly sync': completed ")
    assert server.sql("SELECT status FROM runs WHERE id = ?", run_id) == [("completed",)]
    _, refused = start(server, "quinn", "steady")  # a new run of it waits for the fix, as with serve
    assert refused == [
        "The flow 'steady' cannot start: its file has an error."
        " Ask whoever runs decisionbot to check it with: decisionbot flows validate"
    ]
    other, said = start(server, "quinn", "metric_breach", title="Drift")  # the other flows run
    assert said[0] == f"Started run #{other} (metric_breach)."
    time.sleep(2.5)  # looked at twice more: said once
    assert len(logged(server, since, "Flow refused on reload")) == 1
    assert len(logged(server, since, "Flows reloaded from ")) == 1


def test_a_folder_where_no_flow_loads_any_more_keeps_the_last_good_flows_answering(server: Server, flows: Path) -> None:
    good = {p: p.read_text() for p in flows.glob("*.yaml")}
    since = mark(server)
    try:
        for path in good:
            path.write_text("title: [broken\n")
        said = wait_logged(server, since, f"No flow file in {flows} loads any more")
        assert " ERROR    decisionbot  - " in said
        assert "keeps running the last good versions of decision_review, metric_breach, post_meeting, quick" in said
        run_id, started = start(server, "rosa", "post_meeting")
        assert started == [f"Started run #{run_id} (post_meeting).", "What did we decide in Weekly sync?"]
    finally:
        for path, text in good.items():
            path.write_text(text)
