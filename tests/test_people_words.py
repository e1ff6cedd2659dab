"""What people who never read the docs answer, as they answer it: "Nope." to end a list of
actions, "Yes, I can take that on." to an owner's question, a typo of a button's label, a review
started by hand; in the terminal (piped, as a script or a newcomer runs it) and on Slack (the real
server and slack_sdk against the fake Web API, requests signed for real). Each asserts on what
the bot says back and on the ledger."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dates import FEB1, JAN10
from tests.fakes.slack_api import FakeSlack
from tests.rasa_support import running_actions, texts
from tests.slack_support import (
    ALICE_IN_PARIS_BOB_IN_NEW_YORK,
    Harness,
    SlackPeople,
    harness,
    message,
    unlinked,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[1]


def chat(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`decisionbot chat ARGS` with ``lines`` piped in, then EOF, on a ledger in ``tmp_path``."""
    env = {**os.environ, "DECISIONBOT_DB": str(tmp_path / "t.db"), "DECISIONBOT_FLOWS": str(ROOT / "flows")}
    command = [str(Path(sys.executable).with_name("decisionbot")), "chat", *args]
    text = "".join(line + "\n" for line in lines)
    return subprocess.run(command, input=text, capture_output=True, text=True, env=env, timeout=60)


def ledger(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(tmp_path / "t.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


MEETING = ("post_meeting", "-f", "alice", "-p", "bob", "--data", "title=Weekly sync")


@pytest.mark.parametrize("no_more", ["Nope.", "nah", "n/a", "that's it", "Done 👍"])
def test_a_no_more_in_other_words_ends_the_list_of_actions(tmp_path: Path, no_more: str) -> None:
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, no_more, "/as bob", "yes", "/as alice", "ok"]
    out = chat(tmp_path, lines, *MEETING)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"alice> {no_more}\nbot -> bob: alice assigned you an action from 'Weekly sync'" in out.stdout
    assert "Who owns" not in out.stdout.split(f"alice> {no_more}")[1]
    assert ledger(tmp_path, "SELECT what FROM actions") == [("Draft the plan",)]


@pytest.mark.parametrize(("said", "accepted"), [("Yes, I can take that on.", 1), ("No, sorry - I'm out.", 0)])
def test_an_owner_who_answers_in_a_sentence_is_understood(tmp_path: Path, said: str, accepted: int) -> None:
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "done", "/as bob", said]
    out = chat(tmp_path, [*lines, "/as alice", "ok"] if accepted else lines, *MEETING)
    after = out.stdout.split(f"bob> {said}\n")[1]
    assert not after.startswith("bot -> bob: Please answer yes or no."), out.stdout
    if accepted:
        assert f"1. Draft the plan - bob, due {JAN10} (accepted)" in out.stdout
    else:  # a decline goes back to the facilitator, who reassigns
        assert after.startswith(
            "bot -> bob: Noted. I'll ask alice to reassign it.\nbot -> alice: bob declined Action 1"
        )


def test_a_typo_of_an_option_is_taken_as_that_option(tmp_path: Path) -> None:
    lines = ["me", "wacth it", "if it recovers by monday", "ok"]
    out = chat(tmp_path, lines, "metric_breach", "-f", "alice", "--data", "title=Checkout conversion dropped")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "alice> wacth it\nbot -> alice: What do we watch for, and what would make us act?" in out.stdout
    assert "Decided: Watch it: if it recovers by monday" in out.stdout


def test_a_review_started_in_the_terminal_without_its_decision_is_refused_saying_how(tmp_path: Path) -> None:
    out = chat(tmp_path, ["keep", "ok"], "decision_review", "-f", "alice")
    assert out.returncode == 1
    assert "Decision recorded" not in out.stdout and "Did it hold?" not in out.stdout
    assert "decision_review reviews a recorded decision: name it with --data decision_id=N" in out.stderr
    assert ledger(tmp_path, "SELECT count(*) FROM runs") == [(0,)]


def test_through_rasa_a_review_without_its_decision_starts_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    for server in running_actions(tmp_path_factory):
        slots = {"decision_flow": "decision_review", "decision_title": "Weekly sync"}
        _, body = server.act("action_decision_start", "s_review", "/decision_start", slots=slots)
        assert texts(body) == [
            "Nothing started: decision_review reviews a recorded decision, and starts by itself on that"
            " decision's review date (its summary names the day)."
        ]
        assert body["events"] == [] and server.sql("SELECT count(*) FROM runs") == [(0,)]


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_IN_PARIS_BOB_IN_NEW_YORK


