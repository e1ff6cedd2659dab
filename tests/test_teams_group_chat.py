"""A meeting chat (Teams ``groupChat``) where two facilitators each run a post_meeting: a group
chat has no reply chains, so both runs live in the chat itself. Before, every message typed there
went to the newest run: Alice's answers to her own run were refused ("This question is for Carol
Chen") and her ``cancel`` was Carol's to give. Each run now takes what the people it waits on type.
The real server, the fake Bot Connector, activities as Teams sends them in a meeting chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.channels.teams_activities import key_for
from bot.model import Trigger
from tests.teams_support import ALICE, BOB, BOT, CAROL, TENANT, Harness, activity, at, mention

MEETING_CHAT = "19:meeting_NzE4ZDk0YjQtOTk0Yi00@thread.v2"


def in_meeting_chat(service_url: str, sender: dict[str, Any], text: str, *people: dict[str, Any]) -> dict[str, Any]:
    """A message in the meeting's chat that @mentions the bot, as Teams delivers it."""
    conversation = {"id": MEETING_CHAT, "conversationType": "groupChat", "isGroup": True, "tenantId": TENANT}
    entities = [mention(BOT), *(mention(p) for p in people)]
    act = activity(service_url, sender, conversation, f"{at(BOT)} {text}", entities)
    act["channelData"]["meeting"] = {"id": "MCMxOTptZWV0aW5nX056RTRaRGswWWpRdE9UazBZaTAw"}
    return act


async def test_two_facilitators_in_one_meeting_chat_each_answer_their_own_run(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(in_meeting_chat(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await h.send(in_meeting_chat(h.url, CAROL, f"start post_meeting {at(BOB)} Retro", BOB))
        await h.settle()
        await h.send(in_meeting_chat(h.url, ALICE, "We ship in March"))
        await h.send(in_meeting_chat(h.url, CAROL, "We keep the retro format"))
        await h.send(in_meeting_chat(h.url, ALICE, "Draft the plan"))
        await h.settle()
        assert h.db("SELECT run_id, step, raw FROM answers ORDER BY id") == [
            (1, "decision", "We ship in March"),
            (2, "decision", "We keep the retro format"),
            (1, "actions", "Draft the plan"),
        ]
        assert h.db("SELECT count(*) FROM messages WHERE kind = 'refused'") == [(0,)]
        asked = [c.card["body"][1]["text"] for c in h.fake.posts()[-3:] if c.card]
        assert "<at>Alice Example</at> Action 1: Who owns 'Draft the plan'?" in asked

        seen = len(h.fake.posts())
        await h.send(in_meeting_chat(h.url, ALICE, "cancel"))  # her run's to cancel, not Carol's
        confirm = await h.next_post(seen)
        assert confirm.conversation == MEETING_CHAT
        assert (
            confirm.text
            == "<at>Alice Example</at> Cancel this decision run? Nothing will be recorded as decided. (yes/no)"
        )
        await h.send(in_meeting_chat(h.url, ALICE, "yes"))
        await h.settle()
        assert h.db("SELECT id, status FROM runs ORDER BY id") == [(1, "cancelled"), (2, "active")]


async def test_a_run_an_alert_started_there_naming_nobody_is_still_claimed_by_who_speaks_first(tmp_path: Path) -> None:
    """An alert's run that names no facilitator waits on whoever speaks first: a run waiting on
    Alice in the same chat does not take her words from it (the newest of the two takes them)."""
    async with Harness(tmp_path) as h:
        await h.send(in_meeting_chat(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await h.settle()
        alert = Trigger(flow="post_meeting", title="Disk full", data={"claimable": True})  # as admission starts it
        h.services.dispatcher.start(alert, key_for(MEETING_CHAT))
        h.services.notify("teams")
        await h.settle()
        await h.send(in_meeting_chat(h.url, ALICE, "We add a disk"))
        await h.settle()
        assert h.db("SELECT run_id, step, raw FROM answers") == [(2, "decision", "We add a disk")]
        assert h.db("SELECT id, facilitator_id FROM runs ORDER BY id") == [
            (1, "teams:29:1alice"),
            (2, "teams:29:1alice"),
        ]
