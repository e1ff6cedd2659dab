"""An answer edited or deleted in Slack (``message_changed``, ``message_deleted``, which the
manifest's message subscriptions deliver): the run keeps what was first sent, and its writer is
told so, privately, once, with how to change an answer; the transcript keeps the change as a row of
its own (kind ``edited`` or ``deleted``), which no measure counts as a message or an answer.
Signed requests to the real server, the fake Web API."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from bot.analytics.sql import MEASURES, as_view
from bot.render import render_run
from bot.store import open_db, transcript
from bot.store.transcript import run_detail
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

_ts = itertools.count(1)


def edited(original: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    """Slack's message_changed event for ``original`` (a message event) now reading ``text``."""
    event = _change(original, "message_changed")
    at, inner = event["ts"], event["previous_message"]
    return {**event, "message": {**inner, "text": text, "edited": {"user": original["user"], "ts": at}, **extra}}


def deleted(original: dict[str, Any]) -> dict[str, Any]:
    return {**_change(original, "message_deleted"), "deleted_ts": original["ts"]}


def _change(original: dict[str, Any], subtype: str) -> dict[str, Any]:
    """What Slack's message_changed and message_deleted events share: the message as it was."""
    at = f"1800000900.{next(_ts):06d}"
    inner = {k: original[k] for k in ("type", "user", "text", "ts", "thread_ts") if k in original}
    return {
        "type": "message",
        "subtype": subtype,
        "hidden": True,
        "channel": original["channel"],
        "channel_type": original["channel_type"],
        "ts": at,
        "event_ts": at,
        "previous_message": inner,
    }


def notes(fake: FakeSlack) -> list[tuple[str, str, str | None]]:
    return [(c.args["user"], c.args["text"], c.args.get("thread_ts")) for c in fake.of("chat.postEphemeral")]


async def test_an_edited_answer_is_kept_as_first_sent_and_its_writer_told_once(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    answer = message("UA", "We ship in March", thread_ts=thread)
    await slack.event(answer)
    edit = edited(answer, "We ship in May")
    assert (await slack.event(edit)).status == 200
    assert (await slack.event(edit)).status == 200  # Slack's retry (a new event id): told once
    told = await wait_for(lambda: notes(fake))
    assert told == [
        (
            "UA",
            'I don\'t read edits: the run keeps your answer as first sent ("We ship in March"). To change it,'
            " say so in a new message: 'back', or 'change ... to ...' ('help' shows how).",
            thread,
        )
    ]
    assert slack.rows("SELECT step, raw, revision FROM answers") == [("decision", "We ship in March", 1)]
    assert slack.rows("SELECT kind, text FROM messages WHERE direction = 'in' AND kind != 'start'") == [
        ("answer", "We ship in March"),
        ("edited", "We ship in May"),
    ]  # the answer as first sent, and the edit after it (once)
    # the run goes on from the answer it kept
    assert slack.rows("SELECT state FROM runs") == [("actions",)]


async def test_a_change_that_leaves_the_text_is_no_edit(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    answer = message("UA", "We ship in March, see https://example.com", thread_ts=thread)
    await slack.event(answer)
    unfurled = edited(answer, answer["text"], attachments=[{"title": "Example"}])  # a link preview arrived
    await slack.event(unfurled)
    outside = message("UA", "lunch?", channel="C1")  # the channel, outside any run's thread
    await slack.event(outside)
    await slack.event(edited(outside, "lunch at noon?"))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))  # a later turn: notes are out by then
    await wait_for(lambda: len(fake.posted()) >= 3)
    assert notes(fake) == []


