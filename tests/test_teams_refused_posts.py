"""Posts Teams refuses, as an operator and a facilitator see them: an owner's personal chat
refused 403 is recorded in the ledger (``teams_conversations.refused``) as a channel's is; a
404 replying in one run's thread (its root deleted) is that thread's, not the channel's: the
run goes on in a new thread and the channel's routes stay off ``/healthz``'s ``routes_refused``.
The real server and botbuilder against the fake Bot Connector."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed, personal, submit, wait_for

ENV = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{CHANNEL}"}
BOB_CHAT = "a:chat-with-29:1bob"


def refused(h: Harness) -> dict[str, str] | None:
    return h.services.extra.get("routes_refused")


async def run_to_the_owner(h: Harness, n: int = 0) -> str:
    """A post_meeting run in the channel up to Bob's confirmation (sent to his personal chat);
    the run's thread root."""
    due = (date.today() + timedelta(days=30)).isoformat()
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    first = await h.next_post(n + 0)
    root = str(first.answer_id)
    await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
    await h.next_post(n + 1)
    await h.send(in_channel(h.url, ALICE, "Fix the payroll export", root=root))
    owner = await h.next_post(n + 2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(n + 3)
    await h.send(submit(h.url, ALICE, when, {"answer": due}))
    more = await h.next_post(n + 4)
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    return root


async def test_an_owners_personal_chat_refused_403_is_recorded_in_the_ledger(tmp_path: Path) -> None:
    """Before, only a run's own conversation refused was recorded: the owner's chat refusing the bot
    (the app blocked or uninstalled for him) left nothing but the facilitator's notice."""
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(personal(h.url, BOB, "hi"))  # his personal chat is known
        await h.next_post(0)  # its answer
        await wait_for(lambda: refused(h) == {})
        h.fake.refused_in[BOB_CHAT] = 403
        await run_to_the_owner(h, 1)
        await h.settle()
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", BOB_CHAT) == [("403",)]
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", CHANNEL) == [(None,)]
        notice = h.db("SELECT conversation, text FROM messages WHERE kind = 'notice'")
        assert len(notice) == 1 and "Bob Builder" in notice[0][1], notice
        assert refused(h) == {}  # the channel's route is not his chat's
        del h.fake.refused_in[BOB_CHAT]  # the app unblocked: his next message there goes through
        await h.send(personal(h.url, BOB, "help"))
        await h.settle()
        assert h.db("SELECT refused FROM teams_conversations WHERE conversation_id = ?", BOB_CHAT) == [(None,)]
