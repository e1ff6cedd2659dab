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


async def test_an_answer_by_direct_message_to_a_thread_question_is_told_where_the_run_goes_on(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice answered the thread's question in our direct message: taken, but the next question
    went to the thread and her direct message showed nothing. Now it says so, once a run."""
    thread = await slack.started()
    await slack.event(message("UA", "We ship in March", channel="DUA"))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    await slack.event(message("UA", "Draft the plan", channel="DUA"))
    await wait_for(lambda: len([p for p in fake.posted() if p.get("thread_ts") == thread]) == 3)
    dm = [p["text"] for p in fake.posted() if p["channel"] == "DUA"]
    assert dm == ["Taken for run #1 ('Weekly sync'). Its next question is in the run's thread."]
    assert slack.rows(ANSWERS) == [("We ship in March",), ("Draft the plan",)]
