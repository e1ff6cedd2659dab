"""Two runs ask Bob the same question by direct message (he owns an action from each meeting):
a bare "yes" named neither, and went to the newer run. It now gets a re-prompt listing both;
``#N yes`` or a reply in a question's thread answers that question's run; with one question
waiting a bare "yes" still answers it."""

from __future__ import annotations

from typing import Any

from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

ACCEPTED = "SELECT a.what FROM actions a WHERE a.accepted_at IS NOT NULL ORDER BY a.id"
OWNER_ANSWERS = "SELECT run_id, raw FROM answers WHERE step = 'owner_accepts' ORDER BY id"


def in_dm(fake: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in fake.posted() if p["channel"] == "DUB"]


async def ask_bob(slack: Harness, fake: FakeSlack, title: str, what: str) -> dict[str, Any]:
    """Alice's post_meeting ``title`` up to Bob's "Do you accept" for ``what``; that question, as posted."""
    before = len(in_dm(fake))
    await slack.slash("UA", f"start post_meeting {title}")
    thread = await wait_for(lambda: [p["ts"] for p in fake.posted() if title in p["text"] and "thread_ts" not in p])
    for text in ("We ship", what, "<@UB>", JAN15, "done"):
        await slack.event(message("UA", text, thread_ts=thread[-1]))
    return (await wait_for(lambda: len(in_dm(fake)) > before and in_dm(fake)))[-1]


async def test_a_bare_yes_with_two_questions_waiting_is_asked_which_and_changes_nothing(
    slack: Harness, fake: FakeSlack
) -> None:
    first = await ask_bob(slack, fake, "Weekly", "Draft the plan")
    second = await ask_bob(slack, fake, "Retro", "Book the room")
    assert "Draft the plan" in first["text"] and "Book the room" in second["text"]
    bare = message("UB", "yes", channel="DUB")
    await slack.event(bare, event_id="EvBareYes")
    await slack.event(bare, event_id="EvBareYes")  # Slack's retry: asked once
    which = (await wait_for(lambda: len(in_dm(fake)) == 3 and in_dm(fake)))[-1]
    assert "thread_ts" not in which and "blocks" not in which
    assert which["text"].startswith("Two or more questions wait on you"), which["text"]
    assert "#1 Weekly: Alice assigned you an action from 'Weekly': 'Draft the plan'" in which["text"]
    assert "#2 Retro: Alice assigned you an action from 'Retro': 'Book the room'" in which["text"]
    assert "#1 yes" in which["text"] and "thread" in which["text"]
    assert slack.rows(OWNER_ANSWERS) == [] and slack.rows("SELECT count(*) FROM actions") == [(0,)]
    assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB'") == [(0,)]
    assert slack.rows("SELECT state FROM runs ORDER BY id") == [("owner_accepts",), ("owner_accepts",)]
    seen = "SELECT count(*) FROM deliveries WHERE delivery_id = ?"
    assert slack.rows(seen, f"msg:DUB:{bare['ts']}") == [(1,)]  # as for a direct message nothing waits for

    await slack.event(message("UB", "#1 yes", channel="DUB"))  # the older one, by its number
    await wait_for(lambda: slack.rows(OWNER_ANSWERS) == [(1, "yes")])
    asked = "SELECT state FROM runs ORDER BY id"
    await wait_for(lambda: slack.rows(asked) == [("review_at",), ("owner_accepts",)])
    update = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == first["ts"]])
    assert update[0].args["blocks"][1]["elements"][0]["text"] == "Answered by <@UB>: Yes"

    review = await wait_for(lambda: [p for p in fake.posted() if "When should we review" in p["text"]])
    await slack.click("UA", review[0], {"type": "button", "value": "default"})  # Weekly ends: its action is kept
    await wait_for(lambda: slack.rows(ACCEPTED) == [("Draft the plan",)])

    await slack.event(message("UB", "yes", channel="DUB"))  # one question waits now: a bare yes answers it
    await wait_for(lambda: slack.rows(OWNER_ANSWERS) == [(1, "yes"), (2, "yes")])


async def test_a_reply_in_the_older_questions_thread_answers_that_question(slack: Harness, fake: FakeSlack) -> None:
    first = await ask_bob(slack, fake, "Weekly", "Draft the plan")
    await ask_bob(slack, fake, "Retro", "Book the room")
    await slack.event(message("UB", "yes", channel="DUB", thread_ts=first["ts"]))
    await wait_for(lambda: slack.rows(OWNER_ANSWERS) == [(1, "yes")])
    assert slack.rows("SELECT state FROM runs ORDER BY id") == [("review_at",), ("owner_accepts",)]


async def test_a_number_of_a_run_that_does_not_wait_on_bob_is_refused(slack: Harness, fake: FakeSlack) -> None:
    await ask_bob(slack, fake, "Weekly", "Draft the plan")
    await slack.event(message("UB", "#7 yes", channel="DUB"))
    refused = (await wait_for(lambda: len(in_dm(fake)) == 2 and in_dm(fake)))[-1]
    assert refused["text"].startswith("Run #7 does not wait on you."), refused["text"]
    assert "#1 Weekly: Alice assigned you an action" in refused["text"]
    assert slack.rows(OWNER_ANSWERS) == []


async def test_with_two_questions_waiting_a_misspelt_command_thanks_and_help_are_answered_as_such(
    slack: Harness, fake: FakeSlack
) -> None:
    """None of these is an answer: before, each got the list of the questions waiting, as a bare
    'yes' does ("Two or more questions wait on you ..."), and 'staus 1' no 'Did you mean'."""
    await ask_bob(slack, fake, "Weekly", "Draft the plan")
    await ask_bob(slack, fake, "Retro", "Book the room")
    before = len(in_dm(fake))
    for n, text in enumerate(["staus 1", "thanks!", "help"], start=1):
        await slack.event(message("UB", text, channel="DUB"))
        await wait_for(lambda n=n: len(in_dm(fake)) == before + n)
    said = [p["text"] for p in in_dm(fake)[before:]]
    assert "Did you mean 'status 1'?" in said[0], said[0]
    assert not any(s.startswith("Two or more questions wait on you") for s in said), said
    assert said[1].startswith("You're welcome"), said[1]
    assert said[2].startswith("Commands: start FLOW"), said[2]
    assert slack.rows(OWNER_ANSWERS) == [] and slack.rows("SELECT state FROM runs ORDER BY id") == [
        ("owner_accepts",),
        ("owner_accepts",),
    ]


async def test_a_misspelt_or_unknown_command_after_answering_is_told_as_such_not_as_a_late_answer(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice answered her questions a minute ago; the run waits on Bob. Before, her ``/decision
    staus 1`` in another channel, ``/decision frobnicate`` anywhere, or ``staus 1`` typed to the bot
    got "Run #1 ('Weekly') has your answer already" (the run she answered last, on all of Slack)."""
    await ask_bob(slack, fake, "Weekly", "Draft the plan")
    typo = await slack.slash("UA", "staus 1", channel="C2")
    assert typo["text"].startswith("I don't know 'staus'. Did you mean 'status 1'?"), typo["text"]
    unknown = await slack.slash("UA", "frobnicate", channel="C1")
    assert unknown["text"].startswith("I don't know 'frobnicate'."), unknown["text"]
    before = len([p for p in fake.posted() if p["channel"] == "DUA"])
    await slack.event(message("UA", "staus 1", channel="DUA"))
    said = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUA"][before:])
    assert said[0].startswith("I don't know 'staus'. Did you mean 'status 1'?"), said[0]
