"""Slack Connect: a run in a channel shared with another company, whose people take part. Erin
works at the partner (workspace T0PARTNER); Alice, of our workspace, names her as an action's
owner. ``users.info`` answers for her with what Slack shows of a person of another organization
(``is_stranger``, her own ``team_id``, no time zone), or ``user_not_found`` when her
organization hides her; the bot's direct message to her is refused (``conversations.open``).
Before, Alice was told that Erin could not be reached, and Erin, never mentioned, was not told
anything: the run waited on her unseen question. The real server, requests signed for real, the
fake Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.dates import JAN15
from tests.fakes.slack_api import TEAM, FakeSlack
from tests.slack_support import Harness, action_body, message, wait_for

PARTNER = "T0PARTNER"
ERIN = "U07ERIN0PX"  # a real id's shape: shown by Slack as her name when Slack did not name her to the bot


@pytest.fixture
async def fake(fake: FakeSlack) -> AsyncIterator[FakeSlack]:
    fake.users[ERIN] = {
        "id": ERIN, "team_id": PARTNER, "name": "erin", "is_stranger": True,
        "profile": {"real_name": "Erin Stone", "display_name": "Erin", "team": PARTNER},
    }  # fmt: skip
    yield fake


async def named_erin_owner(slack: Harness) -> str:
    """Alice's run, its action given to Erin; the thread's ts."""
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", f"<@{ERIN}>", JAN15, "done")
    return thread


@pytest.mark.parametrize("refused", ["user_not_found", "user_not_visible", "invalid_user_combination"])
async def test_an_owner_of_another_organization_is_asked_in_the_runs_thread(
    slack: Harness, fake: FakeSlack, refused: str
) -> None:
    fake.refuse("conversations.open", times=5, error=refused)
    thread = await named_erin_owner(slack)
    [asked] = await wait_for(lambda: [p for p in fake.posted() if "assigned you an action" in p["text"]])
    assert asked["channel"] == "C1" and asked["thread_ts"] == thread
    assert asked["text"].startswith(f"<@{ERIN}> Alice assigned you an action from 'Weekly sync': 'Draft the plan'")
    assert not [p for p in fake.posted() if "could not reach" in p["text"]]
    assert slack.rows("SELECT name, external FROM people WHERE id = ?", f"slack:{ERIN}") == [("Erin", 1)]
    # she clicks Yes: the click of a person of another organization names her team in user.team_id
    block = next(b for b in asked["blocks"] if b["type"] == "actions")
    body = action_body(ERIN, "C1", asked["ts"], block["block_id"], {"type": "button", "value": "yes"}, thread)
    body = body.replace(f"%22team_id%22%3A+%22{TEAM}%22".encode(), f"%22team_id%22%3A+%22{PARTNER}%22".encode())
    assert (await slack.post(body, form=True)).status == 200
    await wait_for(lambda: "When should we review" in fake.posted()[-1]["text"])
    assert slack.rows("SELECT actor_id, raw FROM answers WHERE step = 'owner_accepts'") == [(f"slack:{ERIN}", "yes")]
    # her next question (a reminder, a correction's) goes to the thread too, without asking Slack again
    opened = len(fake.of("conversations.open"))
    await slack.event(message("UA", "change the due date of action 1 to " + JAN15, thread_ts=thread))
    await wait_for(lambda: len(fake.posted()) > 0)
    assert len(fake.of("conversations.open")) == opened


async def test_an_owner_slack_does_not_name_is_not_said_to_have_left(slack: Harness, fake: FakeSlack) -> None:
    """Erin's organization hides her from the bot: ``users.info`` and ``conversations.open`` say
    ``user_not_found``. Before: "Slack does not know them, perhaps they left the workspace ...
    They cannot answer anywhere now." She is in the channel and can answer there."""
    fake.users.pop(ERIN)
    fake.refuse("users.info", times=5, after=1, error="user_not_found")  # Alice named, then Erin not
    fake.refuse("conversations.open", times=5, error="user_not_found")
    thread = await named_erin_owner(slack)
    [told] = await wait_for(lambda: [p for p in fake.posted() if "could not reach" in p["text"]])
    assert told["thread_ts"] == thread
    assert f"<@{ERIN}> can answer here instead" in told["text"], told["text"]
    assert "cannot answer anywhere" not in told["text"]
    await slack.event(message(ERIN, "yes", thread_ts=thread, user_team=PARTNER, source_team=PARTNER))
    await wait_for(lambda: "When should we review" in fake.posted()[-1]["text"])
