"""The bot itself picked in a people picker (Slack's users_select lists every member, the bot
too) as an action's owner: refused with a re-prompt, as a deactivated person is, and the run goes
on with the person named next. The real server, signed requests, the real slack-sdk against the
fake Web API, on a real SQLite ledger."""

from __future__ import annotations

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for

NOT_THE_BOT = (
    "<@UA> I can't own anything or answer my own questions. Name a person: a participant (Alice), 'me', or an @mention."
)


async def test_the_bot_picked_as_an_owner_is_refused(slack: Harness, fake: FakeSlack) -> None:
    """Before, the pick was taken: 'Answered by @Alice: @decisionbot', the owner stored as 'UBOT', and
    the run went on to ask the bot, by direct message, to accept the action."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan"):
        await slack.event(message("UA", text, thread_ts=thread))
    question = (await slack.posts(4))[3]
    assert (await slack.click("UA", question, {"type": "users_select", "selected_user": BOT_USER})).status == 200
    told = await slack.posts(5)
    assert told[4]["text"] == NOT_THE_BOT
    assert slack.rows("SELECT count(*) FROM answers WHERE field = 'owner'") == [(0,)]
    assert (await slack.click("UA", question, {"type": "users_select", "selected_user": "UB"})).status == 200
    owner = await wait_for(lambda: slack.rows("SELECT raw FROM answers WHERE field = 'owner'"))
    assert owner == [("<@UB>",)]
