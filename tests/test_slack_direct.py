"""A direct message to the bot while a question in a channel's thread waits on its writer: the
commands no question takes as its answer stay commands (as in Teams); anything else answers."""

from __future__ import annotations

from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for

ANSWERS = "SELECT text FROM messages WHERE direction = 'in' AND kind = 'answer' ORDER BY id"


def in_dm(fake: FakeSlack) -> list[str]:
    return [p["text"] for p in fake.posted() if p["channel"] == "DUA"]


async def test_actions_and_start_by_direct_message_are_commands_while_a_channel_question_waits(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]  # the root, and "What was decided in Weekly?" waits on Alice
    await slack.event(message("UA", "actions", channel="DUA"))
    await wait_for(lambda: "You have no open actions." in in_dm(fake))
    await slack.event(message("UA", "start post_meeting Retro", channel="DUA"))
    await wait_for(lambda: slack.rows("SELECT count(*) FROM runs") == [(2,)])
    assert slack.rows("SELECT conversation FROM runs WHERE id = 2") == [("slack:DUA",)]  # where she asked
    await wait_for(lambda: "What was decided in Retro?" in " ".join(in_dm(fake)))
    assert slack.rows(ANSWERS) == []  # the channel run took neither as its answer
    assert [p["text"] for p in fake.posted() if p.get("thread_ts") == thread] == ["<@UA> What was decided in Weekly?"]


async def test_words_that_are_not_those_commands_still_answer_the_question_waiting(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.slash("UA", "start post_meeting Weekly")
    await slack.posts(2)
    await slack.event(message("UA", "start the rollout in March", channel="DUA"))  # no flow 'the'
    await wait_for(lambda: slack.rows(ANSWERS) == [("start the rollout in March",)])
    await slack.event(message("UA", "actions first", channel="DUA"))  # not a bare 'actions'
    await wait_for(lambda: slack.rows(ANSWERS) == [("start the rollout in March",), ("actions first",)])
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]


async def test_a_bare_mention_of_the_bot_in_its_dm_is_answered_as_help(slack: Harness, fake: FakeSlack) -> None:
    """``@decisionbot`` alone in the bot's DM got no reply at all: it now gets what ``help`` gets
    there (what the bot can do; with a question waiting, what that question expects)."""
    await slack.event(message("UA", "help", channel="DUA"))
    await wait_for(lambda: len(in_dm(fake)) == 1)
    await slack.event(message("UA", f"<@{BOT_USER}>", channel="DUA"))
    await wait_for(lambda: len(in_dm(fake)) == 2)
    help_text, nudge = in_dm(fake)
    assert nudge == help_text and help_text.startswith("Commands: start FLOW"), help_text
    await slack.slash("UA", "start post_meeting Weekly")
    await slack.posts(4)  # the root, and "What was decided in Weekly?" waits on Alice
    await slack.event(message("UA", f"<@{BOT_USER}>", channel="DUA"))
    await wait_for(lambda: len(in_dm(fake)) == 3)
    assert in_dm(fake)[2].startswith("What was decided in Weekly?\n"), in_dm(fake)[
        2
    ]  # the help of the question waiting on her
    assert slack.rows(ANSWERS) == []  # no answer taken, no miss counted
