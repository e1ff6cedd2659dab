"""An owner's personal chat that Teams refuses for now (503, or 429 with a long Retry-After) held
every later reply of the run's channel, other people's runs too, until it took them: the owner's
question was queued under the channel's conversation, so the outbox held the channel with it.
Now a reply to one person alone is a lane of its own (``outbox_rows.lane``): the channel goes on,
and the owner's question goes when their chat takes it. The real server and botbuilder against
the fake Bot Connector."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, at, in_channel, installed, submit, wait_for

ENV = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{CHANNEL}"}
BOBS_CHAT = "a:chat-with-29:1bob"
BOBS_QUESTION = "SELECT delivered_at IS NOT NULL FROM messages WHERE actor_id = 'teams:29:1bob' AND kind = 'prompt'"


async def test_an_owners_chat_refusing_for_now_holds_no_other_run_of_the_channel(tmp_path: Path) -> None:
    due = (date.today() + timedelta(days=30)).isoformat()
    async with Harness(tmp_path, env=dict(ENV)) as h:
        h.fake.refused_in[BOBS_CHAT] = 503  # his personal chat: Teams busy for now
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await h.next_post(1)
        await h.send(in_channel(h.url, ALICE, "Fix the payroll export", root=root))
        owner = await h.next_post(2)
        await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
        when = await h.next_post(3)
        await h.send(submit(h.url, ALICE, when, {"answer": due}))
        more = await h.next_post(4)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        await wait_for(lambda: any(c.conversation == BOBS_CHAT and c.method == "send" for c in h.fake.calls))
        assert h.db(BOBS_QUESTION) == [(0,)]  # refused: it waits for his chat

        await h.send(in_channel(h.url, CAROL, f"start post_meeting {at(BOB)} Unrelated run by Carol", BOB))
        first = f"{CHANNEL};messageid={root}"
        threads = lambda: [c for c in h.fake.posts() if c.method == "create" and c.conversation != first]  # noqa: E731
        await wait_for(lambda: len(threads()) == 1, timeout=10)  # Carol's run's thread: before, held with Bob's chat
        assert h.db(BOBS_QUESTION) == [(0,)]  # the channel went on without it

        del h.fake.refused_in[BOBS_CHAT]  # his chat takes posts again: his question goes, once
        await wait_for(lambda: h.db(BOBS_QUESTION) == [(1,)], timeout=60)
        sent = [p for p in h.fake.posts() if p.conversation == BOBS_CHAT and p.posted]
        assert len(sent) == 1 and "Do you accept it?" in json.dumps(sent[0].body)  # its card, once
