"""A date answered in Slack, typed in words on a phone ('next friday') or picked in the date picker:
the question's "Answered by" line names its weekday with the date, so whoever typed it can tell
at a glance that it is the day they meant. The real server, signed requests, the real slack-sdk
against the fake Web API, on a real SQLite ledger."""

from __future__ import annotations

import json
from datetime import date

from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, wait_for

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def with_weekday(iso: str) -> str:
    return f"{DAYS[date.fromisoformat(iso).weekday()]} {iso}"


def answered_line(update: dict) -> str:
    return str(update["blocks"][-1]["elements"][0]["text"])


async def due_question(slack: Harness) -> dict:
    await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>")
    return (await slack.posts(5))[4]


async def test_a_date_typed_in_words_is_shown_with_its_weekday(slack: Harness, fake: FakeSlack) -> None:
    """Before: 'Answered by @Alice: 2026-12-04', a date to work out on a calendar."""
    question = await due_question(slack)
    await slack.say(question["thread_ts"], "next friday")
    due = await wait_for(lambda: slack.rows("SELECT value FROM answers WHERE field = 'due'"))
    iso = json.loads(due[0][0])
    assert DAYS[date.fromisoformat(iso).weekday()] == "Fri"
    update = await wait_for(lambda: [c.args for c in fake.of("chat.update") if c.args["ts"] == question["ts"]])
    assert answered_line(update[0]) == f"Answered by <@UA>: Fri {iso}"
    assert update[0]["text"].endswith(f"Answered by <@UA>: Fri {iso}")


async def test_a_date_picked_is_shown_with_its_weekday(slack: Harness, fake: FakeSlack) -> None:
    question = await due_question(slack)
    await slack.click("UA", question, {"type": "datepicker", "selected_date": JAN15})
    update = await wait_for(lambda: [c.args for c in fake.of("chat.update") if c.args["ts"] == question["ts"]])
    assert answered_line(update[0]) == f"Answered by <@UA>: {with_weekday(JAN15)}"