async def test_an_edited_answer_the_run_did_not_take_asks_for_it_again(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.event(message("UA", "We ship", thread_ts=thread))
    await slack.event(message("UA", "Draft the plan", thread_ts=thread))
    await slack.event(message("UA", "@bob", thread_ts=thread))
    typo = message("UA", "next fridya", thread_ts=thread)  # not a date: asked again
    await slack.event(typo)
    await slack.event(edited(typo, "next friday"))
    told = await wait_for(lambda: notes(fake))
    assert (
        told[-1][1] == 'I don\'t read edits: your message stays as first sent ("next fridya"). Send the answer again.'
    )
    assert slack.rows("SELECT count(*) FROM answers WHERE field = 'due'") == [(0,)]


async def bob_says_yes_in_his_dm(slack: Harness, fake: FakeSlack) -> tuple[str, dict[str, Any]]:
    """A run to Bob's confirmation of his action, and his "yes" in their direct message: the run's
    thread and that event."""
    thread = await slack.started()
    for text in ("We ship", "Draft the plan", "<@UB>", "next friday", "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    await wait_for(lambda: any(p["channel"] == "DUB" for p in fake.posted()))
    yes = message("UB", "yes", channel="DUB")
    await slack.event(yes)
    return thread, yes


async def test_a_deleted_direct_answer_is_not_taken_back_and_its_writer_told(slack: Harness, fake: FakeSlack) -> None:
    thread, yes = await bob_says_yes_in_his_dm(slack, fake)
    await slack.event(deleted(yes))
    said = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUB"][1:])
    assert said == [
        'Deleting a message does not take back its answer: the run keeps "yes". To change it, ask Alice,'
        " who leads the run (only they can reopen it)."
    ]
    assert slack.rows("SELECT step, actor_id, raw FROM answers WHERE step = 'owner_accepts'") == [
        ("owner_accepts", "slack:UB", "yes")
    ]


async def test_an_owner_who_edits_their_answer_is_told_to_ask_the_facilitator(slack: Harness, fake: FakeSlack) -> None:
    """Before, Bob was told "To change it, say so in a new message: 'back', or 'change ... to ...'",
    and both, typed in his direct message, were answered "Nothing is waiting for your answer here":
    only the facilitator can take the run back to an owner's confirmation."""
    thread, yes = await bob_says_yes_in_his_dm(slack, fake)
    await slack.event(edited(yes, "no"))
    said = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUB"][1:])
    assert said == [
        'I don\'t read edits: the run keeps your answer as first sent ("yes"). To change it, ask Alice,'
        " who leads the run (only they can reopen it)."
    ]
    await slack.event(message("UB", "back", channel="DUB"))  # what he was told before
    said = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUB"][2:])
    assert said == ["Nothing is waiting for your answer here. Try: /decision help"]
    for text in ("back", "ok", "done"):  # the facilitator can reopen it: back over the confirmations
        await slack.event(message("UA", text, thread_ts=thread))
    asked = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUB"][3:])
    assert "Do you accept it?" in asked[0]


CHANGES = (
    "SELECT c.run_id, c.actor_id, c.step, c.kind, c.text, c.platform_id = m.platform_id, m.kind FROM messages c"
    " JOIN messages m ON m.id = json_extract(c.payload, '$.original') WHERE c.kind IN ('edited', 'deleted') ORDER BY c.id"
)


async def test_edits_and_deletions_are_kept_in_the_transcript_once_and_counted_as_no_message(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, the transcript had no trace of them: analysts could not see people correct themselves."""
    thread = await slack.started()
    answer = message("UA", "We ship in <https://example.com|March>", thread_ts=thread)
    await slack.event(answer)
    edit = edited(answer, "We ship in <https://example.com|May>")
    await slack.event(edit, event_id="Ev0EDIT1")
    await slack.event(edit, event_id="Ev0EDIT1")  # Slack's retry of the same event
    await slack.event(deleted(answer))
    kept = await wait_for(lambda: slack.rows(CHANGES)[1:] and slack.rows(CHANGES))
    assert kept == [
        (1, "slack:UA", "decision", "edited", "We ship in May (https://example.com)", 1, "answer"),  # as typed
        (1, "slack:UA", "decision", "deleted", "", 1, "answer"),
    ]
    assert slack.rows("SELECT step, raw FROM answers") == [
        ("decision", "We ship in March (https://example.com)")
    ]  # the run's answer
    assert slack.rows("SELECT state FROM runs") == [("actions",)]
    # participation counts messages sent: the answer, not its edit or its deletion
    assert slack.rows("SELECT inbound, answers FROM analytics_people WHERE person = 'slack:UA'") == [(1, 1)]
    defined = f"SELECT inbound_messages FROM ({as_view(MEASURES['participation'])}) WHERE person = 'slack:UA'"
    assert slack.rows(defined) == [(1,)] == slack.rows("SELECT inbound_messages FROM participation")
    shown = render_run(run_detail(slack.services.db.conn, 1) or {})
    assert "Alice (edited their message to) > We ship in May" in shown and "Alice (deleted their message) >" in shown


async def test_an_edit_naming_people_is_kept_with_their_names_as_answers_are(slack: Harness, fake: FakeSlack) -> None:
    """Before, the edit kept Slack's markup (``<@UB> ships it``) where every answer the transcript
    has reads ``@Bob``: analysts read user ids."""
    thread = await slack.started()
    answer = message("UA", "<@UA> ships it in March", thread_ts=thread)
    await slack.event(answer)
    await slack.event(edited(answer, "<@UB> ships it in May"))
    kept = await wait_for(
        lambda: slack.rows("SELECT kind, text FROM messages WHERE direction = 'in' AND kind != 'start' ORDER BY id")[1:]
    )
    assert kept == [("edited", "@Bob ships it in May")]
    assert slack.rows("SELECT raw FROM answers") == [("@Alice ships it in March",)]


async def test_an_edit_arriving_while_its_message_is_still_being_taken_is_not_lost(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice fixes her answer a moment after sending it, while its turn still waits on Slack for
    the name of the person it mentions. Before, the edit found nothing in the ledger and was
    dropped: no row, no note; the run took the first text while Slack showed the second. Now the
    edit waits for its message's turn, and is kept and told as any other."""
    thread = await slack.started()
    fake.slow_down("users.info", 0.8)  # Carol is new: her name is asked of a slow Slack
    answer = message("UA", "<@UC> ships it in March", thread_ts=thread)

    async def edit_soon() -> Any:
        await asyncio.sleep(0.2)
        return await slack.event(edited(answer, "<@UC> ships it in May"))

    sent, edit = await asyncio.gather(slack.event(answer), edit_soon())
    assert (sent.status, edit.status) == (200, 200)
    kept = await wait_for(
        lambda: slack.rows("SELECT kind FROM messages WHERE direction = 'in' AND kind != 'start' ORDER BY id")[1:]
    )
    assert kept == [("edited",)]
    told = await wait_for(lambda: notes(fake))
    assert told[0][1].startswith("I don't read edits: the run keeps your answer as first sent (\"@")


async def test_a_deleted_answer_with_replies_is_a_deletion_not_an_edit(slack: Harness, fake: FakeSlack) -> None:
    """Bob deletes his "yes", which has a reply in its thread: Slack keeps a tombstone for a
    message with replies, and says so with ``message_changed`` whose message is ``subtype:
    tombstone``, "This message was deleted." by Slackbot. Before, the transcript kept it as Bob
    editing his answer to "This message was deleted.", and he was told edits are not read; now it
    is his deletion, told as one."""
    thread, yes = await bob_says_yes_in_his_dm(slack, fake)
    tombstone = {"type": "message", "subtype": "tombstone", "text": "This message was deleted.", "user": "USLACKBOT",
                 "hidden": True, "ts": yes["ts"], "thread_ts": yes["ts"], "parent_user_id": "USLACKBOT"}  # fmt: skip
    await slack.event({**edited(yes, "x"), "message": tombstone})
    said = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUB"][1:])
    assert said[0].startswith('Deleting a message does not take back its answer: the run keeps "yes".')
    assert slack.rows("SELECT kind, text FROM messages WHERE kind IN ('edited', 'deleted')") == [("deleted", "")]


async def test_an_edit_of_a_message_the_ledger_does_not_have_is_not_kept(slack: Harness, fake: FakeSlack) -> None:
    outside = message("UA", "lunch?", channel="C1")  # the channel, outside any run's thread
    await slack.event(outside)
    await slack.event(edited(outside, "lunch at noon?"))
    await slack.event(deleted(outside))
    thread = await slack.started()  # a later turn: the changes are handled by then
    await slack.event(message("UA", "We ship", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT 1 FROM answers"))
    assert slack.rows("SELECT count(*) FROM messages WHERE kind IN ('edited', 'deleted')") == [(0,)]


async def test_an_answer_edited_after_the_run_ended_is_told_that_the_record_stands(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice edits her decision in the thread after the run recorded it. Before, she was told to
    change it with 'back' or 'change ... to ...' in a new message; she did, and the thread, closed
    with the run, said nothing: the record kept March while Slack showed May, and she believed
    otherwise. Now she is told the run has ended and its record stands, and where to see it."""
    await slack.slash("UA", "start post_meeting <@UB|bob> Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    first = message("UA", "We ship in March", thread_ts=thread)
    await slack.event(first)
    for text in ("Draft the plan", "<@UB>", JAN15, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.posts(8)
    await slack.event(message("UA", "ok", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT status FROM runs") == [("completed",)])
    await slack.event(edited(first, "We ship in May"))
    await slack.event(deleted(first))
    told = await wait_for(lambda: len(notes(fake)) == 2 and [text for _, text, _ in notes(fake)])
    assert told == [
        "I don't read edits, and run #1 has ended: its record keeps your answer as first sent (\"We ship in"
        " March\"); a completed run takes no corrections ('status 1' shows its record).",
        'Deleting a message does not take back its answer, and run #1 has ended: its record keeps "We ship in'
        " March\"; a completed run takes no corrections ('status 1' shows its record).",
    ]
    assert slack.rows("SELECT text FROM decisions") == [("We ship in March",)]


def test_an_edit_finds_its_message_by_an_index_not_by_reading_every_message(tmp_path: Path) -> None:
    """Slack sends an edit event for many messages (link previews too); before, each read the whole
    messages table on the event loop (about 66 ms at a million rows)."""
    db = open_db(tmp_path / "ledger.db")
    plan = db.conn.execute("EXPLAIN QUERY PLAN " + transcript.HELD_MESSAGE, ("slack", "msg:C1:1.0")).fetchall()
    assert [step[3] for step in plan] == ["SEARCH messages USING INDEX messages_inbound_platform (platform_id=?)"]
    db.conn.close()
