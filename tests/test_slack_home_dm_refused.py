"""A Home tab click is carried out as the command typed in its clicker's direct message. When Slack
refuses that direct message for good, the tab says so and what to type instead: it used to say
Slack did not answer in time and to try again, which changes nothing."""

from __future__ import annotations

from bot import texts
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, decided
from tests.test_slack_home import clicked, done_button, shown


async def test_a_home_click_whose_direct_message_slack_refuses_for_good_says_so(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice clicks Done on A1 of the decision she led; a workspace preference forbids the bot's direct messages
    (``conversations.open``: ``restricted_action``): nothing is done, and the tab tells her why and
    the command to type in a channel instead."""
    await decided(slack)
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]  # Alice's is not open yet
    fake.refuse("conversations.open", error="restricted_action")
    view = await clicked(slack, "UA", done_button("A1"))
    note = shown(view)[0]
    assert note == texts.home_dm_refused("done A1", "restricted_action")
    assert "restricted_action" in note and "/decision done A1" in note and "in time" not in note
    assert slack.rows("SELECT status FROM actions") == [("open",)]


async def test_a_home_click_whose_direct_message_slack_cannot_open_for_now_says_to_try_again(
    slack: Harness, fake: FakeSlack
) -> None:
    """Slack down for a moment (503 on ``conversations.open``, and slack-sdk's retry too): the
    click is not carried out, and trying again is the true advice."""
    await decided(slack)
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]  # Alice's is not open yet
    fake.refuse("conversations.open", times=3, status=503)
    view = await clicked(slack, "UA", done_button("A1"))
    assert shown(view)[0] == texts.home_try_again()
    assert slack.rows("SELECT status FROM actions") == [("open",)]
