"""Teams deliveries that overlap: a card submitted twice at once (a double click) while the
first submit is still asking the fake Bot Connector who the picked person is; a card submitted
before the Bot Connector answered the bot's post of it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web

from tests.fakes.bot_connector import FakeConnector
from tests.teams_support import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    Harness,
    at,
    in_channel,
    installed,
    personal,
    submit,
    wait_for,
)


async def test_a_card_submitted_twice_at_once_is_answered_once(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.members[CAROL["aadObjectId"]] = {**CAROL, "userPrincipalName": "carol@example.com"}
        await h.send(personal(h.url, ALICE, "start metric_breach Checkout conversion"))
        ack = await h.next_post(0)  # a people picker: each submit looks the person up first
        twice = [submit(h.url, ALICE, ack, {"answer": CAROL["aadObjectId"]}) for _ in range(2)]
        responses = await asyncio.gather(*(h.post(body) for body in twice))
        assert [r.status for r in responses] == [201, 201]
        await h.next_post(2)
        await h.settle()
        assert h.db("SELECT step, kind, text FROM messages WHERE direction = 'in' ORDER BY id") == [
            (None, "start", "start metric_breach Checkout conversion"),  # how the run began
            ("acknowledge", "answer", "@Carol_Chen"),
            ("acknowledge", "refused", "@Carol_Chen"),  # the second submit, kept, answering nothing
        ]
        assert h.db("SELECT step, value FROM answers") == [
            ("acknowledge", json.dumps({"id": "teams:29:1carol", "name": "Carol Chen"}))
        ]
        assert len(h.fake.posts()) == 3  # the two cards (Alice's, then Carol's), and one note to the second submit
        assert [c.text for c in h.fake.posts() if c.method == "reply"] == [
            "That card is no longer open. Type your answer instead, or say 'help'."
        ]
        assert h.db("SELECT state FROM runs") == [("takes_it",)]  # the next question (Carol's) is still unanswered
        assert len(h.fake.of("update")) == 1


class SlowToAnswer(FakeConnector):
    """A Bot Connector that shows a card at once (the call recorded: Teams' clients have it) but
    answers the bot's post ``slow`` seconds later, as the real one may when it is busy."""

    slow = 0.0

    async def _send(self, request: web.Request) -> web.Response:
        resp = await super()._send(request)
        await asyncio.sleep(self.slow)
        return resp

    async def _create(self, request: web.Request) -> web.Response:
        resp = await super()._create(request)
        await asyncio.sleep(self.slow)
        return resp


async def test_a_card_answered_before_the_connector_answered_its_post_is_taken(tmp_path: Path) -> None:
    """Found by bench/soak_teams.py: a submit that reached the bot before the connector's answer to
    the card's post (so before the card was stored) was refused with 'That card is no longer open',
    its answer dropped. Now the submit waits for the card's post to be answered, and is taken."""
    h = Harness(tmp_path)
    h.fake = SlowToAnswer()
    h.fake.slow = 1.0
    async with h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        first = await h.next_post(0)  # shown in Teams; the bot has no answer to its post yet
        await h.send(submit(h.url, ALICE, first, {"answer": "We move the launch to March"}))
        second = await h.next_post(1)
        assert second.card is not None, second.text
        assert "Action 1: What is the action?" in second.card["body"][1]["text"]
        await h.settle()
        assert h.db("SELECT step, raw FROM answers") == [("decision", "We move the launch to March")]
        assert h.db("SELECT count(*) FROM messages WHERE kind = 'refused'") == [(0,)]
        assert not [c.text for c in h.fake.posts() if "no longer open" in c.text]


async def test_an_answer_in_a_thread_the_connector_has_not_yet_said_it_opened_is_taken(tmp_path: Path) -> None:
    """Found by bench/soak_teams.py: the run's thread is known once the connector answers the post
    that opens it; an answer typed in that thread before (Teams shows the post at once) was taken
    for a command outside any run ("I don't know 'we' ...") and the run waited on. Now the answer
    waits for the thread's post to be answered, and is the run's."""
    h = Harness(tmp_path)
    h.fake = SlowToAnswer()
    h.fake.slow = 1.0
    async with h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)  # the thread shown in Teams; the bot has no answer to its post yet
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=first.answer_id))
        second = await h.next_post(1)
        assert second.card is not None, second.text
        assert "Action 1: What is the action?" in second.card["body"][1]["text"]
        assert second.conversation == f"{CHANNEL};messageid={first.answer_id}"
        await h.settle()
        assert h.db("SELECT step, raw FROM answers") == [("decision", "We move the launch to March")]


class HeldPosts(FakeConnector):
    """A Bot Connector that shows the bot's new threads at once but answers their posts only once
    ``answer`` is set (a busy connector, or a post it keeps refusing)."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()

    async def _create(self, request: web.Request) -> web.Response:
        resp = await super()._create(request)
        await self.answer.wait()
        return resp


async def test_a_new_post_in_the_channel_does_not_wait_for_the_bots_thread_to_be_answered(tmp_path: Path) -> None:
    """Before, a new post to the bot in a channel (no thread of a run: its own id) waited up to
    POSTED_WITHIN (10 s) while a post of the bot opening a thread there was unanswered. Now only
    a reply in a thread waits; a new post is answered at once."""
    h = Harness(tmp_path)
    h.fake = HeldPosts()
    async with h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await h.next_post(0)  # the run's thread, shown in Teams; its post not answered
        new = in_channel(h.url, BOB, "help")
        await asyncio.wait_for(h.send(new), 5.0)  # (the wait held the request)
        await wait_for(lambda: bool(h.fake.of("reply")), timeout=5.0)
        assert h.fake.of("reply")[0].conversation == f"{CHANNEL};messageid={new['id']}"
        assert not h.fake.answer.is_set()  # the thread's post still unanswered
        h.fake.answer.set()
        await h.settle()


async def test_a_reply_in_a_thread_does_not_wait_for_a_post_refused_for_now(tmp_path: Path) -> None:
    """Before, a reply in a thread no run has waited POSTED_WITHIN (10 s) while any post of the bot
    to the channel was unsent, one refused and retried for a day (outbox RETRY_FOR) too. Now only
    a post being sent for the first time is waited for."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        h.fake.refuse("create", *[503] * 100)  # the run's thread: refused for now, again and again
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        await wait_for(lambda: h.db("SELECT 1 FROM messages WHERE retry_since IS NOT NULL") != [])
        reply = in_channel(h.url, BOB, "help", root="1699999999999")  # a reply in an older thread
        await asyncio.wait_for(h.send(reply), 5.0)  # (the wait held the request)
        await wait_for(lambda: bool(h.fake.of("reply")), timeout=5.0)
        assert h.fake.of("reply")[0].conversation == f"{CHANNEL};messageid=1699999999999"
        assert h.db("SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL") == [(1,)]
