"""Alice, asked in a run's thread, typed her answer in the channel itself: Slack's bot ignores the
channel outside run threads, so she saw nothing and thought it was taken. Now she is told, privately
and once per question, that the bot reads the run's thread; what she typed stays untaken. Someone
no run waits on, a question to the others ("lunch?"), and chatter after that one note stay
unanswered. The real server, signed events, the fake Web API."""

from __future__ import annotations

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

ANSWERS = "SELECT raw FROM answers ORDER BY id"


async def test_an_answer_typed_in_the_channel_instead_of_the_thread_is_told_where_once(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan")  # "Who owns 'Draft the plan'?" waits on Alice
    await slack.event(message("UB", "lunch anyone"))  # nothing waits on Bob
    await slack.event(message("UA", "lunch?"))  # a question to the others, not an answer
    await slack.event(message("UA", "<@UB>"))  # in the channel, not the thread
    [told] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert told.args["user"] == "UA" and told.args["channel"] == "C1" and not told.args.get("thread_ts")
    assert told.args["text"].startswith("I read answers in the run's thread, not the channel: run #1 ('Weekly sync')")
    await slack.event(message("UA", "sorry, wrong place"))  # the same question: told once
    await slack.say(thread, "<@UB>")  # answered in the thread: taken
    await slack.event(message("UA", "next friday"))  # a new question: told again
    await wait_for(lambda: len(fake.of("chat.postEphemeral")) == 2)
    assert slack.rows(ANSWERS) == [("We ship in March",), ("Draft the plan",), ("@Bob",)]
    assert len(fake.of("chat.postEphemeral")) == 2
