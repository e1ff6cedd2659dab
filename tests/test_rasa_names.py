"""A Rasa participant whose own tracker has no ``decision_user_name`` is named as the facilitator's
start named them (``decision_participants`` as ``{"id", "name"}``). Before, their turns were
recorded under their raw sender id ('rvo0'), so the transcript, ``runs show``, transcript search and
the report's participation said 'rvo0' while the action they own said 'Owner Zero'; their ``done
A12`` told the decision's conversation "rvo0 reported their action done"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.rasa_support import Server, running_actions, texts

FACILITATOR = {"decision_flow": "post_meeting", "decision_user_name": "Ann Facil"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def decide_with_owner(server: Server, facilitator: str, owner: str, title: str) -> int:
    """A post_meeting run started by ``facilitator`` naming ``owner`` 'Owner Zero', whose action
    ``owner`` accepts from a tracker without ``decision_user_name``; the decision recorded.
    Returns the run's id."""
    slots = {**FACILITATOR, "decision_title": title, "decision_participants": [{"id": owner, "name": "Owner Zero"}]}
    _, started = server.act("action_decision_start", facilitator, "/decision_start", slots=slots)
    for answer in ("We ship", "Draft plan", f"@{owner}", "2099-01-15", "done"):
        server.act("action_decision_answer", facilitator, answer, slots=slots)
    _, shown = server.act("action_decision_status", owner, "/decision_status")
    assert any("Do you accept it?" in t for t in texts(shown)), texts(shown)
    server.act("action_decision_answer", owner, "yes")
    for answer in ("ok", "ok"):  # the review date's question is shown, then taken
        server.act("action_decision_answer", facilitator, answer, slots=slots)
    return int(started["events"][0]["value"])


def cli(server: Server, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(server.db), "--flows", "flows", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_participants_answer_is_recorded_under_the_name_the_start_gave(server: Server) -> None:
    run_id = decide_with_owner(server, "rvfac1", "rvo1", "Weekly names")
    assert server.sql("SELECT DISTINCT actor_name FROM messages WHERE actor_id = 'rasa:rvo1'") == [("Owner Zero",)]
    shown = cli(server, "runs", "show", str(run_id))
    assert "Owner Zero > yes" in shown and "rvo1 >" not in shown, shown
    found = [line for line in cli(server, "transcripts", "search", "yes").splitlines() if "owner_accepts" in line]
    assert found and all(" in " in line and "Owner Zero" in line for line in found), found
    rows = [line.split() for line in cli(server, "report").splitlines() if line.startswith("rasa:rvo1 ")]
    assert len(rows) == 3 and all(row[1:3] == ["Owner", "Zero"] for row in rows), rows  # follow-through,
    # participation, answer time


def test_an_owners_action_commands_name_them_as_their_action_does(server: Server) -> None:
    run_id = decide_with_owner(server, "rvfac2", "rvo2", "Weekly commands")
    [(action_id,)] = server.sql("SELECT id FROM actions WHERE owner_id = 'rasa:rvo2'")
    _, listed = server.act("action_my_actions", "rvo2", "/my_actions")
    assert texts(listed)[0].startswith("Owner Zero, your open actions (1):"), texts(listed)
    for command in (f"due A{action_id} 2099-02-01", f"done A{action_id}"):
        status, _ = server.act("action_decision_answer", "rvo2", command)
        assert status == 200
    assert server.sql("SELECT DISTINCT actor_name FROM messages WHERE actor_id = 'rasa:rvo2'") == [("Owner Zero",)]
    changed = server.sql("SELECT DISTINCT actor_name FROM action_changes WHERE actor_id = 'rasa:rvo2'")
    assert changed == [("Owner Zero",)]
    shown = cli(server, "runs", "show", str(run_id))
    assert "Owner Zero reported their action done: 'Draft plan' (from 'Weekly commands')." in shown, shown
    assert "rvo2 >" not in shown, shown


def test_an_owner_named_by_id_from_a_tracker_without_participants_keeps_the_runs_name(server: Server) -> None:
    """The facilitator's later calls carry no ``decision_participants`` (a run that ``serve``'s
    hooks started for them, a slot reset): ``@rvo3`` still names the participant the run knows."""
    slots = {**FACILITATOR, "decision_title": "Bare", "decision_participants": [{"id": "rvo3", "name": "Owner Zero"}]}
    server.act("action_decision_start", "rvfac3", "/decision_start", slots=slots)
    for answer in ("We ship", "Draft plan", "@rvo3", "2099-01-15", "done"):
        server.act("action_decision_answer", "rvfac3", answer, slots=FACILITATOR)
    owner = server.sql("SELECT value FROM answers WHERE field = 'owner' AND actor_id = 'rasa:rvfac3'")
    assert owner == [('{"id": "rasa:rvo3", "name": "Owner Zero"}',)]
    _, shown = server.act("action_decision_status", "rvfac3", "/decision_status")
    assert "waiting for Owner Zero to accept 'Draft plan'" in texts(shown)[0], texts(shown)


def test_a_facilitator_listed_with_a_name_in_their_own_participants_keeps_it(server: Server) -> None:
    """A Rasa assistant that passes everyone at the meeting, the facilitator too, and sets no
    ``decision_user_name``: the facilitator is named as listed, not by their sender id."""
    people = [{"id": "rvfac4", "name": "Ann Lead"}, {"id": "rvo4", "name": "Owner Zero"}]
    slots = {"decision_flow": "post_meeting", "decision_title": "Listed", "decision_participants": people}
    _, started = server.act("action_decision_start", "rvfac4", "/decision_start", slots=slots)
    for answer in ("We ship", "Draft plan", "@rvo4", "2099-01-15", "done"):
        server.act("action_decision_answer", "rvfac4", answer, slots=slots)
    run_id = started["events"][0]["value"]
    roles = server.sql("SELECT json_extract(context, '$.roles') FROM runs WHERE id = ?", run_id)[0][0]
    assert '"facilitator":{"id":"rasa:rvfac4","name":"Ann Lead"}' in roles
    assert '"participants":[{"id":"rasa:rvo4","name":"Owner Zero"}]' in roles
    assert server.sql("SELECT DISTINCT actor_name FROM messages WHERE actor_id = 'rasa:rvfac4'") == [("Ann Lead",)]
    _, shown = server.act("action_decision_status", "rvo4", "/decision_status")
    assert any(t.startswith("Ann Lead assigned you an action from 'Listed'") for t in texts(shown)), texts(shown)
