"""A run whose Teams thread is gone (its root deleted: a reply there refused 404) goes on in a new
thread; the questions waiting on people in the old one are asked again there, once, as Slack's
moved runs do (``thread_moved``). Before, only the reply that met the 404 followed: a question
asked in the old thread was never seen again. The real server and botbuilder against the fake
Bot Connector."""

from __future__ import annotations

from pathlib import Path

from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, at, in_channel, installed

ENV = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{CHANNEL}"}
QUESTION = "What was decided in Weekly sync?"


async def test_the_question_waiting_in_a_deleted_thread_is_asked_again_in_the_new_one(tmp_path: Path) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)  # Alice's question roots the run's thread
        root = str(first.answer_id)
        assert QUESTION in str(first.card)
        await h.settle()
        h.fake.refused_in[f"{CHANNEL};messageid={root}"] = 404  # its root deleted
        await h.send(in_channel(h.url, CAROL, "We ship in April", root=root))  # not hers to answer
        await h.settle()
        moved = next(p for p in h.fake.posts() if p.text.startswith("Run #1 ('Weekly sync') goes on in this thread"))
        thread = f"{CHANNEL};messageid={moved.answer_id}"
        there = [p for p in h.fake.posts() if p.conversation == thread and p.posted and p is not moved]
        assert [p.text.startswith(f"{at(CAROL)} This question is for Alice Example.") for p in there] == [True, False]
        asked = there[1]  # before: nothing more; Alice's question stayed in the deleted thread
        assert asked.card is not None and QUESTION in str(asked.card) and at(ALICE) in str(asked.activity)
        assert h.db("SELECT event FROM transitions WHERE event = 'thread_moved'") == [("thread_moved",)]

        await h.send(in_channel(h.url, ALICE, "We ship in March", root=str(moved.answer_id)))  # she answers there
        nxt = await h.next_post(len(h.fake.posts()))
        assert nxt.conversation == thread and "What is the action?" in str(nxt.card)
        await h.settle()
        reasked = [p for p in h.fake.posts() if p.posted and QUESTION in str(p.card) and p.conversation == thread]
        assert len(reasked) == 1  # once


async def test_a_question_that_met_the_404_itself_is_asked_once_in_the_new_thread(tmp_path: Path) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        await h.settle()
        h.fake.refused_in[f"{CHANNEL};messageid={root}"] = 404
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))  # the next question meets it
        await h.settle()
        moved = next(p for p in h.fake.posts() if p.text.startswith("Run #1 ('Weekly sync') goes on in this thread"))
        thread = f"{CHANNEL};messageid={moved.answer_id}"
        asked = [p for p in h.fake.posts() if p.conversation == thread and p.posted and p is not moved]
        assert len(asked) == 1 and "What is the action?" in str(asked[0].card)  # not twice
