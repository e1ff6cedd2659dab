"""docs/rasa.md as a Rasa developer uses it: its endpoints.yml read the way Rasa reads it, its
domain.yml and rules.yml naming what the action server serves, and the timers it needs run."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.channels.rasa_edge import ACTION_NAMES
from bot.cli import main
from tests.rasa_support import ROOT, Server, running_actions, texts

DOC = (ROOT / "docs" / "rasa.md").read_text()


def snippet(first_line: str) -> str:
    """The docs' YAML block that starts with ``first_line`` (after any version line)."""
    found = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if first_line in b.splitlines()[:2]]
    assert len(found) == 1, f"docs/rasa.md has no single YAML block starting {first_line!r}"
    return str(found[0])


class RasaLoader(yaml.SafeLoader):
    """YAML as Rasa 3.x reads endpoints.yml (rasa/shared/utils/io.py, replace_environment_variables):
    ``${VAR}`` is replaced by an implicit resolver, which YAML applies to plain scalars only."""


def _expand(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return os.path.expandvars(str(loader.construct_scalar(node)))


RasaLoader.add_implicit_resolver("!env_var", re.compile(r"^(.*)\$\{(.*)\}(.*)$"), None)
RasaLoader.add_constructor("!env_var", _expand)


def test_the_endpoints_token_reaches_rasa_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docs quoted ``"${DECISIONBOT_RASA_TOKEN}"``: Rasa then sends those 24 characters as the
    token, and every action call gets 401. Unquoted, Rasa sends the variable's value."""
    monkeypatch.setenv("DECISIONBOT_RASA_TOKEN", "s3cr3t")
    endpoints = yaml.load(snippet("action_endpoint:"), Loader=RasaLoader)
    assert endpoints["action_endpoint"]["token"] == "s3cr3t"


def test_the_domain_declares_what_the_actions_serve_and_read() -> None:
    domain: dict[str, Any] = yaml.safe_load(snippet("intents:"))
    assert set(domain["actions"]) == set(ACTION_NAMES)
    read = {"decision_flow", "decision_title", "decision_participants", "decision_data", "decision_user_name"}
    assert read | {"decision_run", "decision_due", "decision_owner", "decision_owner_id"} <= set(domain["slots"])
    assert domain["forms"]["decision_form"]["required_slots"] == ["decision_due", "decision_owner"]
    rules = yaml.safe_load(snippet("rules:"))["rules"]
    steps = [step for rule in rules for step in rule["steps"]]
    assert {s["action"] for s in steps if "action" in s} <= set(ACTION_NAMES)
    assert {s["intent"] for s in steps if "intent" in s} <= set(domain["intents"]) | {"nlu_fallback"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_reminders_reach_a_rasa_sender_when_jobs_run_due_runs(server: Server) -> None:
    """``rasa-actions`` runs no timers: without ``jobs run-due`` from cron (or ``serve``) no
    reminder, escalation or review ever happens, which the docs did not say. With it, the
    reminder reaches the owner at their next call."""
    assert "jobs run-due" in DOC and "runs no timers" in DOC
    slots = {"decision_flow": "post_meeting", "decision_title": "Offsite", "decision_participants": ["uma"]}
    server.act("action_decision_start", "tom", "/decision_start", slots=slots)
    for text in ("We go to Lisbon", "Book the venue", "@uma", "2099-01-15", "done"):
        server.act("action_decision_answer", "tom", text, slots=slots)
    _, shown = server.act("action_decision_status", "uma", "/decision_status")
    question = "tom assigned you an action from 'Offsite': 'Book the venue', due 2099-01-15. Do you accept it?"
    assert texts(shown)[-1] == question
    later = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
    flows = str(Path(ROOT / "flows"))
    result = CliRunner().invoke(main, ["--db", str(server.db), "--flows", flows, "jobs", "run-due", "--now", later])
    assert result.exit_code == 0, result.output
    _, reminded = server.act("action_decision_status", "uma", "/decision_status")
    assert texts(reminded)[-1] == f"Reminder: {question}"
