"""An answer edited or deleted in Teams (``messageUpdate`` with ``channelData.eventType``
``editMessage``, ``messageDelete`` with ``softDeleteMessage``; the activity's id is the message's):
the run keeps what was first sent and its writer is told so, once, where they changed it, with how
to change an answer; the transcript keeps the change as a row of its own (kind ``edited`` or
``deleted``). Before, Teams' edits were dropped without a word: the facilitator saw her edited
text in the thread while the record kept the first. The real server, the fake Bot Connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.teams_support import ALICE, BOB, BOT, Harness, at, in_channel, installed, personal
from tests.teams_support import mention as person_mention
from tests.test_teams_dm_which import ask_bob

EDIT_NOTE = (
    'I don\'t read edits: the run keeps your answer as first sent ("{first}"). To change it, say so in a new'
    " message: 'back', or 'change ... to ...' ('help' shows how)."
)


def edited(original: dict[str, Any], text: str, at: str = "2026-11-28T10:05:00.000Z") -> dict[str, Any]:
    """What Teams sends when ``original``'s writer edits it to ``text`` (its mention of the bot kept)."""
    mentioned = original["text"].startswith(f"<at>{BOT['name']}</at>")
    data = {**original["channelData"], "eventType": "editMessage"}
    body = f"<at>{BOT['name']}</at> {text}" if mentioned else text
    return {**original, "type": "messageUpdate", "text": body, "timestamp": at, "channelData": data}


def deleted(original: dict[str, Any]) -> dict[str, Any]:
    """What Teams sends when ``original`` is deleted: its id, no text."""
    data = {**original["channelData"], "eventType": "softDeleteMessage"}
    body = {**original, "type": "messageDelete", "timestamp": "2026-11-28T10:06:00.000Z", "channelData": data}
    for gone in ("text", "entities"):
        body.pop(gone)
    return body


async def test_an_answer_edited_in_a_channel_thread_is_kept_as_first_sent_and_its_writer_told_once(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        answer = in_channel(h.url, ALICE, "We move the launch to March", root=root)
        await h.send(answer)
        await h.next_post(1)
        edit = edited(answer, "We move the launch to April")
        await h.send(edit)
        await h.send(edit)  # Teams sent it again: told once
        note = await h.next_post(2)
        assert note.conversation == answer["conversation"]["id"] and note.activity_id == answer["id"]  # in the thread
        # in the thread, where others read it too, it names whose answer it is (Alice is notified)
        assert note.text == f"{at(ALICE)} " + EDIT_NOTE.format(first="We move the launch to March")
        assert note.activity["entities"] == [person_mention(ALICE)]
        await h.settle()
        assert len(h.fake.posts()) == 3
        assert h.db("SELECT step, raw FROM answers") == [("decision", "We move the launch to March")]
        assert h.db("SELECT kind, text, step, run_id FROM messages WHERE direction = 'in'") == [
            ("start", "start post_meeting @Bob_Builder Weekly sync", None, 1),  # how the run began
            ("answer", "We move the launch to March", "decision", 1),
            ("edited", "We move the launch to April", "decision", 1),
        ]

        await h.send(edited(answer, "We move the launch to May", at="2026-11-28T10:07:00.000Z"))  # a second edit
        again = await h.next_post(3)
        assert again.text == note.text
        await h.send(deleted(answer))
        gone = await h.next_post(4)
        assert gone.text == f"{at(ALICE)} " + (
            'Deleting a message does not take back its answer: the run keeps "We move the launch to March". To'
            " change it, say so in a new message: 'back', or 'change ... to ...' ('help' shows how)."
        )
        await h.settle()
        assert h.db("SELECT kind, text FROM messages WHERE direction = 'in' AND kind IN ('edited', 'deleted')") == [
            ("edited", "We move the launch to April"),
            ("edited", "We move the launch to May"),
            ("deleted", ""),
        ]
        assert h.db("SELECT state FROM runs") == [("actions",)]


async def test_an_owners_answer_edited_in_his_personal_chat_is_told_there(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await ask_bob(h, "Weekly", "Draft the plan")
        seen = len(h.fake.posts())
        yes = personal(h.url, BOB, "yes")
        await h.send(yes)
        await h.next_post(seen)  # the review date, asked of Alice in the thread
        await h.send(edited(yes, "no"))
        note = await h.next_post(seen + 1)
        assert note.conversation == "a:chat-with-29:1bob"  # an owner cannot reopen it: the facilitator can
        assert note.text == (
            'I don\'t read edits: the run keeps your answer as first sent ("yes"). To change it, ask Alice Example,'
            " who leads the run (only they can reopen it)."
        )
        assert "entities" not in note.activity  # no @mention in his personal chat
        assert h.db("SELECT raw FROM answers WHERE step = 'owner_accepts'") == [("yes",)]


async def test_edits_of_what_no_run_took_say_nothing(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        command = in_channel(h.url, ALICE, "list")
        await h.send(command)
        await h.next_post(0)
        await h.send(edited(command, "help"))  # a command answered off the ledger
        unknown = in_channel(h.url, BOB, "hello")  # a message the bot never took
        await h.send(edited(unknown, "hello there"))
        await h.send(edited(command, "help", at="2026-11-28T10:09:00.000Z") | {"channelData": {"eventType": "x"}})
        await h.settle()
        assert h.db("SELECT count(*) FROM messages WHERE kind = 'edited'") == [(0,)]  # none the ledger has
        assert len(h.fake.posts()) == 1
