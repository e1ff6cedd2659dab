"""In a Teams channel a run lives in the reply chain of its first message, and a new post in the
channel is read as a command. Alice, asked in the run's thread, typed her answer as a new post:
before, she was told only "I don't know 'we'" and the command list, and her run went on waiting
without her knowing where. She is now told that run #1 waits for her answer, on its card or in its thread."""

from __future__ import annotations

from pathlib import Path

from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed
from tests.test_teams_dm_which import ask_bob


async def test_an_answer_posted_beside_the_runs_thread_is_told_where_the_run_waits(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await h.next_post(0)
        post = in_channel(h.url, ALICE, "We ship in March")  # a new post in the channel, not a reply
        await h.send(post)
        told = await h.next_post(1)
        assert told.conversation == f"{CHANNEL};messageid={post['id']}"  # under her post
        assert told.text.startswith(
            "I don't know 'we'. Run #1 ('Weekly sync') waits for your answer: give it on its card, or reply in"
            " the run's own thread (mentioning me). Commands: start FLOW"
        )
        await h.send(in_channel(h.url, BOB, "We ship in March"))  # Bob is asked nothing: the usual answer
        other = await h.next_post(2)
        assert other.text.startswith("I don't know 'we'. Commands: start FLOW")
        assert h.db("SELECT count(*) FROM answers") == [(0,)]


async def test_an_owner_asked_in_his_personal_chat_posting_yes_in_the_channel_is_told_the_same(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await ask_bob(h, "Weekly", "Draft the plan")  # his "Do you accept it?" card is in his personal chat
        seen = len(h.fake.posts())
        await h.send(in_channel(h.url, BOB, "yes"))
        told = await h.next_post(seen)
        assert told.text.startswith("I don't know 'yes'. Run #1 ('Weekly') waits for your answer: give it on its card")
        assert h.db("SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]
