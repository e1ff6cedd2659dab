"""The shipped metric_breach flow asks "Who takes this one?": the person named is asked, in
private as action owners are, whether they take it (before: they were never told, nor asked);
reminded like owners; a no asks the facilitator again; naming oneself (`me`) is one's yes. The
flow format's `to: <person step>` does it: validated at load. In the terminal (as the README runs
it) and in Slack (the real server and its scheduler on a test clock, against the fake Web API)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.engine.reader import read_flow_text
from bot.errors import FlowError
from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ROOT, Harness, harness, message, wait_for

TOKEN = "hook-token"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TAKE = "alice asks you to take 'Checkout conversion dropped' (a metric crossed its threshold). Do you take it?"


def chat(tmp_path: Path, lines: list[dict[str, str]]) -> list[dict]:
    exe = Path(sys.executable).with_name("decisionbot")
    command = [str(exe), "--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows"), "chat", "metric_breach"]
    command += ["-f", "alice", "-p", "bob,carol", "--data", "title=Checkout conversion dropped", "--jsonl"]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    out = subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_in_the_terminal_the_person_named_is_asked_in_private_and_a_no_asks_again(tmp_path: Path) -> None:
    said = chat(
        tmp_path,
        [
            {"as": "alice", "text": "@bob"},
            {"as": "bob", "text": "no"},
            {"as": "alice", "text": "@carol"},
            {"as": "carol", "text": "yes"},
        ],
    )
    asked = [(m["to_name"], m["step"], m["text"], m["private"]) for m in said if m.get("kind") == "prompt"]
    assert asked[1] == ("bob", "takes_it", TAKE, True)
    assert asked[2][:2] == ("alice", "acknowledge") and "bob cannot take it. Who takes this one?" in asked[2][2]
    assert asked[3] == ("carol", "takes_it", TAKE, True)  # not "currently: no": that was bob's answer
    assert asked[4][:3] == ("alice", "response", "What do we do about it?\n1) Act now  2) Watch it  3) Ignore it")


def test_in_the_terminal_the_person_who_declined_is_not_offered_again_as_the_answer_to_keep(tmp_path: Path) -> None:
    """Before, the naming question came back with "(currently: bob; say 'ok' to keep it)", so
    'ok' asked bob again; now it names no one to keep, and 'ok' names no one."""
    said = chat(
        tmp_path,
        [
            {"as": "alice", "text": "@bob"},
            {"as": "bob", "text": "no"},
            {"as": "alice", "text": "ok"},
            {"as": "alice", "text": "@carol"},
        ],
    )
    again = [m["text"] for m in said if m.get("kind") == "prompt" and m["step"] == "acknowledge"][1]
    assert again.endswith("bob cannot take it. Who takes this one?"), again
    assert [m["text"] for m in said if m.get("kind") == "error"] == [
        "I don't know 'ok'. Name a participant (alice, bob, carol), say 'me', or @mention someone."
    ]
    asked = [(m["to_name"], m["step"]) for m in said if m.get("kind") == "prompt"]
    assert asked[-1] == ("carol", "takes_it")


def test_in_the_terminal_naming_oneself_is_ones_yes(tmp_path: Path) -> None:
    said = chat(tmp_path, [{"text": "me"}, {"text": "back"}, {"text": "me"}])
    steps = [m["step"] for m in said if m.get("kind") == "prompt"]
    assert steps == ["acknowledge", "response", "acknowledge", "response"]  # 'back' goes over it to the naming


@pytest.mark.parametrize(
    ("to", "refused"),
    [
        ("decision", "'to: decision' needs a step whose answer is one person, and 'decision' is a text step"),
        ("later", "'to: later' names a step that is not asked before this one"),
    ],
)
def test_to_a_step_that_names_no_one_person_is_refused_at_load(to: str, refused: str) -> None:
    text = f"""id: x
title: X
roles: {{facilitator: trigger.facilitator}}
steps:
  - {{id: decision, to: facilitator, ask: "What?", type: text}}
  - {{id: takes, to: {to}, ask: "Yours?", type: yes_no}}
  - {{id: later, to: facilitator, ask: "Who?", type: person}}
"""
    with pytest.raises(FlowError, match=refused):
        read_flow_text(text, "flows/x.yaml")


# --- Slack ---------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack, clock: Clock):
    flows = shipped_flows(tmp_path / "flows", ("metric_breach", "decision_review"))
    h = await harness(tmp_path, fake, env={"DECISIONBOT_HOOK_TOKEN": TOKEN}, clock=clock, flows=flows)
    yield h
    await h.client.close()


async def test_in_slack_the_person_named_is_asked_by_direct_message_and_reminded(
    slack: Harness, fake: FakeSlack, clock: Clock
) -> None:
    body = {"title": "Checkout conversion dropped", "channel": "slack:C0OPS", "facilitator": "UA"}
    resp = await slack.client.post("/hooks/events", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    [root] = await slack.posts(1)
    await slack.event(message("UA", "<@UB>", channel="C0OPS", thread_ts=root["ts"]))
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    assert asked["text"] == TAKE.replace("alice", "Alice")
    clock.now += timedelta(hours=1, minutes=1)  # remind_after: 1h, as owners are reminded
    [reminder] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB" and "Reminder" in p["text"]])
    assert reminder["text"].endswith("Do you take it?")
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT state FROM runs") == [("response",)])
    [next_question] = await wait_for(lambda: [p for p in fake.posted() if "What do we do about it?" in p["text"]])
    assert next_question["channel"] == "C0OPS" and next_question.get("thread_ts") == root["ts"]
    assert slack.rows("SELECT actor_id, value FROM answers WHERE step = 'takes_it'") == [("slack:UB", "true")]


async def test_in_slack_after_a_no_the_facilitator_is_not_offered_the_decliner(slack: Harness, fake: FakeSlack) -> None:
    body = {"title": "Checkout conversion dropped", "channel": "slack:C0OPS", "facilitator": "UA"}
    resp = await slack.client.post("/hooks/events", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    [root] = await slack.posts(1)
    await slack.event(message("UA", "<@UB>", channel="C0OPS", thread_ts=root["ts"]))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    await slack.event(message("UB", "no", channel="DUB"))
    [again] = await wait_for(lambda: [p for p in fake.posted() if "Bob cannot take it." in p["text"]])
    assert again["channel"] == "C0OPS" and again.get("thread_ts") == root["ts"]
    assert again["text"].endswith("Bob cannot take it. Who takes this one?"), again["text"]
    assert "currently" not in json.dumps(again.get("blocks") or [])


def test_a_correction_of_the_person_named_is_refused_once_they_were_asked_and_back_renames(tmp_path: Path) -> None:
    """Before, 'change acknowledge to @carol' after bob took it left bob's yes standing for carol,
    who was never asked; now it is refused, and 'back' goes over bob's answer to the naming."""
    said = chat(
        tmp_path,
        [
            {"as": "alice", "text": "@bob"},
            {"as": "bob", "text": "yes"},
            {"as": "alice", "text": "change acknowledge to @carol"},
            {"as": "alice", "text": "back"},
            {"as": "alice", "text": "@carol"},
        ],
    )
    refused = [m["text"] for m in said if m.get("kind") == "error"]
    assert refused == [
        "The answer to 'Who takes this one?' named bob, and the question for the person named there has come since:"
        " a correction would leave it with bob. Say 'back' until that question is asked again, and name someone"
        " else there."
    ]
    asked = [(m["to_name"], m["step"]) for m in said if m.get("kind") == "prompt"]
    assert asked[-2:] == [("alice", "acknowledge"), ("carol", "takes_it")]
