"""An action's owner changed by a correction ("change owner of action 1 to @carol") after the
first owner was asked to confirm it by direct message: that owner's question loses its buttons
with a line saying who has the action now, and a late "yes" of theirs is told the same. The real
server and slack_sdk against the fake Web API, requests signed for real, on a real SQLite ledger."""

from __future__ import annotations

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
