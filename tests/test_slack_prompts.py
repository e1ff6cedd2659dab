"""How the Slack channel redraws its questions: the "answered by" line shows the answer the run
took (an option's label, Yes or No, a person as a live mention, the date a default stands for),
not the words typed or a button's value; and a question the run no longer asks of its person
(handed to the facilitator after three misses, or the run ended) loses its widgets and says why.
The real server against the fake Web API, requests signed for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.store import write_lock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, owner_question_answered_while_it_waits, wait_for

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    """The server on a clock that stands still, so a default date is known."""
    h = await harness(tmp_path, fake, clock=lambda: NOW)
    yield h
    await h.client.close()


def widgets(posted: dict[str, Any]) -> list[str]:
    return [e["type"] for b in posted.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def updates(fake: FakeSlack, posted: dict[str, Any]) -> list[dict[str, Any]]:
    where = (posted["channel"], posted["ts"])
    return [c.args for c in fake.of("chat.update") if (c.args["channel"], c.args["ts"]) == where]


async def redrawn(fake: FakeSlack, posted: dict[str, Any]) -> dict[str, Any]:
    """The one chat.update of a posted question: no widgets left, and its context line's text."""
    (update,) = await wait_for(lambda: updates(fake, posted))
    assert [b["type"] for b in update["blocks"]] == ["section", "context"]
    return update


def line(update: dict[str, Any]) -> str:
    return str(update["blocks"][1]["elements"][0]["text"])


def ephemerals(fake: FakeSlack) -> list[tuple[str, str]]:
    return [(c.args["user"], c.args["text"]) for c in fake.of("chat.postEphemeral")]


async def owner_question(slack: Harness, thread_words: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """A post_meeting run in C1 whose one action Bob owns: its thread, and Bob's DM question."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan", "<@UB>", "2030-01-15", "done", *thread_words):
        await slack.event(message("UA", text, thread_ts=thread))
    dm = (await slack.posts(7))[6]
    assert dm["channel"] == "DUB" and widgets(dm) == ["button", "button"]
    return thread, dm


# --- the answer taken, as the "answered by" line shows it ------------------------------------


async def test_typed_answers_show_the_value_taken_not_the_words(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start metric_breach Checkout")
    thread = (await slack.posts(1))[0]["ts"]
    acknowledge = (await slack.posts(2))[1]
    await slack.event(message("UA", "me", thread_ts=thread))  # a person question
    assert line(await redrawn(fake, acknowledge)) == "Answered by <@UA>: <@UA>"  # was ": me"
    response = (await slack.posts(3))[2]
    assert widgets(response) == ["button", "button", "button"]
    await slack.event(message("UA", "2", thread_ts=thread))  # the second option, by number
    assert line(await redrawn(fake, response)) == "Answered by <@UA>: Watch it"  # was ": 2"
    assert slack.rows("SELECT value FROM answers WHERE step = 'response'") == [('"watch"',)]
    assert slack.rows("SELECT answer FROM slack_prompts WHERE ts = ?", response["ts"]) == [("Watch it",)]
    await slack.click("UA", response, {"type": "button", "value": "ignore"})  # the "already answered" note agrees
    note = "This question was already answered by <@UA>: Watch it."
    assert await wait_for(lambda: ephemerals(fake)) == [("UA", note)]


async def test_yes_no_and_a_default_date_show_what_they_stand_for(slack: Harness, fake: FakeSlack) -> None:
    thread, dm = await owner_question(slack)
    await slack.event(message("UB", "y", channel="DUB"))
    assert line(await redrawn(fake, dm)) == "Answered by <@UB>: Yes"  # was ": y"
    review = (await slack.posts(8))[7]
    assert widgets(review) == ["datepicker", "button"]  # a date, and "Use the default (in 4 weeks)"
    await slack.click("UA", review, {"type": "button", "value": "default"})
    assert line(await redrawn(fake, review)) == "Answered by <@UA>: Tue 2030-01-29"  # was ": default"
    assert slack.rows("SELECT value, kind FROM answers WHERE step = 'review_at'") == [('"2030-01-29"', "default")]


async def test_a_yes_that_moves_the_due_date_shows_the_date_taken(slack: Harness, fake: FakeSlack) -> None:
    """'yes, by ...' in the owner's DM: their question said "Yes" alone under the old due date."""
    thread, dm = await owner_question(slack)
    await slack.event(message("UB", "yes, by 2030-01-22", channel="DUB"))
    assert line(await redrawn(fake, dm)) == "Answered by <@UB>: Yes, due Tue 2030-01-22"
    assert slack.rows("SELECT value, kind FROM answers WHERE field = 'due' ORDER BY id DESC LIMIT 1") == [
        ('"2030-01-22"', "correction")
    ]


async def test_a_yes_that_moves_a_date_field_named_otherwise_shows_it_too(tmp_path: Path, fake: FakeSlack) -> None:
    """The engine takes "yes, by DATE" for the items' one date field whatever its name; the redraw
    looked for a field called due alone."""
    meeting = (ROOT / "flows" / "post_meeting.yaml").read_text()
    flow = meeting.replace("{id: due,", "{id: deadline,").replace("item.due", "item.deadline")
    flow = flow.replace("id: post_meeting", "id: pm2").split("record:")[0] + "record:\n  accepts: owner_accepts\n"
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "pm2.yaml").write_text(flow)
    slack = await harness(tmp_path, fake, flows=flows, clock=lambda: NOW)
    try:
        await slack.slash("UA", "start pm2 Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        for text in ("We ship in March", "Draft the plan", "<@UB>", "2030-01-15", "done"):
            await slack.event(message("UA", text, thread_ts=thread))
        dm = (await slack.posts(7))[6]
        await slack.event(message("UB", "yes, by 2030-01-22", channel="DUB"))
        assert line(await redrawn(fake, dm)) == "Answered by <@UB>: Yes, due Tue 2030-01-22"
    finally:
        await slack.client.close()


async def test_a_question_answered_before_it_got_out_shows_the_value_taken(slack: Harness, fake: FakeSlack) -> None:
    owner = await owner_question_answered_while_it_waits(slack, "me")
    assert owner["text"] == "<@UA> Action 1: Who owns 'Draft the plan'?\nAnswered by <@UA>: <@UA>"  # was ": me"
    assert widgets(owner) == []
    noted = await wait_for(lambda: slack.rows("SELECT status, answer FROM slack_prompts WHERE ts = ?", owner["ts"]))
    assert noted == [("answered", "<@UA>")]  # noted once Slack's answer is committed


# --- a question no longer its person's --------------------------------------------------------


async def test_a_question_handed_to_the_facilitator_loses_its_buttons(slack: Harness, fake: FakeSlack) -> None:
    thread, dm = await owner_question(slack)
    for text in ("maybe", "perhaps", "dunno"):  # three misses: the question goes to Alice
        await slack.event(message("UB", text, channel="DUB"))
    handed = (await slack.posts(11))[10]
    assert handed["channel"] == "C1" and handed["text"].startswith("<@UA> Bob could not answer this one")
    update = await redrawn(fake, dm)
    assert line(update) == "This question was handed to <@UA>, who answers it now."
    assert update["blocks"][0]["text"]["text"] == dm["text"]  # the question stays readable
    assert slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", dm["ts"]) == [("superseded",)]

    await slack.click("UB", dm, {"type": "button", "value": "no"})  # a client that kept the old buttons
    notes = await wait_for(lambda: ephemerals(fake))
    assert notes == [("UB", "This question was handed to <@UA>, who answers it now.")]
    assert slack.rows(
        "SELECT count(*) FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB' AND kind <> 'refused'"
    ) == [(3,)]
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]


