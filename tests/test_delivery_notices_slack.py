"""A reply the outbox gives up for good is told to the run's facilitator (bot.notices), with the
real slack-sdk against the fake Web API answering ``ok: false`` on demand: an owner the bot cannot
write to is named in the run's thread; a thread that refuses the bot is told by direct message; a
message refused itself (its layout) is told in the run's thread, which still takes the bot; a run
that has ended gets no advice that no longer works; ``cancel N`` typed in the direct message, as the
notice says, cancels the run; a notice that fails is only logged, and a facilitator is told once an
hour per failing target."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, unlinked, wait_for

TINY = """id: tiny
title: Tiny
roles:
  facilitator: trigger.facilitator
steps:
  - id: decision
    to: facilitator
    ask: "What was decided?"
    type: text
on_complete:
  - post_summary: conversation
"""
QUESTION = f"Alice assigned you an action from 'Weekly sync': 'Draft the plan', due {JAN15}. Do you accept it?"


async def start(slack: Harness) -> str:
    await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
    return str((await slack.posts(2))[0]["ts"])


def notices(slack: Harness) -> list[tuple[str, int, str | None, str | None]]:
    sql = "SELECT actor_id, private, delivered_at, failed_at FROM messages WHERE kind = 'notice' ORDER BY id"
    return slack.rows(sql)


async def test_an_owner_the_bot_cannot_write_to_is_named_to_the_facilitator_in_the_thread(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    thread = await start(slack)
    fake.refuse("conversations.open", error="cannot_dm_bot")  # Bob's direct message cannot be opened
    for text in ("We ship in March", "Draft the plan", "<@UB>", JAN15, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    [told] = await wait_for(lambda: [p for p in fake.posted() if "could not reach" in p["text"]])
    assert told["channel"] == "C1" and told["thread_ts"] == thread
    assert told["text"] == (
        "<@UA> I could not reach Bob: Slack does not let the bot send them direct messages (cannot_dm_bot)."
        f' They have not seen: "{QUESTION}". What you can do: Bob can answer here instead; or give their'
        " part to someone else by correcting the answer that named them (for example 'change owner of"
        " action 1 to @someone'); or say 'cancel' to end the run."
    )
    assert not [p for p in fake.posted() if p["channel"].startswith("D")]
    gone = slack.rows("SELECT actor_id, last_error FROM messages WHERE failed_at IS NOT NULL")
    assert gone == [("slack:UB", "failed: cannot_dm_bot")]
    await wait_for(lambda: notices(slack) and notices(slack)[0][2] is not None)
    assert [(a, p) for a, p, _, _ in notices(slack)] == [("slack:UA", 0)]

    # what the notice says is true: Bob answers in the thread, the run goes on
    await slack.event(message("UB", "yes", thread_ts=thread))
    review = await wait_for(lambda: [p for p in fake.posted() if "When should we review" in p["text"]])
    assert review[0]["thread_ts"] == thread

    # `decisionbot runs show` marks the reply that was never delivered, with its reason
    shown = CliRunner().invoke(main, ["--db", str(tmp_path / "slack.db"), "runs", "show", "1"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    asked = next(n for n, line in enumerate(lines) if line.endswith(f"bot -> Bob: {QUESTION}"))
    assert lines[asked + 1].startswith("      ^ NOT DELIVERED: given up 20")
    assert lines[asked + 1].endswith(", failed: cannot_dm_bot")
    assert sum("NOT DELIVERED" in line for line in lines) == 1


async def test_the_notice_goes_to_the_runs_thread_even_to_a_facilitator_writing_by_direct_message(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await start(slack)
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await slack.posts(3)
    for n, text in enumerate(("Draft the plan", "<@UB>", JAN15)):  # Alice answers by direct message
        await slack.event(message("UA", text, channel="DUA"))
        await slack.posts(4 + n)
    fake.refuse("conversations.open", error="user_disabled")  # Bob's direct message will not open
    await slack.event(message("UA", "done", channel="DUA"))
    [told] = await wait_for(lambda: [p for p in fake.posted() if "could not reach" in p["text"]])
    assert told["channel"] == "C1" and told["thread_ts"] == thread
    assert told["text"].startswith("<@UA> I could not reach Bob: their Slack account is deactivated (user_disabled).")
    # learnt: naming Bob again is refused at once (before: taken until the day-old lookup was made again)
    await wait_for(lambda: slack.rows("SELECT deactivated FROM people WHERE id = 'slack:UB'") == [(1,)])
    again = await slack.slash("UA", "start post_meeting <@UB|bob> Another sync")
    assert again["text"].startswith("Nothing started"), again["text"]
    assert "Bob" in again["text"] and "deactivated" in again["text"], again["text"]


async def test_a_thread_that_refuses_the_bot_is_told_to_the_facilitator_by_direct_message(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await start(slack)
    fake.refuse("chat.postMessage", error="not_in_channel")  # the bot was removed from #C1
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert fake.of("conversations.open")[-1].args == {"users": "UA"}
    assert told["text"] == (
        "Run #1 ('Weekly sync') cannot post in its conversation, slack:C1: the bot is not in the channel"
        ' (not_in_channel). Nobody there has seen its question: "Action 1: What is the action?". You can answer'
        " it here, in this chat. Invite the bot to that channel (/invite @decisionbot) and the run goes on there"
        " (its next reminder asks again); or end the run with the bot's command 'cancel 1'."
    )
    await wait_for(lambda: notices(slack) and notices(slack)[0][2] is not None)
    assert [(a, p) for a, p, _, _ in notices(slack)] == [("slack:UA", 1)]


async def test_a_notice_that_fails_is_only_logged_never_noticed_in_turn(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    thread = await start(slack)
    for text in ("We ship in March", "Draft the plan", "<@UB>", JAN15):
        await slack.event(message("UA", text, thread_ts=thread))
    await slack.posts(6)
    fake.refuse("conversations.open", error="cannot_dm_bot")  # Bob cannot be written to ...
    fake.refuse("chat.postMessage", error="not_in_channel")  # ... and the notice in the thread is refused too
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        await slack.event(message("UA", "done", thread_ts=thread))
        failed = "SELECT kind, actor_id FROM messages WHERE failed_at IS NOT NULL ORDER BY id"
        await wait_for(lambda: slack.rows(failed) == [("prompt", "slack:UB"), ("notice", "slack:UA")])
        await wait_for(lambda: any("no notice is sent about a notice" in r.getMessage() for r in caplog.records))
    await slack.event(message("UB", "yes", thread_ts=thread))  # the run goes on: its next reply is delivered
    await wait_for(lambda: [p for p in fake.posted() if "When should we review" in p["text"]])
    assert len(notices(slack)) == 1  # the thread refusing the notice is not told (by direct message) in turn
    assert [c.args for c in fake.of("conversations.open")] == [{"users": "UB"}]


async def test_one_failing_target_is_told_once_and_her_next_question_in_a_line(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    thread = await start(slack)
    fake.refuse("chat.postMessage", error="not_in_channel")  # a question in the thread
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: notices(slack) and notices(slack)[0][2] is not None)  # told by direct message
    failed = "SELECT kind FROM messages WHERE failed_at IS NOT NULL ORDER BY id"
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        fake.refuse("chat.postMessage", error="not_in_channel")  # the thread still refuses the bot
        await slack.event(message("UA", "Draft the plan", thread_ts=thread))
        await wait_for(lambda: len(slack.rows(failed)) == 2)
        said = [r.getMessage() for r in caplog.records]
        assert any("facilitator Alice is told directly that reply" in line for line in said)
    assert slack.rows(failed) == [("prompt",), ("prompt",)]
    # told why once; the second question, hers, which nobody saw either, follows in a line
    told = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUA"][1:])
    assert told == [
        "Run #1 ('Weekly sync') still cannot post in its conversation. Its next question, for you:"
        " \"Action 1: Who owns 'Draft the plan'?\". Answer it here."
    ]
    assert len(notices(slack)) == 2


async def test_her_answer_by_direct_message_while_the_thread_refuses_is_not_sent_to_the_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await start(slack)
    fake.shut_out("C1")  # the bot removed from the channel
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await wait_for(lambda: notices(slack) and notices(slack)[0][2] is not None)  # told by direct message
    await slack.event(message("UA", "Draft the plan", channel="DUA"))  # she answers where she was told
    told = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUA"][1:])
    # the question follows her; no line sends her to a thread that shows nothing
    assert told == [
        "Run #1 ('Weekly sync') still cannot post in its conversation. Its next question, for you:"
        " \"Action 1: Who owns 'Draft the plan'?\". Answer it here."
    ]


async def test_cancel_n_typed_in_the_direct_message_as_the_notice_says_cancels_the_run(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await start(slack)
    fake.refuse("chat.postMessage", error="not_in_channel")  # the thread refuses one question
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    assert told["text"].endswith("or end the run with the bot's command 'cancel 1'.")
    # the question ("What is the action?") waits on Alice: 'status 1' and 'cancel 1' are not its answer
    await slack.event(message("UA", "status 1", channel="DUA"))
    [status] = await wait_for(
        lambda: [p for p in fake.posted() if unlinked(p["text"]).startswith("Run #1 post_meeting")]
    )
    assert status["channel"] == "DUA" and "waiting for you to answer" in status["text"]
    await slack.event(message("UA", "cancel 1", channel="DUA"))
    await wait_for(lambda: slack.rows("SELECT status FROM runs WHERE id = 1") == [("cancelled",)])
    [said] = await wait_for(lambda: [p for p in fake.posted() if "') cancelled by Alice" in p["text"]])  # the answer
    assert said["channel"] == "DUA" and said["text"].endswith("') cancelled by Alice. The transcript is kept.")
    answers = "SELECT text FROM messages WHERE direction = 'in' AND kind = 'answer' ORDER BY id"
    assert slack.rows(answers) == [("We ship in March",)]


async def test_a_plain_answer_by_direct_message_still_answers_the_question_waiting(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await start(slack)
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    await slack.posts(3)
    await slack.event(message("UA", "cancel the old plan", channel="DUA"))  # a command's word, not a command
    asked = "<@UA> Action 1: Who owns 'cancel the old plan'?"
    await wait_for(lambda: [p for p in fake.posted() if p["text"] == asked and p.get("thread_ts") == thread])
    taken = "Taken for run #1 ('Weekly sync'). Its next question is in the run's thread."
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA" and p["text"] == taken])
    await asyncio.sleep(0.3)  # (nothing else is said there: not twice, not a refusal of 'cancel')
    assert [p["text"] for p in fake.posted() if p["channel"] == "DUA"] == [taken]
    answers = "SELECT text FROM messages WHERE direction = 'in' AND kind = 'answer' ORDER BY id"
    assert slack.rows(answers) == [("We ship in March",), ("cancel the old plan",)]
    assert slack.rows("SELECT status FROM runs WHERE id = 1") == [("active",)]


async def test_a_message_refused_itself_is_told_in_the_thread_that_still_takes_the_bot(
    slack: Harness, fake: FakeSlack
) -> None:
    thread = await start(slack)
    fake.refuse("chat.postMessage", error="msg_too_long")  # this question, not the thread
    await slack.event(message("UA", "We ship in March", thread_ts=thread))
    [told] = await wait_for(lambda: [p for p in fake.posted() if "was refused" in p["text"]])
    assert told["channel"] == "C1" and told["thread_ts"] == thread
    assert told["text"] == (
        "<@UA> A message of this run to you was refused: Slack refused the message as too long (msg_too_long)."
        ' You have not seen: "Action 1: What is the action?". You can answer it here all the same.'
    )
    assert not fake.of("conversations.open") and not [p for p in fake.posted() if p["channel"].startswith("D")]
    await wait_for(lambda: notices(slack) and notices(slack)[0][2] is not None)
    assert [(a, p) for a, p, _, _ in notices(slack)] == [("slack:UA", 0)]
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))  # as it says: answered here
    assert await wait_for(lambda: [p for p in fake.posted() if "Who owns 'Draft the plan'" in p["text"]])


async def test_a_run_that_has_ended_gets_no_advice_that_no_longer_works(tmp_path: Path, fake: FakeSlack) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "tiny.yaml").write_text(TINY)
    slack = await harness(tmp_path, fake, flows=flows)
    try:
        await slack.slash("UA", "start tiny Weekly")
        thread = str((await slack.posts(2))[0]["ts"])
        fake.refuse("chat.postMessage", error="not_in_channel")  # the summary, the run completed
        await slack.event(message("UA", "We ship in March", thread_ts=thread))
        [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
        assert slack.rows("SELECT status FROM runs WHERE id = 1") == [("completed",)]
        assert told["text"] == (
            "Run #1 ('Weekly') cannot post in its conversation, slack:C1: the bot is not in the channel"
            ' (not_in_channel). Nobody there has seen: "Finished: Weekly.". The run has ended, so'
            " nothing more is posted there; 'status 1' shows its record."
        )
        await slack.event(message("UA", "status 1", channel="DUA"))  # as it says
        [status] = await wait_for(lambda: [p for p in fake.posted() if unlinked(p["text"]).startswith("Run #1 tiny")])
        assert status["channel"] == "DUA" and ": completed" in status["text"]
    finally:
        await slack.client.close()
