"""An action's owner changed by a correction ("change owner of action 1 to @carol") after the
first owner was asked to confirm it by direct message: that owner's question loses its buttons
with a line saying who has the action now, and a late "yes" of theirs is told the same. The real
server and slack_sdk against the fake Web API, requests signed for real, on a real SQLite ledger."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dates import FEB1
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, SlackPeople, message, wait_for

GIVEN = "That question closed: Alice gave Action 1 ('Draft the plan') to Carol. Nothing waits on you in this run now."


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC"), "UC": ("Carol", "UTC")}


async def test_the_owner_a_correction_took_the_action_from_is_told_who_has_it(slack: Harness, fake: FakeSlack) -> None:
    """Before, Bob's question was redrawn "This question is no longer asked of you: the
    conversation has moved on." and his "yes" answered "Nothing is waiting for your answer here":
    he never learnt the action was no longer his."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan", "<@UB>", FEB1, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    await slack.event(message("UA", "change owner of action 1 to <@UC>", thread_ts=thread))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC"])
    redrawn = await wait_for(lambda: [c for c in fake.of("chat.update") if c.args["ts"] == asked["ts"]])
    assert GIVEN in redrawn[-1].args["text"]
    await slack.event(message("UB", "yes", channel="DUB"))
    told = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"][1:])
    assert told[0]["text"] == GIVEN
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]


async def long_action_asked_of_bob(slack: Harness, fake: FakeSlack) -> tuple[str, dict[str, Any]]:
    """Alice's run lists an action described at length (a pasted plan: 45,000 characters) and
    gives it to Bob; his question, in his direct messages. The run's thread and that question."""
    what = "Draft the plan: " + "step by step, " * 3200
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", what, "<@UB>", FEB1, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    return thread, asked


async def test_the_redraw_of_a_question_given_away_fits_slacks_limits_however_long_the_action(
    slack: Harness, fake: FakeSlack
) -> None:
    """An action described at length (a pasted plan: 45,000 characters) given to Carol: before,
    Bob's question was redrawn with the whole action in its closing line, which Slack refused
    (``msg_too_long``; ``invalid_blocks`` from 3,000 characters, the line being a context block),
    so his Yes/No buttons stayed. Now the line keeps its start and its end, and the redraw goes."""
    thread, asked = await long_action_asked_of_bob(slack, fake)
    await slack.event(message("UA", "change owner of action 1 to <@UC>", thread_ts=thread))
    redrawn = await wait_for(lambda: [c for c in fake.of("chat.update") if c.args["ts"] == asked["ts"]])
    assert [c.result.get("error") for c in redrawn] == [None]
    line = redrawn[0].args["blocks"][-1]["elements"][0]["text"]
    assert line.startswith("That question closed: Alice gave Action 1 ('Draft the plan: step by step,")
    assert line.endswith("to Carol. Nothing waits on you in this run now.")
    assert [b["type"] for b in redrawn[0].args["blocks"]] == ["section", "context"]  # no buttons left


async def test_a_click_on_a_question_given_away_is_told_why_however_long_the_action(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob clicks Yes on his question before its redraw went out (Slack slow to take it): the
    private note saying why named the whole 45,000-character action, and Slack refused it
    (``msg_too_long``): he saw nothing. Now it keeps its start and its end, and is posted."""
    thread, asked = await long_action_asked_of_bob(slack, fake)
    fake.slow_down("chat.update", 3.0)  # the redraw goes out late
    await slack.event(message("UA", "change owner of action 1 to <@UC>", thread_ts=thread))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC"])
    assert (await slack.click("UB", asked, {"type": "button", "value": "yes"})).status == 200
    told = await wait_for(lambda: [c for c in fake.of("chat.postEphemeral") if c.result], timeout=15)
    assert [c.result.get("error") for c in told] == [None]
    assert told[0].args["text"].endswith("to Carol. Nothing waits on you in this run now.")
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]