async def test_a_click_before_the_handed_question_got_out_is_refused_with_the_reason(
    slack: Harness, fake: FakeSlack
) -> None:
    thread, dm = await owner_question(slack)
    for text in ("maybe", "perhaps"):
        await slack.event(message("UB", text, channel="DUB"))
    await slack.posts(9)
    fake.refuse("chat.postMessage", status=429, retry_after="1")  # the hand-over waits in the outbox
    await slack.event(message("UB", "dunno", channel="DUB"))
    await wait_for(lambda: fake.of("chat.postMessage")[-1].result.get("ok") is False)
    await slack.click("UB", dm, {"type": "button", "value": "no"})
    notes = await wait_for(lambda: ephemerals(fake))
    assert notes == [("UB", "This question was handed to <@UA>, who answers it now.")]  # was taken to the run
    assert line(await redrawn(fake, dm)) == "This question was handed to <@UA>, who answers it now."
    assert slack.rows(
        "SELECT count(*) FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB' AND kind <> 'refused'"
    ) == [(3,)]
    await slack.posts(11)  # the hand-over gets out: nothing more to redraw
    assert len(updates(fake, dm)) == 1


async def test_an_owner_question_left_when_the_run_ends_loses_its_buttons(slack: Harness, fake: FakeSlack) -> None:
    thread, dm = await owner_question(slack)
    await slack.slash("UA", "cancel 1")
    summary = (await slack.posts(8))[7]
    assert summary["channel"] == "C1" and summary["thread_ts"] == thread
    update = await redrawn(fake, dm)
    assert line(update) == "This question is closed: the run has ended."
    assert slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", dm["ts"]) == [("closed",)]

    await slack.click("UB", dm, {"type": "button", "value": "yes"})
    notes = await wait_for(lambda: ephemerals(fake))
    assert notes == [("UB", "This question is closed: the run has ended.")]  # not "See the latest question"
    assert slack.rows(
        "SELECT kind, json_extract(payload, '$.widget') FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB'"
    ) == [("refused", "closed")]