async def test_on_slack_a_review_started_by_hand_is_refused_and_posts_nothing(slack: Harness, fake: FakeSlack) -> None:
    answer = await slack.slash("UA", "start decision_review")
    assert answer["text"] == (
        "Nothing started: decision_review reviews a recorded decision, and starts by itself on that"
        " decision's review date (its summary names the day)."
    )
    assert fake.posted() == [] and slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_on_slack_nope_ends_the_actions_a_typo_picks_an_option_and_status_says_no_step_once_ended(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.slash("UA", "start metric_breach <@UB> Checkout conversion dropped")
    thread = (await slack.posts(2))[0]["ts"]
    for answer in ("me", "act nwo", "Roll back the release", "Roll back", "<@UB>", JAN10, "Nope."):
        await slack.event(message("UA", answer, thread_ts=thread))
    dm = (await slack.posts(9))[8]
    assert dm["channel"] == "DUB" and "Do you accept it?" in dm["text"]
    said = [p["text"] for p in fake.posted()]
    assert "<@UA> What is the decision?" in said  # "act nwo" was Act now
    assert not [t for t in said if "Who owns 'Nope.'" in t]
    await slack.event(message("UB", "Yes, I can do that.", channel="DUB"))
    review = (await slack.posts(10))[9]
    assert review["text"].startswith("<@UA> When should we look at this metric again?")
    await slack.event(message("UA", "ok", thread_ts=thread))
    summary = (await slack.posts(11))[10]["text"]
    assert f"Decided: Act now: Roll back the release\n  1. Roll back - Bob, due {JAN10} (accepted)" in summary
    status = await slack.slash("UB", "status 1")
    assert unlinked(status["text"]).startswith(
        "Run #1 metric_breach 'Checkout conversion dropped': completed "
    )  # not "at completed"
    assert "Decided: Act now: Roll back the release" in status["text"]


async def test_on_slack_help_names_only_the_commands_the_asked_person_can_use(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting <@UB> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for answer in ("We ship in March", "Draft the plan", "<@UB>", JAN10, "done"):
        await slack.event(message("UA", answer, thread_ts=thread))
    await slack.posts(7)  # the last, Bob's question in a direct message
    await slack.event(message("UB", "help", channel="DUB"))
    owners_help = (await slack.posts(8))[7]["text"]
    assert owners_help == (
        f"Alice assigned you an action from 'Weekly sync': 'Draft the plan', due {JAN10}. Do you accept it?\n"
        "Expected: yes or no."
    )  # not 'back', 'cancel' or 'change owner of action 2 to @bob': the facilitator's, refused to Bob
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.posts(9)  # the review date's question
    await slack.event(message("UA", "help", thread_ts=thread))
    facilitators_help = (await slack.posts(10))[9]["text"]
    assert facilitators_help.endswith(
        "You can also say: 'back' (change the previous answer), 'cancel' (end the run), or correct an earlier"
        " answer, e.g. 'change owner of action 2 to @bob'."
    )


@pytest.mark.parametrize("typed", ["tmrw", "by tomorow", "Tommorow."])
async def test_on_slack_tomorrow_typed_in_a_hurry_is_tomorrow(tmp_path: Path, fake: FakeSlack, typed: str) -> None:
    thursday = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 16:00 in Paris, Alice's zone
    slack = await harness(tmp_path, fake, clock=lambda: thursday)
    try:
        await slack.slash("UA", "start post_meeting <@UB> Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        for answer in ("We ship in March", "Draft the plan", "<@UB>", typed):
            await slack.event(message("UA", answer, thread_ts=thread))
        said = (await slack.posts(6))[5]["text"]
        assert said.startswith("<@UA> Action 2: What is the action?"), said  # not "I can't read that as a date"
        answered = await wait_for(lambda: [u for u in fake.of("chat.update") if "2026-11-27" in str(u.args)])
        assert "Answered by <@UA>: Fri 2026-11-27" in str(answered[0].args["blocks"])
    finally:
        await slack.client.close()


@pytest.mark.parametrize("agreed", ["OK.", "okay", "yes", "👍", "Sure!"])
def test_a_default_is_taken_with_an_ok_in_other_words(tmp_path: Path, agreed: str) -> None:
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "done", "/as bob", "yes", "/as alice", agreed]
    out = chat(tmp_path, lines, *MEETING)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "(default: in 4 weeks; say 'ok' to take it)" in out.stdout
    assert f"alice> {agreed}\nbot: Decision recorded: Weekly sync" in out.stdout  # not "I can't read that as a date"
    assert ledger(tmp_path, "SELECT kind FROM answers WHERE step = 'review_at'") == [("default",)]


async def test_on_slack_give_and_due_take_the_to_people_say(slack: Harness, fake: FakeSlack) -> None:
    fake.add_user("UC", "Carol", tz="Asia/Tokyo")
    await slack.slash("UA", "start post_meeting <@UB> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for answer in ("We ship in March", "Draft the plan", "<@UB>", JAN10, "done"):
        await slack.event(message("UA", answer, thread_ts=thread))
    await slack.posts(7)
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.posts(8)
    await slack.event(message("UA", "ok", thread_ts=thread))
    await slack.posts(9)  # the summary
    moved = await slack.slash("UB", f"due A1 to {FEB1}")
    assert moved["text"] == f"'Draft the plan' is now due on {FEB1} (was {JAN10})."
    assert slack.rows("SELECT due FROM actions WHERE id = 1") == [(FEB1,)]
    asked = await slack.slash("UB", "give A1 to <@UC> she runs the vendor now")
    assert asked["text"].startswith("Asked Carol to take over 'Draft the plan'."), asked
    question = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC"])
    assert question[0]["text"].startswith(f"Bob asks you to take over action 'Draft the plan' (due {FEB1})")
