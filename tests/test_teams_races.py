"""Teams deliveries that overlap: a card submitted twice at once (a double click) while the
first submit is still asking the fake Bot Connector who the picked person is; a card submitted
before the Bot Connector answered the bot's post of it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web

from tests.fakes.bot_connector import FakeConnector
from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, at, in_channel, installed, personal, submit


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