async def test_the_one_question_an_answer_takes_is_marked_answered_without_a_savepoint_of_its_own(
    slack: Harness, fake: FakeSlack
) -> None:
    _, dm = await owner_question(slack)
    conn = slack.services.db.conn
    said: list[str] = []
    conn.set_trace_callback(said.append)  # (the tests' watch of writes outside a transaction: set again below)
    try:
        await slack.event(message("UB", "y", channel="DUB"))
    finally:
        conn.set_trace_callback(None)
        write_lock.watch(conn)
    assert line(await redrawn(fake, dm)) == "Answered by <@UB>: Yes"
    (mark,) = [n for n, sql in enumerate(said) if sql.startswith("UPDATE slack_prompts SET status = 'answered'")]
    assert said[mark - 1] != "SAVEPOINT turn" and said[mark + 1] != "RELEASE turn"  # in the group all the same
    assert slack.rows("SELECT status, answer FROM slack_prompts WHERE ts = ?", dm["ts"]) == [("answered", "Yes")]


async def test_a_question_posted_reads_its_runs_open_questions_once_and_writes_only_its_own_row(
    slack: Harness, fake: FakeSlack
) -> None:
    """Posting a question with widgets finds in one read what it moves past: the person's own
    earlier question and those of people the run no longer asks; none open, nothing is updated
    (an UPDATE ... RETURNING that changes nothing still costs SQLite two temporary tables)."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan", "<@UB>", "2030-01-15"):
        await slack.event(message("UA", text, thread_ts=thread))
    await slack.posts(6)
    conn = slack.services.db.conn
    said: list[str] = []
    conn.set_trace_callback(said.append)  # (the tests' watch of writes outside a transaction: set again below)
    try:
        await slack.event(message("UA", "done", thread_ts=thread))
        dm = (await slack.posts(7))[6]
        await wait_for(lambda: conn.execute("SELECT 1 FROM slack_prompts WHERE ts = ?", (dm["ts"],)).fetchall())
    finally:
        conn.set_trace_callback(None)
        write_lock.watch(conn)
    assert dm["channel"] == "DUB" and widgets(dm) == ["button", "button"]
    touching = [sql for sql in said if "slack_prompts" in sql and "SELECT 1 FROM slack_prompts" not in sql]
    assert [sql for sql in touching if sql.startswith("UPDATE slack_prompts SET status = 'superseded'")] == []
    assert len([sql for sql in touching if "FROM slack_prompts p " in sql]) == 1, touching
    assert [sql.split(" (")[0] for sql in touching if sql.startswith("INSERT")] == [
        "INSERT OR REPLACE INTO slack_prompts"
    ]
    assert slack.rows("SELECT status, actor_id FROM slack_prompts WHERE ts = ?", dm["ts"]) == [("open", "slack:UB")]


SKIPPED_LAST = """id: skiplast
title: Skip at the end
steps:
  - id: ok
    ask: "Is it ok?"
    type: yes_no
  - id: note
    ask: "Any note?"
    type: text
    optional: true
  - id: more
    ask: "Anything else?"
    type: text
    optional: true
"""


async def test_a_skipped_question_is_redrawn_as_skipped_and_closed(tmp_path: Path, fake: FakeSlack) -> None:
    """A skip, typed or pressed, is the question's answer: redrawn without its Skip button (before: a
    question skipped mid-run lost its widgets with no line; the last one kept a live Skip button, and
    its prompt stayed open)."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "skiplast.yaml").write_text(SKIPPED_LAST)
    slack = await harness(tmp_path, fake, flows=flows, clock=lambda: NOW)
    try:
        await slack.slash("UA", "start skiplast Repro")
        thread = (await slack.posts(2))[0]["ts"]
        await slack.event(message("UA", "yes", thread_ts=thread))
        note = (await slack.posts(3))[2]
        assert "skip" in [e.get("value") for b in note["blocks"] if b["type"] == "actions" for e in b["elements"]]
        await slack.event(message("UA", "skip", thread_ts=thread))  # typed, mid-run
        assert line(await redrawn(fake, note)) == "Answered by <@UA>: skipped"
        more = (await slack.posts(4))[3]
        await slack.click("UA", more, {"type": "button", "value": "skip", "action_id": "answer:skip"})  # pressed, last
        assert line(await redrawn(fake, more)) == "Answered by <@UA>: skipped"
        await wait_for(lambda: slack.rows("SELECT status FROM runs") == [("completed",)])
        assert slack.rows("SELECT status, answer FROM slack_prompts WHERE ts IN (?, ?)", note["ts"], more["ts"]) == [
            ("answered", "skipped"),
            ("answered", "skipped"),
        ]
    finally:
        await slack.client.close()
